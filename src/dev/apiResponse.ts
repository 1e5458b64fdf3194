/** An HTTP answer ready to write: flat [name, value, …] headers keep repeats and casing. */
export interface HttpAnswer {
  statusCode: number;
  headers: string[];
  body: Buffer;
  /**
   * Only in the thread that writes it (see mapProxyResult's keepText): the function's text body,
   * sent as UTF-8, in place of body (then empty).
   */
  text?: string;
}

const NO_BYTES = Buffer.alloc(0);

/** What API Gateway answers itself, with its exact bodies and error-type headers. */
export const gatewayErrors = {
  missingAuthenticationToken: { statusCode: 403, type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' },
  internalServerError: { statusCode: 502, type: 'InternalServerErrorException', message: 'Internal server error' },
  endpointTimeout: { statusCode: 504, type: 'InternalServerErrorException', message: 'Endpoint request timed out' },
  // Over API Gateway's 10 MB payload quota (no error-type header claimed: only the status and body are known).
  requestTooLong: { statusCode: 413, type: undefined, message: 'Request Too Long' },
} as const;

export type GatewayError = (typeof gatewayErrors)[keyof typeof gatewayErrors];

export function gatewayAnswer(error: GatewayError, requestId: string): HttpAnswer {
  return {
    statusCode: error.statusCode,
    headers: ['Content-Type', 'application/json', 'x-amzn-RequestId', requestId, ...(error.type ? ['x-amzn-ErrorType', error.type] : [])],
    body: Buffer.from(JSON.stringify({ message: error.message })),
  };
}

/** A proxy response, or why API Gateway would call it malformed (and answer 502). */
export type MappedResponse = { ok: true; answer: HttpAnswer; base64Text?: boolean } | { ok: false; problem: string };

// Lambda's limit on a synchronous invocation's response; over it the invoke fails and API Gateway answers 502.
const LAMBDA_PAYLOAD_LIMIT = 6_291_556;
// The only keys a REST API's proxy integration accepts; any other (an HTTP API's `cookies`) makes the answer malformed.
const PROXY_RESULT_KEYS = new Set(['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded']);
/**
 * Response headers a REST API owns for a Lambda proxy integration: the function's reach the client
 * renamed x-amzn-Remapped-NAME, and API Gateway's own are sent (its Date, its Connection, the
 * length of the body it sends, its request id). The rest pass through as the function set them.
 */
const REMAPPED_HEADERS = new Set(['connection', 'content-length', 'date', 'server', 'x-amzn-requestid']);
// API Gateway frames the body itself; a function's Transfer-Encoding would corrupt the answer.
const DROPPED_HEADERS = new Set(['transfer-encoding']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/**
 * Maps the function's JSON result the way API Gateway's Lambda proxy integration does: statusCode,
 * headers, multiValueHeaders (both merged), body (a string; base64-decoded when isBase64Encoded and
 * the client's Accept asks for a binary media type) and Content-Type application/json when the
 * function sets none. Runs once per request, so it is written with plain loops.
 */
export function mapProxyResponse(payload: string, requestId: string, binaryAccepted: boolean | (() => boolean) = false): MappedResponse {
  // A UTF-16 unit is at most 3 UTF-8 bytes: most results need no count.
  const size = payload.length * 3 > LAMBDA_PAYLOAD_LIMIT ? Buffer.byteLength(payload) : 0;
  if (size > LAMBDA_PAYLOAD_LIMIT) return { ok: false, problem: `the result is ${size} bytes, over Lambda's response payload limit (${LAMBDA_PAYLOAD_LIMIT} bytes)` };
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return { ok: false, problem: 'the result is not JSON' };
  }
  return mapProxyResult(value, requestId, binaryAccepted);
}

/**
 * Whether the handler's result would come out of Lambda's JSON round trip (stringify, then parse)
 * as it is: a plain object of the proxy keys only, with string, number and boolean leaves in plain
 * objects and arrays, and a body that cannot reach the payload limit. Such a result is mapped as
 * it is (mapProxyResult) in the sandbox's own thread; any other goes through JSON, as on Lambda.
 */
export function survivesJson(result: unknown): boolean {
  if (!isPlainObject(result)) return false;
  for (const key in result) {
    const value = result[key];
    switch (key) {
      case 'statusCode':
        if (typeof value !== 'number' && typeof value !== 'string') return false;
        break;
      case 'body':
        if (value !== null && (typeof value !== 'string' || value.length * 3 > LAMBDA_PAYLOAD_LIMIT / 2)) return false;
        break;
      case 'isBase64Encoded':
        if (typeof value !== 'boolean') return false;
        break;
      case 'headers':
        if (!isPlainObject(value)) return false;
        for (const name in value) if (typeof value[name] !== 'string') return false;
        break;
      case 'multiValueHeaders':
        if (!isPlainObject(value)) return false;
        for (const name in value) {
          const list = value[name];
          if (!Array.isArray(list) || Object.getPrototypeOf(list) !== Array.prototype) return false;
          for (const item of list as unknown[]) if (typeof item !== 'string') return false;
        }
        break;
      default:
        return false;
    }
  }
  return true;
}

/** An object literal's kind (no class, no toJSON of its own or inherited, no array). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype && (value as { toJSON?: unknown }).toJSON === undefined;
}

/** The proxy response mapping of a result already through JSON (or one that survives it as it is). */
export function mapProxyResult(value: unknown, requestId: string, binaryAccepted: boolean | (() => boolean) = false, keepText = false): MappedResponse {
  if (!isObject(value)) return { ok: false, problem: `the result is ${value === null ? 'null' : typeof value}, not an object with statusCode` };
  const extra: string[] = [];
  for (const key in value) if (!PROXY_RESULT_KEYS.has(key)) extra.push(key);
  if (extra.length > 0) {
    return { ok: false, problem: `the result has ${extra.map((key) => `"${key}"`).join(', ')}; a REST API accepts only statusCode, headers, multiValueHeaders, body and isBase64Encoded (cookies go in multiValueHeaders Set-Cookie)` };
  }
  const statusCode = typeof value.statusCode === 'string' && /^\d+$/.test(value.statusCode) ? Number(value.statusCode) : value.statusCode;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    return { ok: false, problem: `statusCode must be an integer HTTP status, got ${JSON.stringify(value.statusCode)}` };
  }
  if (value.body !== undefined && value.body !== null && typeof value.body !== 'string') {
    return { ok: false, problem: `body must be a string (use JSON.stringify), got ${typeof value.body}` };
  }
  if (value.isBase64Encoded !== undefined && typeof value.isBase64Encoded !== 'boolean') {
    return { ok: false, problem: 'isBase64Encoded must be true or false' };
  }
  const multi = value.multiValueHeaders ?? {};
  if (!isObject(multi)) return { ok: false, problem: 'multiValueHeaders must be an object of string lists' };
  const single = value.headers ?? {};
  if (!isObject(single)) return { ok: false, problem: 'headers must be an object of strings' };
  const out = new OutHeaders();
  // A header named in both keeps only its multiValueHeaders values, as API Gateway merges them.
  let inMulti: Set<string> | undefined;
  for (const name in multi) (inMulti ??= new Set()).add(name.toLowerCase());
  for (const name in single) {
    const v = single[name];
    if (!isScalar(v)) return { ok: false, problem: `header "${name}" must be a string` };
    if (inMulti === undefined || !inMulti.has(name.toLowerCase())) out.add(name, v);
  }
  for (const name in multi) {
    const list = multi[name];
    if (!Array.isArray(list)) return { ok: false, problem: `multiValueHeaders "${name}" must be a list of strings` };
    for (const v of list as unknown[]) {
      if (!isScalar(v)) return { ok: false, problem: `multiValueHeaders "${name}" must be a list of strings` };
      out.add(name, v);
    }
  }
  if (out.invalid) return { ok: false, problem: out.invalid };
  const headers = out.list;
  if (!out.contentType) headers.push('Content-Type', 'application/json');
  headers.push('x-amzn-RequestId', requestId);
  const text = typeof value.body === 'string' ? value.body : '';
  // Asked only of a base64 answer: reading the Accept header costs more than most requests' mapping.
  const decode = value.isBase64Encoded === true && (typeof binaryAccepted === 'function' ? binaryAccepted() : binaryAccepted);
  // Written where it was mapped: the text goes to the socket as it is, with no copy into bytes and back.
  const answer: HttpAnswer = keepText && !decode ? { statusCode, headers, body: NO_BYTES, text } : { statusCode, headers, body: decode ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8') };
  return value.isBase64Encoded === true && !decode ? { ok: true, answer, base64Text: true } : { ok: true, answer };
}

/** The answer's headers as they go on the wire: remapped, dropped, the first invalid one noted. */
class OutHeaders {
  readonly list: string[] = [];
  contentType = false;
  invalid: string | undefined;

  add(name: string, value: string | number | boolean): void {
    const lower = name.toLowerCase();
    if (DROPPED_HEADERS.has(lower)) return;
    const text = String(value);
    this.invalid ??= headerProblem(name, text);
    if (REMAPPED_HEADERS.has(lower)) {
      this.list.push(`x-amzn-Remapped-${name}`, text);
      return;
    }
    if (lower === 'content-type') this.contentType = true;
    this.list.push(name, text);
  }
}

// Node's rules for what it puts on the wire (RFC 9110 token for a name; no CR, LF, NUL or other
// control character in a value): tested here, not caught as exceptions, since this runs per header.
const HEADER_NAME = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const BAD_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** Why a header cannot go on the wire (a name that is not an HTTP token, a value with CR, LF or NUL). */
function headerProblem(name: string, value: string): string | undefined {
  if (!HEADER_NAME.test(name)) return `header name ${JSON.stringify(name)} is not a valid HTTP header name (no spaces or separators)`;
  if (BAD_HEADER_VALUE.test(value)) return `header "${name}" has a character not allowed in an HTTP header value (CR, LF or another control character): ${JSON.stringify(value)}`;
  return undefined;
}
