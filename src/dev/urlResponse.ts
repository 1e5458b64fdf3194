import type { HttpAnswer } from './apiResponse.js';
import type { UrlCors } from '../core/functionUrl.js';

/** A 2.0 response, or why Lambda would refuse it (502). */
export type MappedUrlResponse = { ok: true; answer: HttpAnswer } | { ok: false; problem: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v);
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding']);

/**
 * Maps a function's result as a function URL does (payload format 2.0): valid JSON without a
 * statusCode is the body of a 200 application/json answer as it is (a bare string keeps its
 * quotes); an object with statusCode gives status, headers, body (base64-decoded when
 * isBase64Encoded) and one Set-Cookie per entry of cookies.
 */
export function mapUrlResponse(payload: string, requestId: string): MappedUrlResponse {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return { ok: false, problem: 'the result is not JSON' };
  }
  if (!isObject(value) || value.statusCode === undefined) {
    return { ok: true, answer: { statusCode: 200, headers: ['content-type', 'application/json', 'x-amzn-RequestId', requestId], body: Buffer.from(payload) } };
  }
  const { statusCode } = value;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    return { ok: false, problem: `statusCode must be an integer HTTP status, got ${JSON.stringify(statusCode)}` };
  }
  const headers: string[] = [];
  if (value.headers !== undefined && value.headers !== null) {
    if (!isObject(value.headers)) return { ok: false, problem: 'headers must be an object of strings' };
    for (const [name, v] of Object.entries(value.headers)) {
      if (!isScalar(v)) return { ok: false, problem: `header "${name}" must be a string` };
      if (!FRAMING_HEADERS.has(name.toLowerCase())) headers.push(name, String(v));
    }
  }
  if (value.cookies !== undefined) {
    if (!Array.isArray(value.cookies) || !value.cookies.every((c) => typeof c === 'string')) return { ok: false, problem: 'cookies must be a list of strings' };
    for (const cookie of value.cookies) headers.push('set-cookie', cookie);
  }
  if (!headers.some((name, i) => i % 2 === 0 && name.toLowerCase() === 'content-type')) headers.push('content-type', 'application/json');
  headers.push('x-amzn-RequestId', requestId);
  const body = value.body === undefined || value.body === null ? '' : typeof value.body === 'string' ? value.body : JSON.stringify(value.body);
  return { ok: true, answer: { statusCode, headers, body: value.isBase64Encoded === true ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8') } };
}

/** The origin a URL's CORS allows for this request: '*', the request's own origin when listed, else none. */
export function allowedOrigin(cors: UrlCors, requestOrigin: string | undefined): string | undefined {
  if (cors.AllowOrigins.includes('*')) return '*';
  return requestOrigin !== undefined && cors.AllowOrigins.includes(requestOrigin) ? requestOrigin : undefined;
}

/** Lambda answers a preflight itself when the URL has CORS: the function is not invoked. */
export function urlPreflight(cors: UrlCors, requestOrigin: string | undefined): HttpAnswer {
  const origin = allowedOrigin(cors, requestOrigin);
  const headers = origin
    ? ['access-control-allow-origin', origin, 'access-control-allow-methods', cors.AllowMethods.join(','), 'access-control-allow-headers', cors.AllowHeaders.join(',').toLowerCase()]
    : [];
  return { statusCode: 200, headers, body: Buffer.alloc(0) };
}

/** An answer that failed to map, or a function that failed: Lambda's 502. */
export function urlFailure(requestId: string): HttpAnswer {
  return { statusCode: 502, headers: ['content-type', 'application/json', 'x-amzn-RequestId', requestId], body: Buffer.from(JSON.stringify({ Message: 'Internal Server Error' })) };
}
