import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { access, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { devWorld, rawRequest, startDev, stopAll, useDevWorld, type DevProcess } from './devProcess.js';

// These tests run the built CLI (`npm run build` first) as a real process and talk to it over HTTP.

interface Echo {
  event: Record<string, unknown> & { requestContext: Record<string, unknown> & { identity: Record<string, unknown> } };
  context: Record<string, unknown>;
  env: Record<string, string | undefined>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
let world: Awaited<ReturnType<typeof devWorld>>;

beforeAll(async () => {
  world = await devWorld();
});
afterAll(async () => {
  await stopAll();
  await world.cleanup();
});

/**
 * Requests the URL until the answer satisfies `done`: a file watcher fires a moment after a
 * write, and one write can be seen as two changes (truncate, then write) with a reload each.
 * The deadline only bounds a hang; the answer is what counts.
 */
async function pollUntil(url: string, done: (status: number, body: string) => boolean): Promise<number> {
  const until = Date.now() + 20_000;
  for (;;) {
    const res = await fetch(url);
    const body = await res.text();
    if (done(res.status, body) || Date.now() > until) return res.status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function echo(url: string, init?: RequestInit): Promise<Echo> {
  const res = await fetch(url, init);
  expect(res.status).toBe(200);
  return (await res.json()) as Echo;
}

describe('bam dev with every function of the folder', () => {
  let dev: DevProcess;
  beforeAll(async () => {
    dev = await startDev(['--methods', 'get,post,put,patch,delete', '--env', 'GREETING=hi'], world);
  });
  afterAll(async () => {
    await dev.stop();
  });

  it('serves each function exporting handler at /NAME/ and skips other scripts', () => {
    expect([...dev.urls.keys()].sort()).toEqual(['binary', 'caller', 'echo', 'fail', 'legacy', 'notes', 'site', 'sync']);
    expect(dev.urls.get('echo')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/echo\/$/);
  });

  it('hands the handler a REST proxy event: path and query parameters, stage bam, sourceIp', async () => {
    const { event } = await echo(`${dev.urls.get('echo')}a/b%20c?x=1&x=2&name=bam`);
    expect(event).toMatchObject({
      resource: '/{proxy+}',
      // As a REST API passes them: percent-encoded, as the client sent them.
      path: '/a/b%20c',
      httpMethod: 'GET',
      pathParameters: { proxy: 'a/b%20c' },
      queryStringParameters: { x: '2', name: 'bam' },
      multiValueQueryStringParameters: { x: ['1', '2'], name: ['bam'] },
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
    });
    expect(event.requestContext).toMatchObject({ stage: 'bam', resourcePath: '/{proxy+}', httpMethod: 'GET', path: '/bam/a/b%20c', accountId: '000000000000', protocol: 'HTTP/1.1' });
    expect(event.requestContext.identity.sourceIp).toBe('127.0.0.1');
    expect(event.requestContext.requestId).toMatch(UUID);
    expect(typeof event.requestContext.requestTimeEpoch).toBe('number');
  });

  it('sends the root as resource / with null pathParameters and null query maps', async () => {
    const { event } = await echo(dev.urls.get('echo') as string);
    expect(event).toMatchObject({ resource: '/', path: '/', pathParameters: null, queryStringParameters: null, multiValueQueryStringParameters: null });
    expect(event.requestContext).toMatchObject({ resourcePath: '/', path: '/bam/' });
  });

  it('answers each method with the handler status: GET 200, POST 201, PUT/PATCH/DELETE 204; HEAD is not enabled: 403', async () => {
    const codes: Record<string, number> = {};
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']) {
      const res = await fetch(`${dev.urls.get('echo')}item`, { method, ...(method === 'POST' ? { body: '{"a":1}', headers: { 'Content-Type': 'application/json' } } : {}) });
      codes[method] = res.status;
      await res.arrayBuffer();
    }
    expect(codes).toEqual({ GET: 200, POST: 201, PUT: 204, PATCH: 204, DELETE: 204, HEAD: 403 });
  });

  it('passes a JSON body as text', async () => {
    const res = await rawRequest(`${dev.urls.get('echo')}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: Buffer.from('{"ünï":"cödé"}') });
    expect(res.status).toBe(201);
    const { event } = JSON.parse(res.body.toString()) as Echo;
    expect(event).toMatchObject({ httpMethod: 'POST', body: '{"ünï":"cödé"}', isBase64Encoded: false });
  });

  it('keeps repeated request headers in multiValueHeaders and repeated response headers', async () => {
    const res = await rawRequest(`${dev.urls.get('echo')}`, { headers: { 'X-Multi': ['one', 'two'], 'X-Case': 'Kept' } });
    const { event } = JSON.parse(res.body.toString()) as Echo;
    expect(event.headers).toMatchObject({ 'X-Multi': 'two', 'X-Case': 'Kept', 'X-Forwarded-Proto': 'http' });
    expect(event.multiValueHeaders).toMatchObject({ 'X-Multi': ['one', 'two'], 'X-Case': ['Kept'] });
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(res.headers['x-single']).toBe('one');
    expect(res.headers['x-amzn-requestid']).toMatch(UUID);
  });

  it('round-trips a binary body: base64 in the event, bytes back from isBase64Encoded', async () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80, 0x7f, 0xc3]);
    const res = await rawRequest(`${dev.urls.get('binary')}`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream', Accept: 'application/octet-stream' }, body: bytes });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect([...res.body]).toEqual([...bytes].reverse());

    const seen = await rawRequest(`${dev.urls.get('echo')}`, { method: 'POST', headers: { 'Content-Type': 'image/png' }, body: bytes });
    const { event } = JSON.parse(seen.body.toString()) as Echo;
    expect(event).toMatchObject({ isBase64Encoded: true, body: bytes.toString('base64') });
  });

  it("answers 413 Request Too Long to a body over API Gateway's 10 MB, and sends a Content-Length", async () => {
    const big = Buffer.alloc(10 * 1024 * 1024 + 1, 0x61);
    const res = await rawRequest(`${dev.urls.get('echo')}`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: big });
    expect([res.status, res.body.toString()]).toEqual([413, '{"message":"Request Too Long"}']);
    const chunked = await rawRequest(`${dev.urls.get('echo')}`, { method: 'POST', headers: { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' }, body: big });
    expect(chunked.status).toBe(413);
    const ok = await rawRequest(`${dev.urls.get('echo')}`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: big.subarray(0, 1024) });
    expect(ok.status).toBe(201);
    expect(ok.headers['content-length']).toBe(String(ok.body.length));
  });

  it('gives a function the Lambda environment: task root, name, region, local credentials, --env, a context', async () => {
    const { env, context } = await echo(dev.urls.get('echo') as string);
    expect(env).toEqual({ LAMBDA_TASK_ROOT: world.cwd, AWS_LAMBDA_FUNCTION_NAME: 'echo', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'bam-dev-local', GREETING: 'hi' });
    expect(context).toMatchObject({ functionName: 'echo', memoryLimitInMB: '128', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:echo' });
    expect(context.awsRequestId).toMatch(UUID);
    // The default 3 s, counted down from the invoke (how far depends on the machine's load).
    expect(context.remaining).toBeGreaterThan(0);
    expect(context.remaining).toBeLessThanOrEqual(3000);
  });

  it('shows console output with the function name and request id', async () => {
    const { context } = await echo(`${dev.urls.get('echo')}?log=marker-123`);
    await dev.waitForOutput(new RegExp(`^echo ${String(context.awsRequestId)} INFO logged marker-123$`, 'm'));
  });

  it('answers 502 Internal server error when the handler throws, and shows the error', async () => {
    const res = await fetch(`${dev.urls.get('fail')}throw`);
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ message: 'Internal server error' });
    expect(res.headers.get('x-amzn-errortype')).toBe('InternalServerErrorException');
    await dev.waitForOutput(/^fail \S+ ERROR Error: boom from fail\n\s+at exports\.handler .*fail\.js:4/m);
  });

  it('answers 502 to a malformed proxy response and says why', async () => {
    const res = await fetch(`${dev.urls.get('fail')}malformed`);
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ message: 'Internal server error' });
    await dev.waitForOutput(/GET \/fail\/malformed 502 .*Malformed Lambda proxy response: body must be a string/);
  });

  it('lets one function invoke another through the local Lambda endpoint (result, and Unhandled on a throw)', async () => {
    const res = await fetch(dev.urls.get('caller') as string);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      payload: { statusCode: 200, body: 'fine' },
      functionError: 'Unhandled',
      error: { errorType: 'Error', errorMessage: 'boom from fail' },
    });
  });

  it('serves a folder function with LAMBDA_TASK_ROOT at its folder (the html files are read from there)', async () => {
    const res = await fetch(dev.urls.get('site') as string);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html');
    const html = await res.text();
    expect(html).toContain('<style>h1 { color: rgb(255, 0, 0); }');
    expect(html).toContain('document.getElementById("title")');
  });

  it('lists the functions at / and answers 404 for a name it does not serve', async () => {
    const base = new URL('/', dev.url).href;
    expect(await (await fetch(base)).text()).toContain('<a href="/echo/">');
    const missing = await fetch(`${base}nope/`);
    expect(missing.status).toBe(404);
  });
});

describe('bam dev with the methods of the record (default GET)', () => {
  // A failed test must not leave its bam dev holding dev-db for the next one.
  afterEach(async () => {
    await stopAll();
  });

  it('answers 403 Missing Authentication Token for a method not enabled', async () => {
    const dev = await startDev(['echo'], world);
    const res = await fetch(dev.url, { method: 'POST', body: 'x' });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ message: 'Missing Authentication Token' });
    expect(res.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect((await fetch(dev.url)).status).toBe(200);
    await dev.stop();
  });

  it('runs callback-style handlers on a nodejs22.x record; a non-async handler returning a value gets null there, as on Lambda (502)', async () => {
    // nodejs24.x, the default, has no callbacks (test/dev/runtimeRules.test.ts).
    const record = (name: string) => ({ arn: `arn:aws:lambda:us-east-1:111122223333:function:${name}`, role: 'r', runtime: 'nodejs22.x', description: '', codeSha256: 'x', sourcePath: '', deployedAt: '' });
    await writeFile(join(world.home, 'lambdas.json'), JSON.stringify({ 'us-east-1': { legacy: record('legacy'), sync: record('sync') } }));
    try {
      const dev = await startDev(['legacy', 'sync'], world);
      const legacy = await fetch(dev.urls.get('legacy') as string);
      expect([legacy.status, await legacy.text()]).toEqual([200, 'called back']);
      const sync = await fetch(dev.urls.get('sync') as string);
      expect(sync.status).toBe(502);
      await dev.waitForOutput(/sync \S+ WARN the handler returned a value without a Promise or callback/);
      await dev.stop();
    } finally {
      await writeFile(join(world.home, 'lambdas.json'), '{}');
    }
  });

  it('takes methods and timeout from the function record in lambdas.json', async () => {
    const home = world.home;
    const record = {
      arn: 'arn:aws:lambda:us-east-1:111122223333:function:echo', role: 'r', runtime: 'nodejs22.x', description: '', codeSha256: 'x', sourcePath: '', deployedAt: '',
      timeout: 7, memory: 256, env: { GREETING: 'from record' },
      api: { restApiId: 'a', endpointType: 'EDGE', methods: ['PUT'], url: 'u', stage: 'bam', deployed: true },
    };
    await writeFile(join(home, 'lambdas.json'), JSON.stringify({ 'us-east-1': { echo: record } }));
    try {
      const dev = await startDev(['echo'], world);
      expect((await fetch(dev.url)).status).toBe(403);
      const res = await fetch(dev.url, { method: 'PUT' });
      expect(res.status).toBe(204);
      expect(dev.output()).toMatch(/^echo \(echo\.js\) PUT at /m);
      await dev.stop();
      const again = await startDev(['echo', '--methods', 'get'], world);
      const { env, context } = await echo(again.url);
      expect(env.GREETING).toBe('from record');
      expect(context.memoryLimitInMB).toBe('256');
      expect(context.remaining).toBeGreaterThan(3000); // the record's 7 s, not the default 3 s
      expect(context.remaining).toBeLessThanOrEqual(7000);
      await again.stop();
    } finally {
      await writeFile(join(home, 'lambdas.json'), '{}');
    }
  });
});

describe('bam dev with one function', () => {
  afterEach(async () => {
    await stopAll();
  });

  it('serves it at / exactly as the deployed /bam/ stage', async () => {
    const dev = await startDev(['echo'], world);
    expect(dev.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const { event } = await echo(`${dev.url}x/y?q=1`);
    expect(event).toMatchObject({ path: '/x/y', pathParameters: { proxy: 'x/y' }, requestContext: { path: '/bam/x/y' } });
    expect(await dev.stop()).toBe(0);
  });

  it('answers 502 when the function runs over its timeout (Lambda fails, API Gateway says 502)', async () => {
    const dev = await startDev(['fail', '--timeout', '1'], world);
    const res = await fetch(`${dev.url}slow`); // sleeps 5 s: only the timeout answers before
    expect(res.status).toBe(502);
    await dev.waitForOutput(/^fail \S+ ERROR Task timed out after 1\.00 seconds$/m);
    expect((await fetch(`${dev.url}ok`)).status).toBe(200); // a fresh sandbox replaced the timed-out one
    await dev.stop();
  });

  it('answers 504 Endpoint request timed out past the API Gateway integration timeout', async () => {
    const dev = await startDev(['fail', '--timeout', '10', '--apiTimeout', '1'], world);
    const res = await fetch(`${dev.url}slow`);
    expect(res.status).toBe(504);
    expect(await res.json()).toEqual({ message: 'Endpoint request timed out' });
    await dev.stop();
  });

  it('reloads the code when the file changes: the next request runs the new code', async () => {
    const file = join(world.cwd, 'hot.js');
    const version = (v: string) => `exports.handler = async () => ({ statusCode: 200, body: '${v}' });\n`;
    await writeFile(file, version('v1'));
    const dev = await startDev(['hot'], world);
    expect(await (await fetch(dev.url)).text()).toBe('v1');
    await writeFile(file, version('v2'));
    await dev.waitForOutput(/Reloaded hot: files changed/);
    expect(await pollUntil(dev.url, (_status, body) => body === 'v2')).toBe(200);
    await writeFile(file, 'exports.handler = async () => { syntax error');
    expect(await pollUntil(dev.url, (status) => status === 502)).toBe(502);
    // deploy's bundle does not build: bam dev says where once, and each request's log says it failed for it.
    await dev.waitForOutput(/^hot does not build: hot\.js:1:\d+: .*bam dev answers 502 until a save fixes it\.$/m);
    await dev.waitForOutput(/^hot \S+ ERROR Init failed: hot does not build/m);
    await writeFile(file, version('v3'));
    expect(await pollUntil(dev.url, (_status, body) => body === 'v3')).toBe(200);
    await dev.stop();
  });

  it('replaces a sandbox that exits between requests: the next request runs at once', async () => {
    // Each sandbox says when it exits; a request sent to a dead one would wait out the
    // 10 min timeout (the test's own timeout fails first) or answer 502. bam dev learns of the
    // exit only after the sandbox's last line (the worker's teardown) and prints nothing then,
    // so after the line the test gives it a second: a request in between still reaches the
    // dying sandbox and gets a 502 (bam dev could send it to a fresh one instead).
    const quits = `exports.handler = async () => { setTimeout(() => process.exit(4), 20); return { statusCode: 200, body: 'bye' }; };
process.on('exit', () => console.log('sandbox exiting'));
`;
    await writeFile(join(world.cwd, 'quits.js'), quits);
    const dev = await startDev(['quits', '--timeout', '600'], world);
    for (let i = 1; i <= 3; i++) {
      const res = await fetch(dev.url);
      expect([res.status, await res.text()], `request ${i}:\n${dev.output()}`).toEqual([200, 'bye']);
      await dev.waitForOutput(new RegExp(`(INFO sandbox exiting[\\s\\S]*){${i}}`));
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(dev.output()).not.toMatch(/timed out|ExitError/);
    await dev.stop();
  });

  const SPIN = `exports.handler = async (event) => { if (event.path === '/spin') { console.log('spinning'); for (;;) {} } return { statusCode: 200, body: 'free' }; };\n`;

  it('stops a busy-looping handler at its timeout (502), and the next request gets a fresh sandbox', async () => {
    await writeFile(join(world.cwd, 'spin.js'), SPIN);
    const dev = await startDev(['spin', '--timeout', '1'], world);
    expect((await fetch(`${dev.url}spin`)).status).toBe(502);
    await dev.waitForOutput(/^spin \S+ ERROR Task timed out after 1\.00 seconds$/m);
    expect(await (await fetch(dev.url)).text()).toBe('free');
    await dev.stop();
  });

  it('exits at once on Ctrl-C during a busy-looping handler (not at its 10 min timeout), lock released', async () => {
    await writeFile(join(world.cwd, 'spin.js'), SPIN);
    const dev = await startDev(['spin', '--timeout', '600'], world);
    void fetch(`${dev.url}spin`).catch(() => undefined);
    await dev.waitForOutput(/INFO spinning/);
    const exited = new Promise<number | null>((resolve) => dev.child.once('exit', resolve));
    dev.child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(dev.output()).not.toMatch(/timed out/);
    await expect(access(join(world.home, 'dev-db.lock'))).rejects.toThrow();
  });

  it('says in one line that the port is in use (exit 1), and leaves nothing locked', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const run = startDev(['echo', '--port', String(port)], world);
      await expect(run).rejects.toThrow(new RegExp(`exited \\(1\\)[\\s\\S]*Port ${port} on 127\\.0\\.0\\.1 is in use\\. Pick another with --port`));
      await run.catch((err: Error) => expect(err.message).not.toMatch(/\n\s+at /));
      await expect(access(join(world.home, 'dev-db.lock'))).rejects.toThrow();
    } finally {
      blocker.close();
    }
  });

  it('names both busy ports in one line when another bam dev holds them, before saying anything else (exit 1)', async () => {
    const blockers = [createServer(), createServer()];
    await Promise.all(blockers.map((blocker) => new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))));
    const [apiPort, lambdaPort] = blockers.map((blocker) => (blocker.address() as AddressInfo).port) as [number, number];
    try {
      const run = startDev(['echo', '--port', String(apiPort), '--lambdaPort', String(lambdaPort)], world);
      await expect(run).rejects.toThrow(
        new RegExp(`exited \\(1\\)[\\s\\S]*Ports ${apiPort} on 127\\.0\\.0\\.1 \\(--port\\) and ${lambdaPort} on 127\\.0\\.0\\.1 \\(--lambdaPort\\) are in use\\. Pick others with --port ${apiPort + 1} --lambdaPort ${lambdaPort + 1} \\(or 0 for any free port\\)\\.`),
      );
      await run.catch((err: Error) => expect(err.message).not.toMatch(/Local DynamoDB|Local Lambda API/));
    } finally {
      blockers.forEach((blocker) => blocker.close());
    }
  });

  it('fails with the paths it tried when the function does not exist (exit 1)', async () => {
    await expect(startDev(['nope'], world)).rejects.toThrow(/exited \(1\)[\s\S]*Could not find the code of "nope"/);
  });
});

describe('bam dev with a local DynamoDB', () => {
  const world = useDevWorld();

  it('serves PUT/GET/SCAN/DELETE from dynalite, keeps the data across restarts, and --fresh empties it', async () => {
    const methods = ['--methods', 'get,put,delete'];
    let dev = await startDev(['notes', ...methods], world);
    expect(dev.output()).toMatch(/created table notes/);
    const put = (id: string, text: string) => fetch(`${dev.url}${id}`, { method: 'PUT', body: JSON.stringify({ text }), headers: { 'Content-Type': 'application/json' } });
    expect((await put('n1', 'first')).status).toBe(204);
    expect((await put('n2', 'second')).status).toBe(204);
    expect(await (await fetch(`${dev.url}n1`)).json()).toEqual({ id: 'n1', text: 'first' });
    const scanned = (await (await fetch(dev.url)).json()) as { id: string }[];
    expect(scanned.map((i) => i.id).sort()).toEqual(['n1', 'n2']);
    expect((await fetch(`${dev.url}n2`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${dev.url}n2`)).status).toBe(404);
    expect(await dev.stop()).toBe(0);

    dev = await startDev(['notes', ...methods], world);
    expect(dev.output()).not.toMatch(/created table/);
    expect(await (await fetch(`${dev.url}n1`)).json()).toEqual({ id: 'n1', text: 'first' });
    await dev.stop();

    dev = await startDev(['notes', '--fresh', ...methods], world);
    expect(dev.output()).toMatch(/created table notes/);
    expect((await fetch(`${dev.url}n1`)).status).toBe(404);
    await dev.stop();
  });

  it('creates --table tables, and refuses a second bam dev on the same data folder', async () => {
    const dev = await startDev(['echo', '--table', 'orders:orderId:number'], world);
    expect(dev.output()).toMatch(/created table orders/);
    await expect(startDev(['echo'], world)).rejects.toThrow(/Another bam dev is already using .*dev-db/);
    expect(await dev.stop()).toBe(0);
    await expect(access(join(world.home, 'dev-db.lock'))).rejects.toThrow();
  });
});
