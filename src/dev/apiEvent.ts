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
  const { headers, multiValueHeaders } = headerMaps([
    ...call.rawHeaders,
    // Headers API Gateway adds in front of every integration.
    'X-Forwarded-For', call.sourceIp,
    'X-Forwarded-Port', String(call.localPort),
    'X-Forwarded-Proto', 'http',
    'X-Amzn-Trace-Id', traceId(now),
  ]);
  const { single: queryStringParameters, multi: multiValueQueryStringParameters } = queryMaps(call.query);
  const isRoot = call.path === '/';
  const resource = isRoot ? '/' : '/{proxy+}';
  const body = eventBody(call.body, lowerLookup(headers, 'content-type'));
  const userAgent = lowerLookup(headers, 'user-agent') ?? null;
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
      resourceId: hex(6),
      resourcePath: resource,
      httpMethod: call.method,
      extendedRequestId: hex(16),
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
      domainName: lowerLookup(headers, 'host') ?? `127.0.0.1:${call.localPort}`,
      apiId: call.apiId,
    },
    body: body.text,
    isBase64Encoded: body.isBase64Encoded,
  };
}

/** Request headers API Gateway does not pass to a Lambda proxy integration (hop-by-hop, or its own). */
const DROPPED_REQUEST_HEADERS = new Set(['connection', 'content-length', 'content-md5', 'expect', 'max-forwards', 'proxy-authenticate', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'www-authenticate']);

/** headers keeps the last value of a repeated header, multiValueHeaders all of them (as AWS). */
function headerMaps(raw: string[]): { headers: Record<string, string> | null; multiValueHeaders: Record<string, string[]> | null } {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (DROPPED_REQUEST_HEADERS.has(name.toLowerCase())) continue;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  return Object.keys(headers).length === 0 ? { headers: null, multiValueHeaders: null } : { headers, multiValueHeaders };
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

/** Header names are case-insensitive; the event keeps the client's casing. */
function lowerLookup(headers: Record<string, string> | null, lowerName: string): string | undefined {
  if (!headers) return undefined;
  // Once per request for each of three names: a plain loop allocates nothing (Object.entries would).
  for (const name in headers) {
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) return headers[name];
  }
  return undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** requestTime as API Gateway writes it (and a function URL's requestContext.time): 09/Apr/2015:12:34:56 +0000. */
export function clfTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()] ?? ''}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

export function traceId(date: Date): string {
  return `Root=1-${Math.floor(date.getTime() / 1000).toString(16)}-${hex(24)}`;
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
