// What a REST API with Lambda proxy integrations on `/` and `/{proxy+}` does around the function:
// the answers it gives itself, how it turns the function's outcome into the HTTP answer, and how
// that answer goes on the wire. Shared by bam dev's own server and by a worker that owns its
// connections (src/dev/directHttp.ts), so both answer the same.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { preflightHeaders } from '../core/cors.js';
import { acceptsBinary } from '../core/binaryMediaTypes.js';
import { gatewayAnswer, gatewayErrors, mapProxyResponse, mapProxyResult, type HttpAnswer } from './apiResponse.js';
import { MAX_BODY_BYTES } from './httpBody.js';
import { buildProxyEvent } from './apiEvent.js';
import type { FunctionHost, Invocation } from './functionHost.js';
import type { InvokeOutcome } from './sandbox.js';
import type { AccessLine, WireAnswer } from './protocol.js';

/** An answer, and why API Gateway gives it when that is not in the function's own log. */
export interface Answered {
  answer: HttpAnswer;
  problem?: string;
  /** The problem is said once per function (this one), not on every request. */
  onceFor?: string;
}

/** An access line as bam dev prints it: `GET /path 200 1.2 ms` (its problem, if any, is said after it). */
export function accessText(line: AccessLine): string {
  return `${line.method} ${line.url} ${line.statusCode} ${line.ms.toFixed(1)} ms`;
}

/** A result the handler returned in the thread that answers, unchanged by JSON (see survivesJson). */
export interface InThreadResult {
  kind: 'value';
  value: unknown;
}

/** What of a function the REST API's rules depend on. */
export interface RestFunction {
  name: string;
  /** Upper-case HTTP methods enabled (ANY enables all). */
  methods: string[];
  /** Allowed origin when the deployed API answers CORS preflights. */
  cors?: string;
}

/** The methods a REST API has: any other (PROPFIND, TRACE…) matches no method and never reaches the function. */
const REST_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

// Bodies up to this size are copied into a string to go out in one write with the head.
const ONE_WRITE_BYTES = 64 * 1024;

/** What API Gateway answers without calling the function, or undefined when the request goes to it. */
export function answerBeforeInvoke(method: string, fn: RestFunction): Answered | undefined {
  if (!REST_METHODS.has(method)) {
    return { answer: gatewayAnswer(gatewayErrors.missingAuthenticationToken, randomUUID()), problem: `a REST API has no ${method} method (only ${[...REST_METHODS].join(', ')}): API Gateway answers it itself` };
  }
  // The deployed API's mock OPTIONS operation takes precedence over ANY, so it does here too.
  if (method === 'OPTIONS' && fn.cors !== undefined) return { answer: preflight(fn.cors, fn.methods) };
  const enabled = fn.methods.includes('ANY') || fn.methods.includes(method);
  if (!enabled) return { answer: gatewayAnswer(gatewayErrors.missingAuthenticationToken, randomUUID()) };
  return undefined;
}

/** A body over API Gateway's payload quota: it answers 413 and the function never sees it. */
export function bodyTooLarge(requestId: string): Answered {
  return { answer: gatewayAnswer(gatewayErrors.requestTooLong, requestId), problem: `the body is over API Gateway's ${MAX_BODY_BYTES / 1024 / 1024} MB payload limit` };
}

/** No answer within API Gateway's integration timeout (the function runs on). */
export function endpointTimedOut(requestId: string, apiTimeoutMs: number): Answered {
  return { answer: gatewayAnswer(gatewayErrors.endpointTimeout, requestId), problem: `no answer within API Gateway's ${apiTimeoutMs / 1000} s integration timeout` };
}

/** The HTTP answer for the function's outcome: its proxy response mapped, or 502 when it failed or answered malformed. */
export function answerOutcome(outcome: InvokeOutcome | InThreadResult, requestId: string, acceptHeader: string | undefined | (() => string | undefined), fnName: string): Answered {
  // A failed or timed-out function is logged by the host; API Gateway only says 502.
  if (outcome.kind !== 'result' && outcome.kind !== 'value') return { answer: gatewayAnswer(gatewayErrors.internalServerError, requestId) };
  const accept = (): string | undefined => (typeof acceptHeader === 'function' ? acceptHeader() : acceptHeader);
  const binaryAccepted = (): boolean => acceptsBinary(accept());
  // A result returned in this thread is written here too: its text body is kept as text (see writeAnswer).
  const mapped = outcome.kind === 'value' ? mapProxyResult(outcome.value, requestId, binaryAccepted, true) : mapProxyResponse(outcome.payload, requestId, binaryAccepted);
  if (!mapped.ok) return { answer: gatewayAnswer(gatewayErrors.internalServerError, requestId), problem: `Malformed Lambda proxy response: ${mapped.problem}` };
  if (!mapped.base64Text) return { answer: mapped.answer };
  // Said once per function: the base64 text is what the deployed API sends too, and the reason is not obvious.
  const first = (accept() ?? 'none').split(',')[0]?.trim() ?? '';
  return {
    answer: mapped.answer,
    problem: `${fnName} answered isBase64Encoded, and the request's first Accept type (${first}) is not a binary media type: the client gets the base64 text, as from the deployed API (Accept: image/png, application/octet-stream… gets the bytes)`,
    onceFor: fnName,
  };
}

/** Writes the answer as API Gateway frames it: its own Content-Length, the head and a small body in one write. */
export function writeAnswer(res: ServerResponse, answer: WireAnswer & { text?: string }): void {
  const { text } = answer;
  const length = text === undefined ? answer.body.length : Buffer.byteLength(text);
  const headers = [...answer.headers];
  if (answer.statusCode >= 200 && answer.statusCode !== 204 && answer.statusCode !== 304) headers.push('Content-Length', String(length));
  res.writeHead(answer.statusCode, headers);
  // ASCII text (as many bytes as characters) is its own latin1: it goes out as it is.
  if (text !== undefined && length === text.length && length <= ONE_WRITE_BYTES) return void res.end(text, 'latin1');
  const body = text === undefined ? answer.body : Buffer.from(text, 'utf8');
  // A string goes out with the head in one write (a Buffer in a second one); latin1 keeps every byte.
  if (body.length <= ONE_WRITE_BYTES) res.end(Buffer.from(body.buffer, body.byteOffset, body.length).toString('latin1'), 'latin1');
  else res.end(body);
}

/** What the deployed API's mock integration answers: the same three headers and no body. */
function preflight(origin: string, methods: string[]): HttpAnswer {
  const headers = Object.entries(preflightHeaders(origin, methods)).flat();
  return { statusCode: 200, headers: [...headers, 'Content-Type', 'application/json'], body: Buffer.alloc(0) };
}

/** A request to the function, as the server read it. */
export interface RestCall {
  method: string;
  /** Path inside the function (from `/`), percent-encoding as sent, and the query. */
  path: string;
  query: string;
  rawHeaders: string[];
  accept: string | undefined;
  /** undefined when it is over API Gateway's payload quota. */
  body: Buffer | undefined;
  sourceIp: string;
  localPort: number;
}

export interface RestContext {
  accountId: string;
  apiId: string;
  /** API Gateway's integration timeout: 29 s unless raised. */
  apiTimeoutMs: number;
}

/** Runs the request in one of the function's sandboxes and answers as API Gateway would. */
export async function answerCall(host: FunctionHost, call: RestCall, context: RestContext): Promise<Answered> {
  if (!call.body) return bodyTooLarge(randomUUID());
  const event = buildProxyEvent({ ...call, body: call.body, accountId: context.accountId, apiId: context.apiId });
  const requestId = event.requestContext.requestId as string;
  const outcome = await withinTimeout(host.invoke(event), context.apiTimeoutMs);
  if (outcome === 'late') return endpointTimedOut(requestId, context.apiTimeoutMs);
  return answerOutcome(outcome, requestId, call.accept, host.fn.name);
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
