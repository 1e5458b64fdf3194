import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamPart } from './protocol.js';
import type { FunctionHost } from './functionHost.js';
import type { HttpAnswer } from './apiResponse.js';
import { readBody } from './httpBody.js';
import { buildUrlEvent } from './urlEvent.js';
import { allowedOrigin, mapUrlResponse, urlFailure, urlPreflight } from './urlResponse.js';
import { urlCors } from '../core/functionUrl.js';

/** Lambda's limit on a synchronous invocation's request payload. */
const MAX_URL_BODY_BYTES = 6 * 1024 * 1024;

export interface UrlServeOptions {
  /** One function served at `/`, or each at `/NAME/`. */
  single: boolean;
  accountId: string;
}

/**
 * A request to a function served as a function URL: no API Gateway in between, so every method
 * and path reaches the function, with the payload format 2.0 event, and only the function's own
 * timeout bounds the answer. With CORS on, Lambda answers preflights itself and adds the allowed
 * origin to every answer.
 */
export async function serveFunctionUrl(req: IncomingMessage, res: ServerResponse, host: FunctionHost, options: UrlServeOptions): Promise<{ answer: HttpAnswer; problem?: string }> {
  const { fn } = host;
  const cors = fn.url?.cors !== undefined ? urlCors(fn.url.cors) : undefined;
  const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
  const method = req.method ?? 'GET';
  if (cors && method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
    req.resume();
    return { answer: urlPreflight(cors, origin) };
  }
  const body = await readBody(req, MAX_URL_BODY_BYTES);
  if (!body) return { answer: { statusCode: 413, headers: ['content-type', 'application/json'], body: Buffer.from(JSON.stringify({ Message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation' })) }, problem: 'the body is over Lambda\'s 6 MB request payload limit' };
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  const event = buildUrlEvent({
    method,
    rawPath: options.single ? path : insideFunction(path),
    rawQueryString: queryAt < 0 ? '' : url.slice(queryAt + 1),
    rawHeaders: req.rawHeaders,
    body,
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    accountId: options.accountId,
    urlId: localUrlId(fn.name),
    region: fn.env.AWS_REGION ?? 'us-east-1',
  });
  const { requestId } = event.requestContext;
  const allowed = cors ? allowedOrigin(cors, origin) : undefined;
  const extra = ['x-amzn-RequestId', requestId, ...(allowed ? ['access-control-allow-origin', allowed] : [])];
  const { outcome } = await host.invoke(event, undefined, { onStream: (part) => writeStreamed(res, part, extra) });
  if (res.headersSent) {
    // Streamed: the status and first bytes are out; a handler that fails now cuts the answer short, as Lambda does.
    if (outcome.kind === 'result') res.end();
    else res.destroy();
    return { answer: urlFailure(requestId) };
  }
  if (outcome.kind === 'result' && outcome.streamed) return { answer: { statusCode: 200, headers: ['content-type', 'application/octet-stream', ...extra], body: Buffer.alloc(0) } };
  // A failed or timed-out function is logged by the host; the URL only says 502.
  const mapped = outcome.kind === 'result' ? mapUrlResponse(outcome.payload, requestId) : undefined;
  if (!mapped) return { answer: urlFailure(requestId) };
  if (!mapped.ok) return { answer: urlFailure(requestId), problem: `Malformed function URL response: ${mapped.problem}` };
  if (allowed) mapped.answer.headers.push('access-control-allow-origin', allowed);
  return { answer: mapped.answer };
}

/**
 * A response stream's part, on the wire at once: the prelude (status, headers, cookies; Lambda's
 * default content type for a stream is application/octet-stream) opens a chunked answer, and
 * each chunk is written as the handler writes it.
 */
function writeStreamed(res: ServerResponse, part: StreamPart, extra: string[]): void {
  if (!res.headersSent) {
    const prelude = part.prelude ?? {};
    const headers = Object.entries(prelude.headers ?? {}).flatMap(([name, value]) => [name, String(value)]);
    if (!headers.some((name, i) => i % 2 === 0 && name.toLowerCase() === 'content-type')) headers.push('content-type', 'application/octet-stream');
    for (const cookie of prelude.cookies ?? []) headers.push('set-cookie', cookie);
    res.writeHead(prelude.statusCode ?? 200, [...headers, ...extra]);
    res.flushHeaders();
  }
  if (part.chunk) res.write(part.chunk);
}

/** `/NAME/rest` → `/rest` (still encoded, as rawPath is). */
function insideFunction(path: string): string {
  const slash = path.indexOf('/', 1);
  return slash < 0 ? '/' : path.slice(slash);
}

/** A stable stand-in for the URL id Lambda would choose (32 lower-case letters and digits). */
export function localUrlId(name: string): string {
  return Buffer.from(`bam-dev-${name}`).toString('hex').slice(0, 32).padEnd(32, '0');
}
