import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawRequest, root, startDev, stopAll, type DevProcess } from './devProcess.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';

// The built CLI's `bam dev` as a real process, serving functions as function URLs (payload format 2.0).

/**
 * AWS's documented request payload for function URLs: Lambda developer guide, "Invoking Lambda
 * function URLs" → "Request and response payloads" → "Request payload format"
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-request-payload).
 * The request below is the one that example describes; the values are the example's own.
 * Its authorizer holds the IAM caller of an AWS_IAM URL; bam's URLs are AuthType NONE, for
 * which the same page says Lambda sets it to null.
 */
const DOCUMENTED_EXAMPLE = {
  version: '2.0',
  routeKey: '$default',
  rawPath: '/my/path',
  rawQueryString: 'parameter1=value1&parameter1=value2&parameter2=value',
  cookies: ['cookie1', 'cookie2'],
  headers: { header1: 'value1', header2: 'value1,value2' },
  queryStringParameters: { parameter1: 'value1,value2', parameter2: 'value' },
  requestContext: {
    accountId: '123456789012',
    apiId: '<urlid>',
    authentication: null,
    authorizer: null,
    domainName: '<url-id>.lambda-url.us-west-2.on.aws',
    domainPrefix: '<url-id>',
    http: { method: 'POST', path: '/my/path', protocol: 'HTTP/1.1', sourceIp: '123.123.123.123', userAgent: 'agent' },
    requestId: 'id',
    routeKey: '$default',
    stage: '$default',
    time: '12/Mar/2020:19:03:58 +0000',
    timeEpoch: 1583348638390,
  },
  body: 'Hello from client!',
  pathParameters: null,
  isBase64Encoded: false,
  stageVariables: null,
};

type UrlEvent = typeof DOCUMENTED_EXAMPLE & { headers: Record<string, string>; body?: string };

const sortedKeys = (value: object): string[] => Object.keys(value).sort();

let world: TestWorld;
let cwd: string;
let dev: DevProcess;
/** The file whose existence lets the streaming handler finish. */
let release: string;

beforeAll(async () => {
  world = await makeWorld();
  cwd = await mkdtemp(join(tmpdir(), 'bam-url-cwd-'));
  await cp(join(root, 'test/fixtures/url'), cwd, { recursive: true });
  release = join(await mkdtemp(join(tmpdir(), 'bam-url-release-')), 'release');
  dev = await startDev(['urlecho', 'answers', 'stream', '--url', '--cors', 'https://example.com', '--timeout', '60', '--env', `RELEASE=${release}`], { cwd, home: world.home });
});
afterAll(async () => {
  await stopAll();
  await rm(cwd, { recursive: true, force: true });
  await world.cleanup();
});

async function echo(path: string, options: Parameters<typeof rawRequest>[1] = {}): Promise<UrlEvent> {
  const res = await rawRequest(`${dev.urls.get('urlecho')!.replace(/\/$/, '')}${path}`, options);
  expect(res.status, res.body.toString()).toBe(200);
  return JSON.parse(res.body.toString()) as UrlEvent;
}

describe('bam dev --url: the payload format 2.0 event', () => {
  it("has the keys of AWS's documented example, with the example request's values", async () => {
    const event = await echo('/my/path?parameter1=value1&parameter1=value2&parameter2=value', {
      method: 'POST',
      headers: { header1: 'value1', header2: ['value1', 'value2'], cookie: 'cookie1; cookie2', 'user-agent': 'agent', 'content-type': 'text/plain' },
      body: Buffer.from('Hello from client!'),
    });
    expect(sortedKeys(event)).toEqual(sortedKeys(DOCUMENTED_EXAMPLE));
    expect(sortedKeys(event.requestContext)).toEqual(sortedKeys(DOCUMENTED_EXAMPLE.requestContext));
    expect(sortedKeys(event.requestContext.http)).toEqual(sortedKeys(DOCUMENTED_EXAMPLE.requestContext.http));
    for (const key of ['version', 'routeKey', 'rawPath', 'rawQueryString', 'cookies', 'queryStringParameters', 'body', 'pathParameters', 'isBase64Encoded', 'stageVariables'] as const) {
      expect(event[key], key).toEqual(DOCUMENTED_EXAMPLE[key]);
    }
    // Header names lower-cased, a repeated header's values comma-joined; the cookies are not among them.
    expect(event.headers).toMatchObject(DOCUMENTED_EXAMPLE.headers);
    expect(event.headers).not.toHaveProperty('cookie');
    const { requestContext: context } = event;
    expect({ ...context.http, sourceIp: '123.123.123.123' }).toEqual(DOCUMENTED_EXAMPLE.requestContext.http);
    expect(context.http.sourceIp).toMatch(/^(127\.0\.0\.1|::ffff:127\.0\.0\.1|::1)$/);
    expect(context).toMatchObject({ authentication: null, authorizer: null, routeKey: '$default', stage: '$default' });
    expect(context.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(context.timeEpoch - Date.now())).toBeLessThan(10 * 60_000);
    expect(context.domainName).toBe(`${context.apiId}.lambda-url.us-east-1.on.aws`);
    expect(context.domainPrefix).toBe(context.apiId);
    expect(context.apiId).toMatch(/^[a-z0-9]{32}$/);
    expect(context.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('leaves out cookies, queryStringParameters and body when the request has none, and rawQueryString is empty', async () => {
    const event = await echo('/');
    expect(event).not.toHaveProperty('cookies');
    expect(event).not.toHaveProperty('queryStringParameters');
    expect(event).not.toHaveProperty('body');
    expect(event.rawQueryString).toBe('');
    expect(event.rawPath).toBe('/');
    expect(event.isBase64Encoded).toBe(false);
  });

  it('keeps rawPath encoded and decodes http.path', async () => {
    const event = await echo('/a%20b/c');
    expect(event.rawPath).toBe('/a%20b/c');
    expect(event.requestContext.http.path).toBe('/a b/c');
  });

  it('base64-encodes every body that is not text: binary, forms, no content type; JSON and text/* stay text', async () => {
    const cases: [string | undefined, boolean][] = [
      ['application/json', false],
      ['text/html; charset=utf-8', false],
      ['application/xml', false],
      ['application/octet-stream', true],
      ['application/x-www-form-urlencoded', true],
      [undefined, true],
    ];
    for (const [type, base64] of cases) {
      const event = await echo('/', { method: 'PUT', headers: type ? { 'content-type': type } : {}, body: Buffer.from('a=1') });
      expect(event.isBase64Encoded, type ?? 'no content type').toBe(base64);
      expect(event.body).toBe(base64 ? Buffer.from('a=1').toString('base64') : 'a=1');
    }
  });

  it('serves every method and path (a URL has no method list)', async () => {
    for (const method of ['GET', 'DELETE', 'PATCH']) expect((await echo('/any/where', { method })).requestContext.http.method).toBe(method);
  });
});

describe('bam dev --url: the 2.0 response', () => {
  const answer = (kind: string, headers: Record<string, string> = {}) => rawRequest(`${dev.urls.get('answers')!}?kind=${kind}`, { headers });

  it('a bare string is a 200 application/json answer whose body is the JSON string, quotes and all (as AWS documents)', async () => {
    const res = await answer('string');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body.toString()).toBe('"Hello, world!"');
  });

  it('an object without statusCode is a 200 application/json answer of that object', async () => {
    const res = await answer('object');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body.toString())).toEqual({ message: 'Hello, world!' });
  });

  it('cookies become one Set-Cookie each, beside the headers and status given', async () => {
    const res = await answer('cookies');
    expect(res.status).toBe(201);
    expect(res.headers['my-custom-header']).toBe('Custom Value');
    expect(res.headers['set-cookie']).toEqual(['Cookie_1=Value1; Expires=21 Oct 2021 07:48 GMT', 'Cookie_2=Value2; Max-Age=78000']);
    expect(JSON.parse(res.body.toString())).toEqual({ message: 'Hello, world!' });
  });

  it('decodes an isBase64Encoded body, and defaults content-type to application/json', async () => {
    expect((await answer('base64')).body).toEqual(Buffer.from([0, 1, 2, 255]));
    const text = await answer('text');
    expect(text.status).toBe(404);
    expect(text.headers['content-type']).toBe('application/json');
    expect(text.body.toString()).toBe('not here');
  });

  it('answers 502 to a malformed answer and to a function that throws, and says why', async () => {
    expect((await answer('bad')).status).toBe(502);
    expect((await answer('none')).status).toBe(502);
    await dev.waitForOutput(/Malformed function URL response: statusCode must be an integer HTTP status/);
  });
});

describe("bam dev --url --cors: the URL's own CORS", () => {
  it('answers a preflight itself, without invoking the function', async () => {
    const res = await rawRequest(dev.urls.get('answers')!, {
      method: 'OPTIONS',
      headers: { origin: 'https://example.com', 'access-control-request-method': 'PUT' },
    });
    // The function would have thrown (no kind): a 200 says Lambda answered.
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://example.com');
    expect(res.headers['access-control-allow-methods']).toBe('*');
    expect(res.headers['access-control-allow-headers']).toBe('content-type,authorization,x-amz-date,x-api-key,x-amz-security-token');
  });

  it('adds the allowed origin to answers for that origin only', async () => {
    const allowed = await rawRequest(`${dev.urls.get('answers')!}?kind=object`, { headers: { origin: 'https://example.com' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://example.com');
    const other = await rawRequest(`${dev.urls.get('answers')!}?kind=object`, { headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await rawRequest(dev.urls.get('answers')!, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('bam dev --url: response streaming (awslambda.streamifyResponse)', () => {
  it('sends the first chunk while the handler still runs, with the prelude\'s status, headers and cookies, chunked', async () => {
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      request(dev.urls.get('stream')!, { headers: { origin: 'https://example.com' } }, resolve).on('error', reject).end();
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toBe('text/plain');
    expect(res.headers['set-cookie']).toEqual(['step=1']);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['access-control-allow-origin']).toBe('https://example.com');
    const chunks: string[] = [];
    const firstChunk = new Promise<string>((resolve) => res.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    // The handler cannot finish before RELEASE exists: a first chunk now was sent while it ran.
    chunks.push(await firstChunk);
    expect(chunks[0]).toBe('first;');
    res.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const ended = new Promise<void>((resolve) => res.once('end', resolve));
    await writeFile(release, '');
    await ended;
    expect(chunks.join('')).toBe('first;last');
  });
});

describe('bam dev without --url', () => {
  it('serves a function whose record has a URL and no API as a function URL, and a REST function as before', async () => {
    await world.store.lambdaRecords.put('us-east-1', 'urlecho', {
      arn: 'arn:aws:lambda:us-east-1:123456789012:function:urlecho',
      role: 'defaultBamRole',
      runtime: 'nodejs24.x',
      description: '',
      codeSha256: 'x',
      sourcePath: join(cwd, 'urlecho.js'),
      deployedAt: new Date().toISOString(),
      url: { url: 'https://abc.lambda-url.us-east-1.on.aws/' },
    });
    await dev.stop(); // one bam dev per BAM_HOME
    const plain = await startDev(['urlecho', 'answers', '--region', 'us-east-1'], { cwd, home: world.home });
    try {
      expect(plain.output()).toMatch(/^urlecho \(urlecho\.js\) URL at /m);
      expect(plain.output()).toMatch(/^answers \(answers\.js\) GET at /m);
      const event = JSON.parse((await rawRequest(plain.urls.get('urlecho')!, {})).body.toString()) as UrlEvent;
      expect(event.version).toBe('2.0');
    } finally {
      await plain.stop();
    }
  });
});
