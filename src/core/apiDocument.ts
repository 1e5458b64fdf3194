import type { EndpointType } from './records.js';
import { preflightHeaders } from './cors.js';
import { BINARY_MEDIA_TYPES } from './binaryMediaTypes.js';
import { withApiToken } from './tags.js';

/** Everything that decides what a function's REST API looks like. */
export interface ApiSpec {
  /** The function's name; also the API's title. */
  name: string;
  description: string;
  region: string;
  account: string;
  /** Upper-case HTTP methods (GET, POST, ..., ANY), already validated. */
  methods: string[];
  /** Sent beside the document (ImportRestApi parameters), not inside it. */
  endpointType: EndpointType;
  /** Allowed origin when CORS is on: API Gateway then answers preflights (OPTIONS) itself. */
  cors?: string;
  /** The operation token of an import, kept in the API's description so a lost answer can be found. */
  token?: string;
}

export const PROXY_PATH = '/{proxy+}';

export function functionArn(region: string, account: string, name: string): string {
  return `arn:aws:lambda:${region}:${account}:function:${name}`;
}

/** The URI API Gateway calls; known before the function exists, which lets both be created at once. */
export function invocationUri(region: string, account: string, name: string): string {
  return `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn(region, account, name)}/invocations`;
}

type Operation = Record<string, unknown>;

// OpenAPI 3 requires responses on every operation; with a proxy integration the function's own
// answer passes through, so one declared status is enough (the console creates the same 200).
const PROXY_RESPONSES = { '200': { description: "The function's response (Lambda proxy integration)" } };

/**
 * The OpenAPI 3 document of a bam API: BAM!'s topology (the root and a greedy {proxy+}
 * resource, every method on both, each a Lambda proxy integration) in one importable value.
 */
export function apiDocument(spec: ApiSpec): Record<string, unknown> {
  const integration = {
    type: 'aws_proxy',
    httpMethod: 'POST',
    uri: invocationUri(spec.region, spec.account, spec.name),
    passthroughBehavior: 'when_no_match',
  };
  const operations = (parameters?: unknown[]): Record<string, Operation> => ({
    ...Object.fromEntries(
      spec.methods.map((method) => [
        operationKey(method),
        {
          ...(parameters ? { parameters } : {}),
          security: [],
          responses: PROXY_RESPONSES,
          'x-amazon-apigateway-integration': integration,
        },
      ]),
    ),
    ...(spec.cors !== undefined ? { options: preflightOperation(spec.cors, spec.methods, parameters) } : {}),
  });
  const proxyParameter = { name: 'proxy', in: 'path', required: true, schema: { type: 'string' } };
  return {
    openapi: '3.0.1',
    info: {
      title: spec.name,
      description: withApiToken(apiDescription(spec), spec.token),
      version: '1.0',
    },
    paths: {
      '/': operations(),
      [PROXY_PATH]: operations([proxyParameter]),
    },
    'x-amazon-apigateway-binary-media-types': BINARY_MEDIA_TYPES,
  };
}

/** The API's description: the function's `// description:`, or a sentence saying whose endpoint it is. */
export function apiDescription(spec: Pick<ApiSpec, 'name' | 'description'>): string {
  return spec.description.trim() || `The endpoint of the Lambda function ${spec.name}, deployed with bam.`;
}

function operationKey(method: string): string {
  return method === 'ANY' ? 'x-amazon-apigateway-any-method' : method.toLowerCase();
}

/**
 * The CORS preflight: a MOCK integration, so API Gateway answers OPTIONS itself without
 * invoking the function. An explicit OPTIONS operation takes precedence over ANY for OPTIONS
 * requests, so with ANY the function still gets every other method.
 */
function preflightOperation(origin: string, methods: string[], parameters?: unknown[]): Operation {
  const headers = preflightHeaders(origin, methods);
  const names = Object.keys(headers);
  return {
    ...(parameters ? { parameters } : {}),
    security: [],
    responses: {
      '200': {
        description: 'CORS preflight',
        headers: Object.fromEntries(names.map((name) => [name, { schema: { type: 'string' } }])),
      },
    },
    'x-amazon-apigateway-integration': {
      type: 'mock',
      requestTemplates: { 'application/json': '{"statusCode": 200}' },
      passthroughBehavior: 'when_no_match',
      responses: {
        default: {
          statusCode: '200',
          // Static values are single-quoted string literals in API Gateway's mapping syntax.
          responseParameters: Object.fromEntries(names.map((name) => [`method.response.header.${name}`, `'${headers[name]}'`])),
        },
      },
    },
  };
}
