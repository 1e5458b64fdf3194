import { describe, expect, it } from 'vitest';
import { apiDocument, functionArn, invocationUri, type ApiSpec } from '../../src/aws/apiDocument.js';

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

describe('apiDocument', () => {
  it('is an OpenAPI 3 document titled after the function, with its description', () => {
    const doc = apiDocument(spec);
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info).toEqual({ title: 'hello', description: 'Says hello', version: expect.any(String) as string });
  });

  it('has a non-empty description even when the function has none', () => {
    const info = apiDocument({ ...spec, description: '  ' }).info as { description: string };
    expect(info.description).toContain('hello');
  });

  it('puts each method on the root and on the greedy {proxy+} path, as a Lambda proxy integration without auth', () => {
    const doc = apiDocument({ ...spec, methods: ['GET', 'POST', 'ANY'] });
    expect(doc.paths).toEqual({
      '/': {
        get: { security: [], 'x-amazon-apigateway-integration': integration },
        post: { security: [], 'x-amazon-apigateway-integration': integration },
        'x-amazon-apigateway-any-method': { security: [], 'x-amazon-apigateway-integration': integration },
      },
      '/{proxy+}': Object.fromEntries(
        ['get', 'post', 'x-amazon-apigateway-any-method'].map((key) => [
          key,
          {
            parameters: [{ name: 'proxy', in: 'path', required: true, schema: { type: 'string' } }],
            security: [],
            'x-amazon-apigateway-integration': integration,
          },
        ]),
      ),
    });
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
