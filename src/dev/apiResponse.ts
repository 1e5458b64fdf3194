/** An HTTP answer ready to write: flat [name, value, …] headers keep repeats and casing. */
export interface HttpAnswer {
  statusCode: number;
  headers: string[];
  body: Buffer;
}

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
export type MappedResponse = { ok: true; answer: HttpAnswer } | { ok: false; problem: string };

// Lambda's limit on a synchronous invocation's response; over it the invoke fails and API Gateway answers 502.
const LAMBDA_PAYLOAD_LIMIT = 6_291_556;
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v);

/**
 * Maps the function's JSON result the way API Gateway's Lambda proxy integration does: statusCode,
 * headers, multiValueHeaders (both merged), body (a string; base64-decoded when isBase64Encoded)
 * and Content-Type application/json when the function sets none.
 */
export function mapProxyResponse(payload: string, requestId: string): MappedResponse {
  const size = Buffer.byteLength(payload);
  if (size > LAMBDA_PAYLOAD_LIMIT) return { ok: false, problem: `the result is ${size} bytes, over Lambda's response payload limit (${LAMBDA_PAYLOAD_LIMIT} bytes)` };
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return { ok: false, problem: 'the result is not JSON' };
  }
  if (!isObject(value)) return { ok: false, problem: `the result is ${value === null ? 'null' : typeof value}, not an object with statusCode` };
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
  const headers: string[] = [];
  const seen = new Set<string>();
  const add = (name: string, v: unknown): boolean => {
    if (!isScalar(v)) return false;
    // API Gateway frames the body itself; a stale Content-Length from the function would hang the client.
    if (FRAMING_HEADERS.has(name.toLowerCase())) return true;
    headers.push(name, String(v));
    seen.add(name.toLowerCase());
    return true;
  };
  const multi = value.multiValueHeaders ?? {};
  if (!isObject(multi)) return { ok: false, problem: 'multiValueHeaders must be an object of string lists' };
  // A header named in both keeps only its multiValueHeaders values, as API Gateway merges them.
  const inMulti = new Set(Object.keys(multi).map((name) => name.toLowerCase()));
  if (value.headers !== undefined && value.headers !== null) {
    if (!isObject(value.headers)) return { ok: false, problem: 'headers must be an object of strings' };
    for (const [name, v] of Object.entries(value.headers)) {
      if (!isScalar(v)) return { ok: false, problem: `header "${name}" must be a string` };
      if (!inMulti.has(name.toLowerCase())) add(name, v);
    }
  }
  for (const [name, list] of Object.entries(multi)) {
    if (!Array.isArray(list) || !list.every((v) => add(name, v))) return { ok: false, problem: `multiValueHeaders "${name}" must be a list of strings` };
  }
  if (!seen.has('content-type')) headers.push('Content-Type', 'application/json');
  headers.push('x-amzn-RequestId', requestId);
  const text = typeof value.body === 'string' ? value.body : '';
  const body = value.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  return { ok: true, answer: { statusCode, headers, body } };
}
