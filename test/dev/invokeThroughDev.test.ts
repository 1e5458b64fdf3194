import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeRun, runBam, type BamRun } from '../helpers/bamProcess.js';
import { startDev, stopAll, type DevProcess } from './devProcess.js';

// bam invoke with a bam dev running in the same folder: a real bam dev process and real bam invoke
// processes (the built CLI), one BAM_HOME shared as on a user's machine.
let home: string;
let cwd: string;

const COUNTER = 'let count = 0;\nexport const handler = async (event) => { count += 1; console.log("invocation", count); return { count, event }; };\n';
const FAILS = 'export const handler = async () => { console.log("about to fail"); throw new TypeError("boom"); };\n';

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'bam-invoke-dev-home-'));
  // Real path: bam dev and bam invoke compare the folder each runs in (process.cwd() is resolved).
  cwd = realpathSync(await mkdtemp(join(tmpdir(), 'bam-invoke-dev-cwd-')));
  await writeFile(join(cwd, 'counter.mjs'), COUNTER);
  await writeFile(join(cwd, 'fails.mjs'), FAILS);
  await writeFile(join(cwd, 'other.mjs'), COUNTER);
});
afterEach(async () => {
  await stopAll();
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
  await rm(cwd, { recursive: true, force: true });
});

const bam = (args: string[]): Promise<BamRun> => runBam(args, { cwd, home, endpoint: 'http://127.0.0.1:9', timeoutMs: 60_000 });
// bam invoke's environment has no AWS_REGION (us-east-1); bam dev must run in the same region.
const dev = (names: string[]): Promise<DevProcess> => startDev(names, { cwd, home, env: { AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1' } });
const endpointFiles = () => readdir(join(home, 'dev-endpoints')).catch(() => [] as string[]);
const THROUGH_DEV = /^Ran in the warm sandbox of bam dev \(pid (\d+), (http:\/\/127\.0\.0\.1:\d+)\)\.$/m;

async function invokeOk(args: string[]): Promise<BamRun> {
  const run = await bam(['invoke', ...args]);
  expect(run.code, describeRun(run)).toBe(0);
  return run;
}

describe('bam invoke with a running bam dev', () => {
  it('runs in its warm sandbox: module state kept across invokes, the log tail on stderr, the payload alone on stdout', async () => {
    const running = await dev(['counter', 'fails']);
    const first = await invokeOk(['counter', '--data', '{"n":1}']);
    const second = await invokeOk(['counter', '--data', '{"n":2}']);
    expect(JSON.parse(first.stdout)).toEqual({ count: 1, event: { n: 1 } });
    expect(JSON.parse(second.stdout)).toEqual({ count: 2, event: { n: 2 } });
    for (const run of [first, second]) {
      expect(run.stderr).toMatch(THROUGH_DEV);
      expect(THROUGH_DEV.exec(run.stderr)?.[1]).toBe(String(running.child.pid));
      expect(run.stderr).toMatch(/^START RequestId: \S+ Version: \$LATEST\n\S+\t\S+\tINFO\tinvocation \d\nEND RequestId: \S+\nREPORT RequestId: \S+\tDuration: /m);
    }
    expect(second.stderr).toMatch(/INFO\tinvocation 2\n/);
    // bam dev shows the invocations' log lines too, as for any request.
    await running.waitForOutput(/counter \S+ INFO invocation 2/);

    // --noDev: a sandbox of its own (a fresh count), and the warm one is left as it was.
    const own = await invokeOk(['counter', '--noDev', '--data', '{}']);
    expect(JSON.parse(own.stdout)).toMatchObject({ count: 1 });
    expect(own.stderr).not.toMatch(THROUGH_DEV);
    const json = await invokeOk(['counter', '--json']);
    const out = JSON.parse(json.stdout) as { payload: unknown; functionError: null; logs: string; durationMs: number };
    expect(out.payload).toEqual({ count: 3, event: {} });
    expect(out.functionError).toBeNull();
    expect(out.logs).toMatch(/^START RequestId: .*\n.*INFO\tinvocation 3\nEND RequestId: .*\nREPORT RequestId: /);
    expect(out.durationMs).toBeGreaterThan(0);
  });

  it("a function error: Lambda's error shape on stdout, the tail on stderr, exit 1", async () => {
    await dev(['counter', 'fails']);
    const run = await bam(['invoke', 'fails']);
    expect(run.code, describeRun(run)).toBe(1);
    expect(run.stderr).toMatch(THROUGH_DEV);
    const payload = JSON.parse(run.stdout) as { errorType: string; errorMessage: string; trace: string[] };
    expect(payload).toMatchObject({ errorType: 'TypeError', errorMessage: 'boom' });
    expect(payload.trace[0]).toBe('TypeError: boom');
    expect(run.stderr).toMatch(/INFO\tabout to fail\n/);
    expect(run.stderr).toMatch(/ERROR\tTypeError: boom/);
    expect(run.stderr).toContain('fails failed (Unhandled): TypeError: boom');
    const json = await bam(['invoke', 'fails', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ payload: { errorType: 'TypeError', errorMessage: 'boom' }, functionError: 'Unhandled' });
  });

  it('a function that bam dev does not serve runs in a sandbox of its own', async () => {
    await dev(['counter']);
    for (let i = 0; i < 2; i++) {
      const run = await invokeOk(['other']);
      expect(JSON.parse(run.stdout)).toMatchObject({ count: 1 });
      expect(run.stderr).not.toMatch(THROUGH_DEV);
      expect(run.stderr).toMatch(/INFO\tinvocation 1\n/);
    }
  });

  it("a db function uses bam dev's local DynamoDB: what one invoke writes, the next reads", async () => {
    const created = await bam(['create', 'items', '--db']);
    expect(created.code, describeRun(created)).toBe(0);
    await dev(['items']);
    const put = await invokeOk(['items', '--sample', 'post / {"id":"a1","text":"hi"}']);
    expect(put.stderr).toMatch(THROUGH_DEV);
    expect(put.stderr).not.toContain('uses DynamoDB');
    expect(JSON.parse(put.stdout)).toMatchObject({ statusCode: 201 });
    const list = await invokeOk(['items', '--sample', 'get /']);
    const answer = JSON.parse(list.stdout) as { statusCode: number; body: string };
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ items: [{ id: 'a1', text: 'hi' }] });
  });

  it("a db function that bam dev does not serve runs in that bam dev too: it holds the local DynamoDB", async () => {
    const created = await bam(['create', 'notes', '--db']);
    expect(created.code, describeRun(created)).toBe(0);
    await dev(['counter']);
    const put = await invokeOk(['notes', '--sample', 'post / {"id":"n1","text":"kept"}']);
    expect(put.stderr).toMatch(/^Ran in bam dev \(pid \d+, http:\/\/127\.0\.0\.1:\d+\), which holds the local DynamoDB\.$/m);
    expect(put.stderr).not.toContain('cannot start');
    expect(JSON.parse(put.stdout), put.stdout + put.stderr).toMatchObject({ statusCode: 201 });
    const list = await invokeOk(['notes', '--sample', 'get /']);
    expect(JSON.parse((JSON.parse(list.stdout) as { body: string }).body)).toEqual({ items: [{ id: 'n1', text: 'kept' }] });
    // A function that uses no DynamoDB still runs in a sandbox of its own.
    expect((await invokeOk(['other'])).stderr).not.toMatch(/^Ran in bam dev/m);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('bam dev writes its endpoint to the store while it runs and removes it when it stops (%s)', async (signal) => {
    const running = await dev(['counter']);
    const files = await endpointFiles();
    expect(files).toHaveLength(1);
    const written = JSON.parse(await readFile(join(home, 'dev-endpoints', files[0]!), 'utf8')) as Record<string, unknown>;
    expect(written).toMatchObject({ pid: running.child.pid, functions: ['counter'], cwd, region: 'us-east-1' });
    expect(written.url).toBe(`http://127.0.0.1:${files[0]!.replace('.json', '')}`);
    expect(Date.parse(written.startedAt as string)).not.toBeNaN();
    const exited = new Promise((resolve) => running.child.once('close', resolve));
    running.child.kill(signal);
    await exited;
    expect(await running.stop(), `signal ${String(running.child.signalCode)}; output:\n${running.output()}`).toBe(0);
    expect(await endpointFiles()).toEqual([]);
    const after = await invokeOk(['counter']);
    expect(after.stderr).not.toMatch(THROUGH_DEV);
  });
});

describe('bam invoke with endpoint files of bam dev processes that are gone', () => {
  it('skips and removes the file of a process that has exited', async () => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('exit', resolve));
    const stale = await writeEndpoint(child.pid ?? 0, 9, ['counter']);
    const run = await invokeOk(['counter']);
    expect(JSON.parse(run.stdout)).toMatchObject({ count: 1 });
    expect(run.stderr).not.toMatch(THROUGH_DEV);
    expect(await endpointFiles()).not.toContain(stale);
  });

  it('falls back, and removes the file, when the endpoint refuses the connection', async () => {
    const closed = await closedPort();
    // This test's own pid: the process is alive, but nothing listens at the port any more.
    const stale = await writeEndpoint(process.pid, closed, ['counter']);
    const run = await invokeOk(['counter']);
    expect(JSON.parse(run.stdout)).toMatchObject({ count: 1 });
    expect(run.stderr).not.toMatch(THROUGH_DEV);
    expect(await endpointFiles()).not.toContain(stale);
  });

  it('picks, among several, the bam dev of this folder that serves the function, and sends Invoke with LogType Tail', async () => {
    const seen: { port: number; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
    const servers = await Promise.all([0, 1, 2].map(() => lambdaApi(seen)));
    const [a, b, c] = servers.map((server) => (server.address() as AddressInfo).port) as [number, number, number];
    try {
      await writeEndpoint(process.pid, a, ['other', 'fails']);
      await writeEndpoint(process.pid, b, ['counter'], '/some/other/folder');
      await writeEndpoint(process.pid, c, ['fails', 'counter']);
      const run = await invokeOk(['counter', '--data', '{"x":1}']);
      expect(seen).toEqual([{ port: c, url: '/2015-03-31/functions/counter/invocations', headers: expect.objectContaining({ 'x-amz-invocation-type': 'RequestResponse', 'x-amz-log-type': 'Tail' }) as unknown, body: '{"x":1}' }]);
      expect(JSON.parse(run.stdout)).toEqual({ from: c });
      expect(run.stderr).toContain(`Ran in the warm sandbox of bam dev (pid ${process.pid}, http://127.0.0.1:${c}).`);
      expect(run.stderr).toContain('START RequestId: r-1 Version: $LATEST\nthe tail\nEND RequestId: r-1');
    } finally {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
      await rm(join(home, 'dev-endpoints'), { recursive: true, force: true });
    }
  });
});

async function writeEndpoint(pid: number, port: number, functions: string[], folder = cwd): Promise<string> {
  await mkdir(join(home, 'dev-endpoints'), { recursive: true });
  const name = `${port}.json`;
  const endpoint = { pid, url: `http://127.0.0.1:${port}`, port, functions, cwd: folder, region: 'us-east-1', startedAt: new Date().toISOString() };
  await writeFile(join(home, 'dev-endpoints', name), JSON.stringify(endpoint));
  return name;
}

/** A port that was just free: listened on, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A stand-in for bam dev's Lambda API: answers with its own port and a log tail. */
async function lambdaApi(seen: { port: number; url: string; headers: IncomingMessage['headers']; body: string }[]): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { port } = server.address() as AddressInfo;
      seen.push({ port, url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const log = Buffer.from('START RequestId: r-1 Version: $LATEST\nthe tail\nEND RequestId: r-1\n').toString('base64');
      res.writeHead(200, { 'Content-Type': 'application/json', 'x-amzn-RequestId': 'r-1', 'X-Amz-Log-Result': log }).end(JSON.stringify({ from: port }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
