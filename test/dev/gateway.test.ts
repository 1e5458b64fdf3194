import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBClient, TransactGetItemsCommand, TransactWriteItemsCommand, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { rawRequest, root, startDev, stopAll, type DevProcess } from './devProcess.js';

// Where bam dev must answer as a deployed REST API does, not more kindly: a real `bam dev`
// process, real HTTP with explicit Accept headers, the AWS SDK against its local endpoints.

const FUNCTIONS: Record<string, string> = {
  // What Express's compression middleware hands serverless-express: gzip bytes, base64-encoded.
  gzipped: `const { gzipSync } = require('node:zlib');
exports.handler = async () => ({
  statusCode: 200,
  headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' },
  body: gzipSync(JSON.stringify({ hello: 'gzip' })).toString('base64'),
  isBase64Encoded: true,
});`,
  png: `exports.handler = async () => ({
  statusCode: 200,
  headers: { 'Content-Type': 'image/png' },
  body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).toString('base64'),
  isBase64Encoded: true,
});`,
  // An HTTP API (payload 2.0) habit: cookies beside the REST keys.
  cookies: `exports.handler = async () => ({ statusCode: 200, cookies: ['session=1'], body: 'hi' });`,
  numberBody: `exports.handler = async () => ({ statusCode: 200, body: { not: 'a string' } });`,
  badStatus: `exports.handler = async () => ({ statusCode: 'ok', body: '' });`,
  badHeaders: `exports.handler = async (event) => ({
  statusCode: 200,
  headers: event.queryStringParameters && event.queryStringParameters.space ? { 'Bad Name': 'x' } : { 'X-Split': 'a\\r\\nInjected: 1' },
  body: 'never sent',
});`,
  reserved: `exports.handler = async () => ({
  statusCode: 401,
  headers: { Server: 'mine', Date: 'yesterday', 'WWW-Authenticate': 'Basic realm="x"', Authorization: 'Bearer t', Connection: 'close', 'Content-Length': '999', 'Transfer-Encoding': 'chunked', Via: '1.1 proxy', 'x-amzn-RequestId': 'own', 'X-Kept': 'yes' },
  body: '{}',
});`,
  // The document client's transactions, as a function writes them, against bam dev's local DynamoDB.
  transfer: `const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient, TransactWriteCommand, TransactGetCommand } = require('@aws-sdk/lib-dynamodb');
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
exports.handler = async () => {
  await db.send(new TransactWriteCommand({ TransactItems: [
    { Put: { TableName: 'ledger', Item: { id: 'from', balance: 90 } } },
    { Put: { TableName: 'ledger', Item: { id: 'to', balance: 10 } } },
  ] }));
  const { Responses } = await db.send(new TransactGetCommand({ TransactItems: [{ Get: { TableName: 'ledger', Key: { id: 'from' } } }, { Get: { TableName: 'ledger', Key: { id: 'to' } } }] }));
  return { statusCode: 200, body: JSON.stringify(Responses.map((r) => r.Item)) };
};`,
  // Says which method and path reached it, and logs a line for LogType Tail.
  paths: `exports.handler = async (event) => {
  console.log('reached', event.httpMethod, event.path);
  return { statusCode: 200, body: JSON.stringify({ method: event.httpMethod, path: event.path, proxy: event.pathParameters && event.pathParameters.proxy, contextPath: event.requestContext && event.requestContext.path }) };
};`,
};

let home: string;
let cwd: string;
let dev: DevProcess;
let lambdaEndpoint: string;
let dynamoEndpoint: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'bam-dev-home-'));
  cwd = await mkdtemp(join(tmpdir(), 'bam-dev-cwd-'));
  for (const [name, code] of Object.entries(FUNCTIONS)) await writeFile(join(cwd, `${name}.js`), `${code}\n`);
  dev = await startDev(['--table', 'ledger:id:string'], { cwd, home });
  lambdaEndpoint = /Local Lambda API at (http:\/\/127\.0\.0\.1:\d+)/.exec(dev.output())?.[1] ?? '';
  dynamoEndpoint = /Local DynamoDB at (http:\/\/127\.0\.0\.1:\d+)/.exec(dev.output())?.[1] ?? '';
});
afterAll(async () => {
  await stopAll();
  await rm(home, { recursive: true, force: true });
  await rm(cwd, { recursive: true, force: true });
});

const url = (name: string, rest = '') => `${dev.urls.get(name) ?? ''}${rest}`;

describe('1. an isBase64Encoded answer is decoded only for an Accept among the binary media types', () => {
  it('gzip from a compression middleware: base64 text for Accept */* (curl, fetch), the bytes for Accept application/gzip', async () => {
    const curl = await rawRequest(url('gzipped'), { headers: { Accept: '*/*' } });
    expect(curl.status).toBe(200);
    expect(curl.headers['content-encoding']).toBe('gzip');
    // What a deployed API sends: the base64 text, which no client can gunzip.
    expect(() => gunzipSync(curl.body)).toThrow();
    expect(JSON.parse(gunzipSync(Buffer.from(curl.body.toString('utf8'), 'base64')).toString())).toEqual({ hello: 'gzip' });

    const binary = await rawRequest(url('gzipped'), { headers: { Accept: 'application/gzip, */*' } });
    expect(JSON.parse(gunzipSync(binary.body).toString())).toEqual({ hello: 'gzip' });
  });

  it('a PNG: bytes for Accept image/png or image/*, base64 text when the first Accept is text/html', async () => {
    const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
    expect([...(await rawRequest(url('png'), { headers: { Accept: 'image/png' } })).body]).toEqual(png);
    expect([...(await rawRequest(url('png'), { headers: { Accept: 'image/*;q=0.8' } })).body]).toEqual(png);
    // Only the first media type counts, as AWS documents: a browser's Accept starts with text/html.
    const browser = await rawRequest(url('png'), { headers: { Accept: 'text/html,image/png;q=0.9' } });
    expect(browser.body.toString('utf8')).toBe(Buffer.from(png).toString('base64'));
    const none = await rawRequest(url('png'), { headers: {} });
    expect(none.body.toString('utf8')).toBe(Buffer.from(png).toString('base64'));
    // Why the client got text is said once for the function, not once per request.
    await dev.waitForOutput(/png answered isBase64Encoded/);
    expect(dev.output().match(/png answered isBase64Encoded, and the request's first Accept type \(text\/html\) is not a binary media type: the client gets the base64 text/g)).toHaveLength(1);
    expect(dev.output().match(/png answered isBase64Encoded/g)).toHaveLength(1);
  });
});

describe('2. a malformed proxy result is a 502 and a "Malformed Lambda proxy response" line', () => {
  it.each([
    ['cookies', /the result has "cookies"/],
    ['numberBody', /body must be a string/],
    ['badStatus', /statusCode must be an integer HTTP status/],
  ])('%s', async (name, why) => {
    const res = await rawRequest(url(name), { headers: { Accept: 'application/json' } });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body.toString())).toEqual({ message: 'Internal server error' });
    expect(res.headers['x-amzn-errortype']).toBe('InternalServerErrorException');
    await dev.waitForOutput(new RegExp(`GET /${name}/ 502 .*Malformed Lambda proxy response: ${why.source}`));
  });
});

describe('3. invalid response headers are a 502 with a line, never a dropped connection', () => {
  it('a value with CR/LF', async () => {
    const res = await rawRequest(url('badHeaders'), { headers: { Accept: 'application/json' } });
    expect(res.status).toBe(502);
    expect(res.headers.injected).toBeUndefined();
    expect(JSON.parse(res.body.toString())).toEqual({ message: 'Internal server error' });
    await dev.waitForOutput(/GET \/badHeaders\/ 502 .*header "X-Split" has a character not allowed/);
  });

  it('a name with a space', async () => {
    const res = await rawRequest(url('badHeaders', '?space=1'), { headers: { Accept: 'application/json' } });
    expect(res.status).toBe(502);
    await dev.waitForOutput(/GET \/badHeaders\/\?space=1 502 .*header name "Bad Name" is not a valid HTTP header name/);
  });
});

describe('4. headers and methods API Gateway keeps for itself', () => {
  it('renames the response headers it owns to x-amzn-Remapped-* and sends its own; the rest pass as they are', async () => {
    const res = await rawRequest(url('reserved'), { headers: { Accept: 'application/json' } });
    expect(res.status).toBe(401);
    expect(res.headers).toMatchObject({
      'x-amzn-remapped-server': 'mine',
      'x-amzn-remapped-date': 'yesterday',
      'x-amzn-remapped-connection': 'close',
      'x-amzn-remapped-content-length': '999',
      'x-amzn-remapped-x-amzn-requestid': 'own',
      'www-authenticate': 'Basic realm="x"',
      authorization: 'Bearer t',
      via: '1.1 proxy',
      'x-kept': 'yes',
      'content-length': '2',
    });
    expect(res.headers['transfer-encoding']).toBeUndefined();
    expect(res.headers['x-amzn-requestid']).not.toBe('own');
    expect(res.headers.date).not.toBe('yesterday');
    expect(res.headers.connection).toBe('keep-alive');
  });

  it.each(['PROPFIND', 'TRACE', 'MKCOL'])('%s is answered 403 by the gateway and never reaches the function', async (method) => {
    const res = await rawRequest(url('paths', 'x'), { method, headers: { Accept: 'application/json' } });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body.toString())).toEqual({ message: 'Missing Authentication Token' });
    await dev.waitForOutput(new RegExp(`${method} /paths/x 403 .*a REST API has no ${method} method`));
    expect(dev.output()).not.toMatch(new RegExp(`reached ${method}`));
  });
});

describe('5. a percent-encoded path reaches the function as the client sent it', () => {
  it.each([
    ['a%2Fb', '/a%2Fb'],
    ['x%2525y', '/x%2525y'],
    ['caf%C3%A9/ok', '/caf%C3%A9/ok'],
  ])('/%s', async (rest, path) => {
    const res = await rawRequest(url('paths', rest), { headers: { Accept: 'application/json' } });
    expect(JSON.parse(res.body.toString())).toEqual({ method: 'GET', path, proxy: path.slice(1), contextPath: `/bam${path}` });
  });
});

describe('6. the local Lambda API, printed at start', () => {
  it('answers the SDK\'s Invoke with LogType Tail: the last 4 KB of the log, base64, in LogResult', async () => {
    expect(lambdaEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const lambda = new LambdaClient({ endpoint: lambdaEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'paths', LogType: 'Tail', Payload: JSON.stringify({ httpMethod: 'GET', path: '/tail' }) }));
    lambda.destroy();
    expect(JSON.parse(Buffer.from(out.Payload ?? []).toString())).toMatchObject({ statusCode: 200 });
    const log = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    const lines = log.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^START RequestId: [0-9a-f-]{36} Version: \$LATEST$/);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z\t[0-9a-f-]{36}\tINFO\treached GET \/tail$/);
    expect(lines[2]).toMatch(/^END RequestId: /);
    expect(lines[3]).toMatch(/^REPORT RequestId: .*\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB/);
    expect(new Set(lines.slice(0, 4).map((line) => /[0-9a-f]{8}-[0-9a-f-]{27}/.exec(line)?.[0])).size).toBe(1);
  });

  it('is named in bam dev --help, with its flag and default', () => {
    const help = spawnSync(process.execPath, [join(root, 'bin/bam.js'), 'dev', '--help'], { encoding: 'utf8', env: { ...process.env, BAM_HOME: home } });
    expect(help.status).toBe(0);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('--lambdaPort <port> port of the local Lambda API on 127.0.0.1, printed at start (aws lambda invoke --endpoint-url http://127.0.0.1:PORT; default: --port + 2, i.e. 3002; 0: any free port)');
  });

  it('listens on --lambdaPort and says so', async () => {
    const port = await freePort();
    const otherHome = await mkdtemp(join(tmpdir(), 'bam-dev-home-'));
    const other = await startDev(['paths', '--lambdaPort', String(port)], { cwd, home: otherHome });
    expect(other.output()).toContain(`Local Lambda API at http://127.0.0.1:${port} (e.g. aws lambda invoke --endpoint-url http://127.0.0.1:${port} --function-name NAME out.json)`);
    const lambda = new LambdaClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'paths', Payload: JSON.stringify({ httpMethod: 'POST', path: '/p' }) }));
    lambda.destroy();
    expect(JSON.parse(JSON.parse(Buffer.from(out.Payload ?? []).toString()).body as string)).toMatchObject({ method: 'POST', path: '/p' });
    expect(await other.stop()).toBe(0);
    await rm(otherHome, { recursive: true, force: true });
  });

  it('without LogType Tail returns no log', async () => {
    const lambda = new LambdaClient({ endpoint: lambdaEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'paths', Payload: '{}' }));
    lambda.destroy();
    expect(out.LogResult).toBeUndefined();
  });
});

describe('7. transactions against the local DynamoDB', () => {
  it('a function\'s TransactWriteCommand and TransactGetCommand (lib-dynamodb) work', async () => {
    const res = await rawRequest(url('transfer'), { headers: { Accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual([{ id: 'from', balance: 90 }, { id: 'to', balance: 10 }]);
  });

  const put = (id: string, note: string) => ({ Put: { TableName: 'ledger', Item: { id: { S: id }, note: { S: note } } } });

  it('TransactWriteItems writes all its items; a failed condition cancels all of them with a reason per item', async () => {
    const db = new DynamoDBClient({ endpoint: dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await db.send(new TransactWriteItemsCommand({ TransactItems: [put('a', 'first'), put('b', 'second')] }));
    const read = await db.send(new TransactGetItemsCommand({ TransactItems: [{ Get: { TableName: 'ledger', Key: { id: { S: 'a' } } } }, { Get: { TableName: 'ledger', Key: { id: { S: 'nobody' } } } }, { Get: { TableName: 'ledger', Key: { id: { S: 'b' } } } }] }));
    expect(read.Responses).toEqual([{ Item: { id: { S: 'a' }, note: { S: 'first' } } }, {}, { Item: { id: { S: 'b' }, note: { S: 'second' } } }]);

    const failing = db.send(new TransactWriteItemsCommand({
      TransactItems: [
        { Update: { TableName: 'ledger', Key: { id: { S: 'a' } }, UpdateExpression: 'SET note = :n', ExpressionAttributeValues: { ':n': { S: 'changed' } } } },
        { Delete: { TableName: 'ledger', Key: { id: { S: 'b' } } } },
        { ConditionCheck: { TableName: 'ledger', Key: { id: { S: 'c' } }, ConditionExpression: 'attribute_exists(id)' } },
      ],
    }));
    const err = await failing.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(TransactionCanceledException);
    expect((err as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual(['None', 'None', 'ConditionalCheckFailed']);
    // Nothing of the cancelled transaction stays.
    const after = await db.send(new TransactGetItemsCommand({ TransactItems: [{ Get: { TableName: 'ledger', Key: { id: { S: 'a' } } } }, { Get: { TableName: 'ledger', Key: { id: { S: 'b' } } } }, { Get: { TableName: 'ledger', Key: { id: { S: 'c' } } } }] }));
    expect(after.Responses).toEqual([{ Item: { id: { S: 'a' }, note: { S: 'first' } } }, { Item: { id: { S: 'b' }, note: { S: 'second' } } }, {}]);

    const twice = await db.send(new TransactWriteItemsCommand({ TransactItems: [put('a', 'x'), put('a', 'y')] })).then(() => undefined, (e: unknown) => e as Error);
    expect(twice?.name).toBe('ValidationException');
    expect(twice?.message).toMatch(/multiple operations on one item/);
    db.destroy();
  });
});

/** A port nothing listens on right now (the OS picks it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
