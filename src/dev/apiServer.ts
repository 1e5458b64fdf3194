import { Server, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import type { FunctionHost } from './functionHost.js';
import { gatewayAnswer, gatewayErrors, type HttpAnswer } from './apiResponse.js';
import { readBody } from './httpBody.js';
import { serveFunctionUrl } from './urlServer.js';
import type { AccessLine } from './protocol.js';
import { answerBeforeInvoke, answerCall, writeAnswer, type Answered, type RestContext } from './restRules.js';
import { ConnectionHandover } from './connectionHandover.js';

export type { AccessLine };

export interface ApiServerOptions {
  /** One function served at `/` (as the deployed `/bam/` stage), or each at `/NAME/`. */
  single: boolean;
  hosts: Map<string, FunctionHost>;
  accountId: string;
  /** API Gateway's integration timeout: 29 s unless raised. */
  apiTimeoutMs: number;
  access: (line: AccessLine) => void;
  /** Access lines without a problem, already written as printed (a line each; see accessText). */
  accessText: (text: string) => void;
  /** A function served alone answers its connections in its sandbox's thread (see ownsConnections). */
  ownConnections?: boolean;
}

/**
 * Whether a function served alone answers its connections in its sandbox's own thread: about
 * three times the requests per second on two cores. Yes unless BAM_DEV_OWN_CONNECTIONS=0.
 */
export function ownsConnections(setting: string | undefined): boolean {
  return setting !== '0';
}

/**
 * The local stand-in for a REST API with Lambda proxy integrations on `/` and `/{proxy+}`. With
 * ownConnections, a function served alone (through its API, not a function URL) gets its
 * connections handed to its sandbox, which answers them in its own thread
 * (src/dev/connectionHandover.ts); bam dev answers the rest itself.
 */
export class ApiServer extends Server {
  private handover: ConnectionHandover | undefined;

  constructor(private readonly options: ApiServerOptions) {
    const apiId = randomBytes(8).toString('hex').slice(0, 10);
    const context: RestContext = { accountId: options.accountId, apiId, apiTimeoutMs: options.apiTimeoutMs };
    super((req, res) => this.answer(req, res, context));
    const host = options.single ? (options.hosts.values().next().value as FunctionHost) : undefined;
    if (host && options.ownConnections && !host.fn.url && host.canOwnConnections()) this.handOver(new ConnectionHandover(host, context, (line) => this.access(line), options.accessText, (socket) => this.emit('connection', socket)));
  }

  override closeAllConnections(): void {
    super.closeAllConnections();
    this.handover?.closeAll();
  }

  private readonly told = new Set<string>();

  /** An access line; a problem said once per function is left out after the first time. */
  private access(line: AccessLine): void {
    const { onceFor, ...rest } = line;
    if (onceFor === undefined) return this.options.access(rest);
    if (this.told.has(onceFor)) {
      const { problem: _said, ...quiet } = rest;
      return this.options.access(quiet);
    }
    this.told.add(onceFor);
    this.options.access(rest);
  }

  /**
   * Accepted connections are paused until the handover has tried to give them to the function's
   * sandbox; the ones it does not take are read here, by node:http.
   */
  private handOver(handover: ConnectionHandover): void {
    this.handover = handover;
    (this as unknown as { pauseOnConnect: boolean }).pauseOnConnect = true;
    const [httpConnection] = this.listeners('connection') as ((socket: Socket) => void)[];
    if (!httpConnection) return;
    this.removeListener('connection', httpConnection);
    this.on('connection', (socket: Socket) => {
      void handover.take(socket).then((taken) => {
        if (taken || socket.destroyed) return;
        httpConnection.call(this, socket);
        socket.resume();
      });
    });
  }

  private answer(req: IncomingMessage, res: ServerResponse, context: RestContext): void {
    const started = performance.now();
    const line = (answered: Answered) => this.access({ method: req.method ?? '', url: req.url ?? '', statusCode: answered.answer.statusCode, ms: performance.now() - started, ...(answered.problem ? { problem: answered.problem } : {}), ...(answered.onceFor ? { onceFor: answered.onceFor } : {}) });
    serve(req, res, this.options, context)
      .then((answered) => {
        // A function URL's response stream is written as the handler writes it, not here.
        if (!res.headersSent) writeAnswer(res, answered.answer);
        line(answered);
      })
      .catch((err: unknown) => {
        // Whatever failed here, API Gateway would still answer: a 502 and a line saying why, never a dropped connection.
        const answer = gatewayAnswer(gatewayErrors.internalServerError, randomUUID());
        if (res.headersSent) res.destroy();
        else writeAnswer(res, answer);
        line({ answer, problem: `bam dev could not answer: ${err instanceof Error ? err.message : String(err)}` });
      });
  }
}

export function createApiServer(options: ApiServerOptions): ApiServer {
  return new ApiServer(options);
}

async function serve(req: IncomingMessage, res: ServerResponse, options: ApiServerOptions, context: RestContext): Promise<Answered> {
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  const rawPath = queryAt < 0 ? url : url.slice(0, queryAt);
  const query = queryAt < 0 ? '' : url.slice(queryAt + 1);
  const method = req.method ?? 'GET';

  const route = routeOf(rawPath, options);
  if (route.kind === 'index') return { answer: indexPage(options.hosts) };
  if (route.kind === 'unknown') return { answer: notServed(route.name, options.hosts) };
  const { host, path } = route;
  if (host.fn.url) return serveFunctionUrl(req, res, host, { single: options.single, accountId: options.accountId });

  const before = answerBeforeInvoke(method, host.fn);
  if (before) {
    req.resume();
    return before;
  }
  const address = req.socket.address();
  return answerCall(host, {
    method,
    path,
    query,
    rawHeaders: req.rawHeaders,
    accept: req.headers.accept,
    body: await readBody(req),
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    localPort: 'port' in address ? address.port : 0,
  }, context);
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
