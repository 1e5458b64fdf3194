import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import type { FunctionHost, Invocation } from './functionHost.js';
import type { InvokeOutcome } from './sandbox.js';
import { buildProxyEvent } from './apiEvent.js';
import { gatewayAnswer, gatewayErrors, mapProxyResponse, type HttpAnswer } from './apiResponse.js';
import { MAX_BODY_BYTES, readBody } from './httpBody.js';
import { preflightHeaders } from '../core/cors.js';
import { serveFunctionUrl } from './urlServer.js';
import { acceptsBinary } from '../core/binaryMediaTypes.js';

export interface AccessLine {
  method: string;
  url: string;
  statusCode: number;
  ms: number;
  /** Why API Gateway would answer an error here (a malformed response), when it is not the function's own log. */
  problem?: string;
}

export interface ApiServerOptions {
  /** One function served at `/` (as the deployed `/bam/` stage), or each at `/NAME/`. */
  single: boolean;
  hosts: Map<string, FunctionHost>;
  accountId: string;
  /** API Gateway's integration timeout: 29 s unless raised. */
  apiTimeoutMs: number;
  access: (line: AccessLine) => void;
}

// Bodies up to this size are copied into a string to go out in one write with the head.
const ONE_WRITE_BYTES = 64 * 1024;

/** The local stand-in for a REST API with Lambda proxy integrations on `/` and `/{proxy+}`. */
export function createApiServer(options: ApiServerOptions): Server {
  const apiId = randomBytes(8).toString('hex').slice(0, 10);
  const told = new Set<string>();
  return createServer((req, res) => {
    const started = performance.now();
    serve(req, res, options, apiId, told)
      .then(({ answer, problem }) => {
        // A function URL's response stream is written as the handler writes it, not here.
        if (!res.headersSent) {
          // The length of what is sent, as API Gateway frames it (the function's own is dropped).
          if (answer.statusCode >= 200 && answer.statusCode !== 204 && answer.statusCode !== 304) answer.headers.push('Content-Length', String(answer.body.length));
          res.writeHead(answer.statusCode, answer.headers);
          // A string goes out with the head in one write (a Buffer in a second one); latin1 keeps every byte.
          if (answer.body.length <= ONE_WRITE_BYTES) res.end(answer.body.toString('latin1'), 'latin1');
          else res.end(answer.body);
        }
        options.access({ method: req.method ?? '', url: req.url ?? '', statusCode: answer.statusCode, ms: performance.now() - started, ...(problem ? { problem } : {}) });
      })
      .catch((err: unknown) => {
        // Whatever failed here, API Gateway would still answer: a 502 and a line saying why, never a dropped connection.
        const problem = `bam dev could not answer: ${err instanceof Error ? err.message : String(err)}`;
        if (res.headersSent) res.destroy();
        else {
          const answer = gatewayAnswer(gatewayErrors.internalServerError, randomUUID());
          res.writeHead(answer.statusCode, answer.headers).end(answer.body);
        }
        options.access({ method: req.method ?? '', url: req.url ?? '', statusCode: 502, ms: performance.now() - started, problem });
      });
  });
}

/** The methods a REST API has: any other (PROPFIND, TRACE…) matches no method and never reaches the function. */
const REST_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

async function serve(req: IncomingMessage, res: ServerResponse, options: ApiServerOptions, apiId: string, told: Set<string>): Promise<{ answer: HttpAnswer; problem?: string }> {
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  const rawPath = queryAt < 0 ? url : url.slice(0, queryAt);
  const query = queryAt < 0 ? '' : url.slice(queryAt + 1);
  const method = req.method ?? 'GET';

  const route = routeOf(rawPath, options);
  if (route.kind === 'index') return { answer: indexPage(options.hosts) };
  if (route.kind === 'unknown') return { answer: notServed(route.name, options.hosts) };
  const { host, path } = route;
  const { fn } = host;
  if (fn.url) return serveFunctionUrl(req, res, host, { single: options.single, accountId: options.accountId });

  if (!REST_METHODS.has(method)) {
    return { answer: gatewayAnswer(gatewayErrors.missingAuthenticationToken, randomUUID()), problem: `a REST API has no ${method} method (only ${[...REST_METHODS].join(', ')}): API Gateway answers it itself` };
  }
  // The deployed API's mock OPTIONS operation takes precedence over ANY, so it does here too.
  if (method === 'OPTIONS' && fn.cors !== undefined) return { answer: preflight(fn.cors, fn.methods) };
  const enabled = fn.methods.includes('ANY') || fn.methods.includes(method);
  if (!enabled) return { answer: gatewayAnswer(gatewayErrors.missingAuthenticationToken, randomUUID()) };

  const body = await readBody(req);
  if (!body) return { answer: gatewayAnswer(gatewayErrors.requestTooLong, randomUUID()), problem: `the body is over API Gateway's ${MAX_BODY_BYTES / 1024 / 1024} MB payload limit` };
  const address = req.socket.address();
  const event = buildProxyEvent({
    method,
    path,
    query,
    rawHeaders: req.rawHeaders,
    body,
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    localPort: 'port' in address ? address.port : 0,
    accountId: options.accountId,
    apiId,
  });
  const requestId = event.requestContext.requestId as string;

  const outcome = await withinTimeout(host.invoke(event), options.apiTimeoutMs);
  if (outcome === 'late') return { answer: gatewayAnswer(gatewayErrors.endpointTimeout, requestId), problem: `no answer within API Gateway's ${options.apiTimeoutMs / 1000} s integration timeout` };
  // A failed or timed-out function is logged by the host; API Gateway only says 502.
  if (outcome.kind !== 'result') return { answer: gatewayAnswer(gatewayErrors.internalServerError, requestId) };
  const mapped = mapProxyResponse(outcome.payload, requestId, acceptsBinary(req.headers.accept));
  if (!mapped.ok) return { answer: gatewayAnswer(gatewayErrors.internalServerError, requestId), problem: `Malformed Lambda proxy response: ${mapped.problem}` };
  // Said once per function: the base64 text is what the deployed API sends too, and the reason is not obvious.
  if (mapped.base64Text && !told.has(fn.name)) {
    told.add(fn.name);
    const accept = req.headers.accept ?? 'none';
    return { answer: mapped.answer, problem: `${fn.name} answered isBase64Encoded, and the request's first Accept type (${accept.split(',')[0]?.trim() ?? ''}) is not a binary media type: the client gets the base64 text, as from the deployed API (Accept: image/png, application/octet-stream… gets the bytes)` };
  }
  return { answer: mapped.answer };
}

type Route = { kind: 'function'; host: FunctionHost; path: string } | { kind: 'index' } | { kind: 'unknown'; name: string };

function routeOf(rawPath: string, options: ApiServerOptions): Route {
  // The path goes to the function as the client sent it, percent-encoding and all, as a REST API
  // passes it (so /a%2Fb stays one segment and %25 is decoded once, by the function's router).
  if (options.single) {
    const host = options.hosts.values().next().value as FunctionHost;
    return { kind: 'function', host, path: rawPath };
  }
  const match = /^\/([^/]+)(\/.*)?$/.exec(rawPath);
  if (!match?.[1]) return { kind: 'index' };
  const name = decodeName(match[1]);
  const host = options.hosts.get(name);
  if (!host) return { kind: 'unknown', name };
  return { kind: 'function', host, path: match[2] ?? '/' };
}

/** The function's name in `/NAME/` (bam dev's own prefix, not part of the deployed path). */
function decodeName(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The invocation's outcome, or 'late' once API Gateway would stop waiting (the function runs on). */
function withinTimeout(invocation: Promise<Invocation>, ms: number): Promise<InvokeOutcome | 'late'> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve('late'), ms);
    invocation.then(
      ({ outcome }) => {
        clearTimeout(timer);
        resolve(outcome);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** What the deployed API's mock integration answers: the same three headers and no body. */
function preflight(origin: string, methods: string[]): HttpAnswer {
  const headers = Object.entries(preflightHeaders(origin, methods)).flat();
  return { statusCode: 200, headers: [...headers, 'Content-Type', 'application/json'], body: Buffer.alloc(0) };
}

/** With several functions, `/` lists them (a page of links). */
function indexPage(hosts: Map<string, FunctionHost>): HttpAnswer {
  const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const items = [...hosts.values()]
    .map(({ fn }) => `<li><a href="/${encodeURIComponent(fn.name)}/">/${escape(fn.name)}/</a> ${escape(fn.methods.join(', '))}</li>`)
    .join('\n');
  const html = `<!doctype html>\n<meta charset="utf-8">\n<title>bam dev</title>\n<h1>bam dev</h1>\n<ul>\n${items}\n</ul>\n`;
  return { statusCode: 200, headers: ['Content-Type', 'text/html; charset=utf-8'], body: Buffer.from(html) };
}

function notServed(name: string, hosts: Map<string, FunctionHost>): HttpAnswer {
  const served = [...hosts.keys()].map((n) => `/${n}/`).join(', ');
  return {
    statusCode: 404,
    headers: ['Content-Type', 'application/json'],
    body: Buffer.from(JSON.stringify({ message: `bam dev serves no function "${name}". It serves: ${served || 'nothing'}` })),
  };
}
