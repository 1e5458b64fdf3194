import { randomFillSync, randomUUID } from 'node:crypto';
import { isBinaryMediaType } from '../core/binaryMediaTypes.js';
import { STAGE } from '../core/stage.js';

/** What the HTTP server knows about one request, already routed to a function. */
export interface IncomingCall {
  method: string;
  /** Path inside the function, always starting with `/` (the part after `/bam` on AWS). */
  path: string;
  /** The raw query string, without `?` ('' when none). */
  query: string;
  /** Node's rawHeaders: name, value, name, value… with the client's casing and repeats. */
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  localPort: number;
  accountId: string;
  apiId: string;
}

/** API Gateway's REST (v1) Lambda proxy event, field for field. */
export interface ProxyEvent {
  resource: string;
  path: string;
  httpMethod: string;
  headers: Record<string, string> | null;
  multiValueHeaders: Record<string, string[]> | null;
  queryStringParameters: Record<string, string> | null;
  multiValueQueryStringParameters: Record<string, string[]> | null;
  pathParameters: { proxy: string } | null;
  stageVariables: null;
  requestContext: Record<string, unknown>;
  body: string | null;
  isBase64Encoded: boolean;
}

export function buildProxyEvent(call: IncomingCall, now = new Date()): ProxyEvent {
  const requestId = randomUUID();
  const ids = hex(46);
  const { headers, multiValueHeaders, known } = headerMaps(call.rawHeaders, [
    // Headers API Gateway adds in front of every integration.
    'X-Forwarded-For', call.sourceIp,
    'X-Forwarded-Port', String(call.localPort),
    'X-Forwarded-Proto', 'http',
    'X-Amzn-Trace-Id', traceId(now, ids.slice(22)),
  ]);
  const { single: queryStringParameters, multi: multiValueQueryStringParameters } = queryMaps(call.query);
  const isRoot = call.path === '/';
  const resource = isRoot ? '/' : '/{proxy+}';
  const body = eventBody(call.body, known['content-type']);
  const userAgent = known['user-agent'] ?? null;
  return {
    resource,
    path: call.path,
    httpMethod: call.method,
    headers,
    multiValueHeaders,
    queryStringParameters,
    multiValueQueryStringParameters,
    pathParameters: isRoot ? null : { proxy: call.path.slice(1) },
    stageVariables: null,
    requestContext: {
      resourceId: ids.slice(0, 6),
      resourcePath: resource,
      httpMethod: call.method,
      extendedRequestId: ids.slice(6, 22),
      requestTime: clfTime(now),
      path: `/${STAGE}${call.path}`,
      accountId: call.accountId,
      protocol: 'HTTP/1.1',
      stage: STAGE,
      domainPrefix: call.apiId,
      requestTimeEpoch: now.getTime(),
      requestId,
      identity: {
        cognitoIdentityPoolId: null,
        accountId: null,
        cognitoIdentityId: null,
        caller: null,
        sourceIp: call.sourceIp,
        principalOrgId: null,
        accessKey: null,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: null,
        userAgent,
        user: null,
      },
      domainName: known.host ?? `127.0.0.1:${call.localPort}`,
      apiId: call.apiId,
    },
    body: body.text,
    isBase64Encoded: body.isBase64Encoded,
  };
}

/** Request headers API Gateway does not pass to a Lambda proxy integration (hop-by-hop, or its own). */
const DROPPED_REQUEST_HEADERS = new Set(['connection', 'content-length', 'content-md5', 'expect', 'max-forwards', 'proxy-authenticate', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'www-authenticate']);

/** The request headers the event itself reads, by lower-case name. */
type KnownHeaders = Partial<Record<'content-type' | 'user-agent' | 'host', string>>;

/**
 * headers keeps the last value of a repeated header, multiValueHeaders all of them (as AWS); `known`
 * has the headers the event reads (the first casing sent of each), found in the same pass.
 */
function headerMaps(raw: string[], added: string[]): { headers: Record<string, string> | null; multiValueHeaders: Record<string, string[]> | null; known: KnownHeaders } {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const knownNames: Partial<Record<keyof KnownHeaders, string>> = {};
  let count = 0;
  for (const list of [raw, added]) {
    for (let i = 0; i + 1 < list.length; i += 2) {
      const name = list[i] as string;
      const value = list[i + 1] as string;
      const lower = name.toLowerCase();
      if (DROPPED_REQUEST_HEADERS.has(lower)) continue;
      if (lower === 'content-type' || lower === 'user-agent' || lower === 'host') knownNames[lower] ??= name;
      headers[name] = value;
      (multiValueHeaders[name] ??= []).push(value);
      count += 1;
    }
  }
  const known: KnownHeaders = {};
  for (const lower of ['content-type', 'user-agent', 'host'] as const) {
    const name = knownNames[lower];
    if (name !== undefined) known[lower] = headers[name];
  }
  return count === 0 ? { headers: null, multiValueHeaders: null, known } : { headers, multiValueHeaders, known };
}

function queryMaps(query: string): { single: Record<string, string> | null; multi: Record<string, string[]> | null } {
  if (query === '') return { single: null, multi: null };
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [key, value] of new URLSearchParams(query)) {
    single[key] = value;
    (multi[key] ??= []).push(value);
  }
  return Object.keys(single).length === 0 ? { single: null, multi: null } : { single, multi };
}

function eventBody(body: Buffer, contentType: string | undefined): { text: string | null; isBase64Encoded: boolean } {
  if (body.length === 0) return { text: null, isBase64Encoded: false };
  // As the deployed API: base64 for the binary media types it declares, text for the rest (bytes
  // that are not UTF-8 are base64 too, where API Gateway would mangle them).
  const binary = contentType !== undefined && isBinaryMediaType(contentType);
  if (!binary && isUtf8(body)) return { text: body.toString('utf8'), isBase64Encoded: false };
  return { text: body.toString('base64'), isBase64Encoded: true };
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** requestTime as API Gateway writes it (and a function URL's requestContext.time): 09/Apr/2015:12:34:56 +0000. */
export function clfTime(date: Date): string {
  // The same text for a whole second: made once per second, not per request.
  const second = Math.floor(date.getTime() / 1000);
  if (second === lastClf.second) return lastClf.text;
  const two = (n: number) => String(n).padStart(2, '0');
  const text = `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()] ?? ''}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
  lastClf = { second, text };
  return text;
}
let lastClf = { second: Number.NaN, text: '' };

/** X-Amzn-Trace-Id: Root=1-{epoch seconds in hex}-{24 hex digits}. */
export function traceId(date: Date, random = hex(24)): string {
  return `Root=1-${Math.floor(date.getTime() / 1000).toString(16)}-${random}`;
}

/** Ids that only need to look like AWS's: hex of random bytes, taken from a pool refilled as it runs out. */
function hex(length: number): string {
  const bytes = Math.ceil(length / 2);
  if (randomAt + bytes > randomPool.length) {
    randomFillSync(randomPool);
    randomAt = 0;
  }
  randomAt += bytes;
  return randomPool.toString('hex', randomAt - bytes, randomAt).slice(0, length);
}
const randomPool = Buffer.alloc(4096);
let randomAt = randomPool.length;
