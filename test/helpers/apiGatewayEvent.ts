import type { ProxyEvent } from '../../src/dev/apiEvent.js';

export type { ProxyEvent };
/**
 * A REST API (v1) Lambda proxy event as API Gateway sends it for a deployed bam function
 * (stage "bam", resources "/" and "/{proxy+}"): every field present, absent parts null.
 */
export interface ProxyEventOptions {
  method: string;
  /** Path after the stage, e.g. "/users/42" ("/" for the root). */
  path?: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string | object;
  base64?: boolean;
}


export function proxyEvent(options: ProxyEventOptions): ProxyEvent {
  const path = options.path ?? '/';
  const proxy = path.replace(/^\/+/, '');
  const headers = {
    Accept: '*/*',
    Host: 'abc123.execute-api.us-east-1.amazonaws.com',
    'User-Agent': 'curl/8.5.0',
    'X-Forwarded-For': '203.0.113.7',
    'X-Forwarded-Proto': 'https',
    ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
    ...options.headers,
  };
  const query = options.query && Object.keys(options.query).length > 0 ? options.query : undefined;
  const text = options.body === undefined ? null : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const resource = proxy ? '/{proxy+}' : '/';
  return {
    resource,
    path,
    httpMethod: options.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    // API Gateway keeps the last value of a repeated parameter here, all of them below.
    queryStringParameters: query ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, Array.isArray(v) ? v[v.length - 1]! : v])) : null,
    multiValueQueryStringParameters: query ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, Array.isArray(v) ? v : [v]])) : null,
    pathParameters: proxy ? { proxy } : null,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      httpMethod: options.method,
      identity: { sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' },
      path: `/bam${path}`,
      protocol: 'HTTP/1.1',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTime: '09/Apr/2026:12:34:56 +0000',
      requestTimeEpoch: 1775738096000,
      resourceId: 'xyz789',
      resourcePath: resource,
      stage: 'bam',
    },
    body: text === null ? null : options.base64 ? Buffer.from(text).toString('base64') : text,
    isBase64Encoded: Boolean(options.base64),
  };
}

/** The Lambda context object (only what handlers commonly read). */
export function lambdaContext(functionName: string) {
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '128',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/04/09/[$LATEST]abcdef',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 3000,
  };
}
