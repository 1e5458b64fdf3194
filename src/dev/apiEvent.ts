import { isBinaryMediaType } from '../core/binaryMediaTypes.js';
import { STAGE } from '../core/stage.js';
import { randomHex, requestUuid } from './requestIds.js';

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
  const ms = now.getTime();
  const requestId = requestUuid();
  const request = requestHeaders(call.rawHeaders);
  // Headers API Gateway adds in front of every integration.
  request.add('X-Forwarded-For', call.sourceIp);
  request.add('X-Forwarded-Port', portText(call.localPort));
  request.add('X-Forwarded-Proto', 'http');
  request.add('X-Amzn-Trace-Id', traceId(now, randomHex(24)));
  const query = queryMaps(call.query);
  const isRoot = call.path === '/';
  const resource = isRoot ? '/' : '/{proxy+}';
  const body = eventBody(call.body, request.contentType);
  return {
    resource,
    path: call.path,
    httpMethod: call.method,
    headers: request.headers,
    multiValueHeaders: request.multiValueHeaders,
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: isRoot ? null : { proxy: call.path.slice(1) },
    stageVariables: null,
    requestContext: {
      resourceId: randomHex(6),
      resourcePath: resource,
      httpMethod: call.method,
      extendedRequestId: randomHex(16),
      requestTime: clfTime(now),
      path: `/${STAGE}${call.path}`,
      accountId: call.accountId,
      protocol: 'HTTP/1.1',
      stage: STAGE,
      domainPrefix: call.apiId,
      requestTimeEpoch: ms,
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
        userAgent: request.userAgent ?? null,
        user: null,
      },
      domainName: request.host ?? `127.0.0.1:${call.localPort}`,
      apiId: call.apiId,
    },
    body: body.text,
    isBase64Encoded: body.isBase64Encoded,
  };
}

/** Request headers API Gateway does not pass to a Lambda proxy integration (hop-by-hop, or its own). */
const DROPPED_REQUEST_HEADERS = new Set(['connection', 'content-length', 'content-md5', 'expect', 'max-forwards', 'proxy-authenticate', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'www-authenticate']);

/**
 * The event's two header maps, built in one pass: headers keeps the last value of a repeated
 * header, multiValueHeaders all of them (as AWS). The headers the event itself reads are noted on
 * the way (the last value under the first casing sent, as headers[name] has it). Runs per request:
 * plain fields, no intermediate objects.
 */
class RequestHeaders {
  readonly headers: Record<string, string> = {};
  readonly multiValueHeaders: Record<string, string[]> = {};
  contentType: string | undefined;
  userAgent: string | undefined;
  host: string | undefined;
  private contentTypeName: string | undefined;
  private userAgentName: string | undefined;
  private hostName: string | undefined;

  add(name: string, value: string): void {
    const kind = headerKind(name);
    if (kind === HeaderKind.Dropped) return;
    this.headers[name] = value;
    const values = this.multiValueHeaders[name];
    if (values === undefined) this.multiValueHeaders[name] = [value];
    else values.push(value);
    if (kind === HeaderKind.ContentType) {
      this.contentTypeName ??= name;
      if (name === this.contentTypeName) this.contentType = value;
    } else if (kind === HeaderKind.UserAgent) {
      this.userAgentName ??= name;
      if (name === this.userAgentName) this.userAgent = value;
    } else if (kind === HeaderKind.Host) {
      this.hostName ??= name;
      if (name === this.hostName) this.host = value;
    }
  }
}

const enum HeaderKind {
  Other,
  Dropped,
  ContentType,
  UserAgent,
  Host,
}

/** What a header name is to the event, remembered per spelling (clients send the same few). */
function headerKind(name: string): HeaderKind {
  let kind = headerKinds.get(name);
  if (kind !== undefined) return kind;
  const lower = name.toLowerCase();
  kind = DROPPED_REQUEST_HEADERS.has(lower) ? HeaderKind.Dropped : lower === 'content-type' ? HeaderKind.ContentType : lower === 'user-agent' ? HeaderKind.UserAgent : lower === 'host' ? HeaderKind.Host : HeaderKind.Other;
  // Bounded: a client inventing header names does not grow it without end.
  if (headerKinds.size < 1000) headerKinds.set(name, kind);
  return kind;
}
const headerKinds = new Map<string, HeaderKind>();

function requestHeaders(raw: string[]): RequestHeaders {
  const request = new RequestHeaders();
  for (let i = 0; i + 1 < raw.length; i += 2) request.add(raw[i] as string, raw[i + 1] as string);
  return request;
}

/** The port as text, the same string for every request on it. */
function portText(port: number): string {
  if (port !== lastPort.port) lastPort = { port, text: String(port) };
  return lastPort.text;
}
let lastPort = { port: Number.NaN, text: '' };

const NO_QUERY = { single: null, multi: null } as const;
const NO_BODY = { text: null, isBase64Encoded: false } as const;

function queryMaps(query: string): { single: Record<string, string> | null; multi: Record<string, string[]> | null } {
  if (query === '') return NO_QUERY; // most requests: nothing to allocate
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [key, value] of new URLSearchParams(query)) {
    single[key] = value;
    (multi[key] ??= []).push(value);
  }
  return Object.keys(single).length === 0 ? { single: null, multi: null } : { single, multi };
}

function eventBody(body: Buffer, contentType: string | undefined): { text: string | null; isBase64Encoded: boolean } {
  if (body.length === 0) return NO_BODY;
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
export function traceId(date: Date, random = randomHex(24)): string {
  // The part before the random one is the same for a whole second.
  const second = Math.floor(date.getTime() / 1000);
  if (second !== tracePrefix.second) tracePrefix = { second, text: `Root=1-${second.toString(16)}-` };
  return tracePrefix.text + random;
}
let tracePrefix = { second: Number.NaN, text: '' };
