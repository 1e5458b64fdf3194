import { describe, expect, it } from 'vitest';
import { apiDocument, functionArn, invocationUri, type ApiSpec } from '../../src/core/apiDocument.js';
import { corsAllowMethods, preflightHeaders } from '../../src/core/cors.js';
import { BINARY_MEDIA_TYPES, isBinaryMediaType } from '../../src/core/binaryMediaTypes.js';

const spec: ApiSpec = {
  name: 'hello',
  description: 'Says hello',
  region: 'eu-west-3',
  account: '123456789012',
  methods: ['GET'],
  endpointType: 'EDGE',
};

const integration = {
  type: 'aws_proxy',
  httpMethod: 'POST',
  uri: 'arn:aws:apigateway:eu-west-3:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-3:123456789012:function:hello/invocations',
  passthroughBehavior: 'when_no_match',
};
const responses = { '200': { description: expect.any(String) as string } };

describe('apiDocument', () => {
  it('is an OpenAPI 3 document titled after the function, with its description', () => {
    const doc = apiDocument(spec);
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info).toEqual({ title: 'hello', description: 'Says hello', version: expect.any(String) as string });
  });

  it('declares binary media types for files, never a wildcard that would base64 JSON bodies', () => {
    const doc = apiDocument(spec);
    expect(doc['x-amazon-apigateway-binary-media-types']).toEqual(BINARY_MEDIA_TYPES);
    expect(BINARY_MEDIA_TYPES).toContain('image/*');
    expect(BINARY_MEDIA_TYPES).not.toContain('*/*');
    for (const type of ['image/png', 'IMAGE/JPEG', 'application/octet-stream', 'multipart/form-data; boundary=x', 'application/pdf']) {
      expect(isBinaryMediaType(type), type).toBe(true);
    }
    for (const type of ['application/json', 'text/html; charset=utf-8', 'application/x-www-form-urlencoded', 'application/vnd.api+json', 'imagex/png']) {
      expect(isBinaryMediaType(type), type).toBe(false);
    }
  });

  it('has a non-empty description even when the function has none', () => {
    const info = apiDocument({ ...spec, description: '  ' }).info as { description: string };
    expect(info.description).toContain('hello');
  });

  it('puts each method on the root and on the greedy {proxy+} path, as a Lambda proxy integration without auth', () => {
    const doc = apiDocument({ ...spec, methods: ['GET', 'POST', 'ANY'] });
    expect(doc.paths).toEqual({
      '/': {
        get: { security: [], responses, 'x-amazon-apigateway-integration': integration },
        post: { security: [], responses, 'x-amazon-apigateway-integration': integration },
        'x-amazon-apigateway-any-method': { security: [], responses, 'x-amazon-apigateway-integration': integration },
      },
      '/{proxy+}': Object.fromEntries(
        ['get', 'post', 'x-amazon-apigateway-any-method'].map((key) => [
          key,
          {
            parameters: [{ name: 'proxy', in: 'path', required: true, schema: { type: 'string' } }],
            security: [],
            responses,
            'x-amazon-apigateway-integration': integration,
          },
        ]),
      ),
    });
  });

  it('gives every operation what OpenAPI 3 requires (responses, each with a description) and declares the proxy path parameter', () => {
    for (const cors of [undefined, '*']) {
      const doc = apiDocument({ ...spec, methods: ['GET', 'POST', 'ANY'], ...(cors ? { cors } : {}) });
      for (const [path, operations] of Object.entries(doc.paths as Record<string, Record<string, Record<string, unknown>>>)) {
        for (const operation of Object.values(operations)) {
          const responses = Object.values(operation.responses as Record<string, { description?: unknown }>);
          expect(responses.length).toBeGreaterThan(0);
          for (const response of responses) expect(typeof response.description).toBe('string');
          const declared = ((operation.parameters ?? []) as { name: string; in: string; required: boolean }[]).filter((p) => p.in === 'path');
          expect(declared).toEqual(path === '/{proxy+}' ? [expect.objectContaining({ name: 'proxy', required: true })] : []);
        }
      }
    }
  });

  it('knows the function\'s ARN and invocation URI from region, account and name alone', () => {
    expect(functionArn('us-east-1', '111122223333', 'f')).toBe('arn:aws:lambda:us-east-1:111122223333:function:f');
    expect(invocationUri('us-east-1', '111122223333', 'f')).toBe(
      'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:111122223333:function:f/invocations',
    );
  });

  it('is a pure function: same input, same JSON', () => {
    expect(JSON.stringify(apiDocument(spec))).toBe(JSON.stringify(apiDocument({ ...spec })));
  });
});

type Paths = Record<string, Record<string, Record<string, unknown>>>;
const pathsOf = (doc: Record<string, unknown>) => doc.paths as Paths;
const ALLOW_HEADERS = "'Content-Type,Authorization,X-Amz-Date,X-Api-Key,X-Amz-Security-Token'";

describe('apiDocument with CORS', () => {
  it('adds no OPTIONS operation without cors', () => {
    for (const path of ['/', '/{proxy+}']) expect(Object.keys(pathsOf(apiDocument(spec))[path]!)).toEqual(['get']);
  });

  it('answers OPTIONS on / and /{proxy+} with a mock integration that sends the three CORS headers', () => {
    const paths = pathsOf(apiDocument({ ...spec, methods: ['GET', 'POST'], cors: 'https://example.com' }));
    for (const path of ['/', '/{proxy+}']) {
      expect(Object.keys(paths[path]!)).toEqual(['get', 'post', 'options']);
      const options = paths[path]!.options!;
      expect(options['x-amazon-apigateway-integration']).toEqual({
        type: 'mock',
        requestTemplates: { 'application/json': '{"statusCode": 200}' },
        passthroughBehavior: 'when_no_match',
        responses: {
          default: {
            statusCode: '200',
            responseParameters: {
              'method.response.header.Access-Control-Allow-Origin': "'https://example.com'",
              'method.response.header.Access-Control-Allow-Methods': "'GET,POST,OPTIONS'",
              'method.response.header.Access-Control-Allow-Headers': ALLOW_HEADERS,
            },
          },
        },
      });
      // API Gateway only maps headers the method response declares.
      expect(options.responses).toEqual({
        '200': {
          description: expect.any(String) as string,
          headers: {
            'Access-Control-Allow-Origin': { schema: { type: 'string' } },
            'Access-Control-Allow-Methods': { schema: { type: 'string' } },
            'Access-Control-Allow-Headers': { schema: { type: 'string' } },
          },
        },
      });
      expect(options.security).toEqual([]);
    }
    expect(paths['/{proxy+}']!.options!.parameters).toEqual([{ name: 'proxy', in: 'path', required: true, schema: { type: 'string' } }]);
    expect(paths['/']!.options!.parameters).toBeUndefined();
  });

  it('allows exactly the function\'s methods plus OPTIONS, in step with the method list', () => {
    const allowed = (methods: string[]) => {
      const options = pathsOf(apiDocument({ ...spec, methods, cors: '*' }))['/']!.options!;
      const integration = options['x-amazon-apigateway-integration'] as { responses: { default: { responseParameters: Record<string, string> } } };
      return integration.responses.default.responseParameters;
    };
    expect(allowed(['GET'])['method.response.header.Access-Control-Allow-Methods']).toBe("'GET,OPTIONS'");
    expect(allowed(['PUT', 'DELETE'])['method.response.header.Access-Control-Allow-Methods']).toBe("'PUT,DELETE,OPTIONS'");
    expect(allowed(['GET'])['method.response.header.Access-Control-Allow-Origin']).toBe("'*'");
  });

  it('with ANY keeps the any-method proxy operation beside the mock OPTIONS, and allows every method', () => {
    const paths = pathsOf(apiDocument({ ...spec, methods: ['ANY'], cors: '*' }));
    for (const path of ['/', '/{proxy+}']) {
      expect(Object.keys(paths[path]!)).toEqual(['x-amazon-apigateway-any-method', 'options']);
      expect((paths[path]!['x-amazon-apigateway-any-method']!['x-amazon-apigateway-integration'] as { type: string }).type).toBe('aws_proxy');
    }
    expect(corsAllowMethods(['ANY'])).toBe('GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS');
  });

  it('shares its headers with bam dev\'s preflight answer', () => {
    expect(preflightHeaders('*', ['GET'])).toEqual({
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'GET,OPTIONS',
      'Access-Control-Allow-Headers': ALLOW_HEADERS.slice(1, -1),
    });
  });
});
