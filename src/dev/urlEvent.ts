import { randomUUID } from 'node:crypto';
import { clfTime, traceId } from './apiEvent.js';

/** What the local server knows about one request to a function URL. */
export interface UrlCall {
  method: string;
  /** The path as sent (still percent-encoded), always starting with `/`. */
  rawPath: string;
  /** The raw query string, without `?` ('' when none). */
  rawQueryString: string;
  /** Node's rawHeaders: name, value, name, value… */
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  accountId: string;
  /** The URL's id: the first label of its domain name. */
  urlId: string;
  region: string;
}

/** The payload format 2.0 event Lambda hands a function behind a function URL. */
export interface UrlEvent {
  version: '2.0';
  routeKey: '$default';
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  requestContext: {
    accountId: string;
    apiId: string;
    authentication: null;
    authorizer: null;
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    routeKey: '$default';
    stage: '$default';
    time: string;
    timeEpoch: number;
  };
  body?: string;
  pathParameters: null;
  isBase64Encoded: boolean;
  stageVariables: null;
}

/**
 * Lambda hands these request bodies over as text; every other one (no Content-Type, forms,
 * files) base64-encoded. The split is payload format 2.0's, which function URLs share with
 * HTTP APIs (AWS documents "binary is base64" without listing the types).
 */
const TEXT_TYPES = ['application/json', 'application/xml', 'application/javascript'];

function isTextBody(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type.startsWith('text/') || TEXT_TYPES.includes(type);
}

export function buildUrlEvent(call: UrlCall, now = new Date()): UrlEvent {
  const { headers, cookies } = headerMap(call.rawHeaders);
  const query = queryMap(call.rawQueryString);
  const domainName = `${call.urlId}.lambda-url.${call.region}.on.aws`;
  const hasBody = call.body.length > 0;
  const text = isTextBody(headers['content-type']);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: call.rawPath,
    rawQueryString: call.rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers: { ...headers, 'x-forwarded-for': call.sourceIp, 'x-forwarded-proto': 'https', 'x-forwarded-port': '443', 'x-amzn-trace-id': traceId(now) },
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: call.accountId,
      apiId: call.urlId,
      authentication: null,
      authorizer: null,
      domainName,
      domainPrefix: call.urlId,
      http: { method: call.method, path: decodePath(call.rawPath), protocol: 'HTTP/1.1', sourceIp: call.sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    ...(hasBody ? { body: text ? call.body.toString('utf8') : call.body.toString('base64') } : {}),
    pathParameters: null,
    isBase64Encoded: hasBody && !text,
    stageVariables: null,
  };
}

/**
 * Header names lower-cased, a repeated header's values joined with commas; the Cookie header
 * becomes the cookies list instead (one entry per cookie), as payload format 2.0 has it.
 */
function headerMap(raw: string[]): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    if (name === 'cookie') {
      cookies.push(...value.split(';').map((c) => c.trim()).filter(Boolean));
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return { headers, cookies };
}

/** Each parameter once, repeated values joined with commas; undefined without a query. */
function queryMap(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) query[key] = key in query ? `${query[key]},${value}` : value;
  return Object.keys(query).length > 0 ? query : undefined;
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

