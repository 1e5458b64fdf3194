import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBam, type BamRun } from '../helpers/bamProcess.js';
import { rawRequest, startDev, stopAll } from './devProcess.js';

// Every `bam create` template, invoked locally by the built CLI (a real process, as users run it).
const TEMPLATES: Record<string, string[]> = {
  hello: [],
  page: ['--html'],
  caller: ['--invoker'],
  callerPage: ['--invoker', '--html'],
  items: ['--db'],
  itemsPage: ['--db', '--html'],
};

let home: string;
let cwd: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'bam-invoke-home-'));
  cwd = await mkdtemp(join(tmpdir(), 'bam-invoke-cwd-'));
  for (const [name, flags] of Object.entries(TEMPLATES)) {
    const run = await bam(['create', name, ...flags]);
    if (run.code !== 0) throw new Error(`bam create ${name} failed: ${run.stderr}`);
  }
  await writeFile(join(cwd, 'bad.mjs'), 'export const handler = async (event) => { console.log("got", event.x); throw new TypeError("boom"); };\n');
  await writeFile(join(cwd, 'echo.mjs'), 'export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify(event) });\n');
  await writeFile(join(cwd, 'event.json'), '{"from":"file"}');
});
afterAll(async () => {
  await stopAll();
  await rm(home, { recursive: true, force: true });
  await rm(cwd, { recursive: true, force: true });
});

// No AWS is reached: the endpoint is a closed port.
const bam = (args: string[]): Promise<BamRun> => runBam(args, { cwd, home, endpoint: 'http://127.0.0.1:9', timeoutMs: 60_000 });

describe('bam invoke NAME (local)', () => {
  it.each([
    ['hello', 200, /"message":"Hello from hello"/],
    ['page', 200, /<!DOCTYPE html>/],
    ['callerPage', 200, /<!DOCTYPE html>/],
    ['caller', 400, /Name the function to invoke/],
  ])('runs the %s template with a sample GET event: its answer on stdout, its log on stderr', async (name, status, body) => {
    const run = await bam(['invoke', name, '--sample', 'get /']);
    expect(run.code).toBe(0);
    const payload = JSON.parse(run.stdout) as { statusCode: number; body: string };
    expect(payload.statusCode).toBe(status);
    expect(payload.body).toMatch(body);
    expect(run.stderr).toMatch(/^START RequestId: \S+ Version: \$LATEST$/m);
    expect(run.stderr).toMatch(/^REPORT RequestId: \S+\tDuration: /m);
  });

  it.each(['items', 'itemsPage'])("runs the %s template with bam dev's local DynamoDB (started for the invoke): what one invoke writes, the next reads", async (name) => {
    const put = await bam(['invoke', name, '--sample', `post / {"id":"${name}-1"}`]);
    expect(put.code, put.stderr).toBe(0);
    expect(JSON.parse(put.stdout)).toMatchObject({ statusCode: 201 });
    expect(put.stderr).not.toContain('uses DynamoDB');
    const got = await bam(['invoke', name, '--sample', 'get /']);
    expect(got.code, got.stderr).toBe(0);
    const listed = JSON.parse(got.stdout) as { statusCode: number; body: string };
    expect(listed.statusCode).toBe(200);
    // The list: JSON from items, an HTML page from itemsPage (the id quoted in its <code>).
    expect(listed.body).toMatch(new RegExp(`${name}-1`));
  });

  it("while a bam dev of another folder holds the local DynamoDB, a db function's calls fail fast, exit 1, and bam says why", async () => {
    const other = await mkdtemp(join(tmpdir(), 'bam-invoke-other-'));
    try {
      await writeFile(join(other, 'echo.mjs'), 'export const handler = async (event) => event;\n');
      const running = await startDev(['echo'], { cwd: other, home });
      const run = await bam(['invoke', 'items', '--sample', 'get /']);
      await running.stop();
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout)).toMatchObject({ errorType: 'Error', errorMessage: expect.stringMatching(/ECONNREFUSED/) });
      expect(run.stderr).toMatch(/^items uses DynamoDB, but the local DynamoDB cannot start: Another bam dev is already using \S+dev-db\. .*\. Its DynamoDB calls fail\.$/m);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it("runs a throwing handler: Lambda's error shape on stdout, its log on stderr, exit 1", async () => {
    const run = await bam(['invoke', 'bad', '--data', '{"x":7}']);
    expect(run.code).toBe(1);
    const payload = JSON.parse(run.stdout) as { errorType: string; errorMessage: string; trace: string[] };
    expect(payload).toMatchObject({ errorType: 'TypeError', errorMessage: 'boom' });
    expect(payload.trace[0]).toBe('TypeError: boom');
    expect(payload.trace[1]).toContain('bad.mjs');
    expect(run.stderr).toMatch(/INFO\tgot 7\n/);
    expect(run.stderr).toMatch(/ERROR\tTypeError: boom/);
    expect(run.stderr).toContain('bad failed (Unhandled): TypeError: boom');
  });

  it('reads the event from a file; --json prints payload, functionError, logs and durationMs', async () => {
    const run = await bam(['invoke', 'echo', '--event', 'event.json', '--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { payload: { body: string }; functionError: null; logs: string; durationMs: number };
    expect(JSON.parse(out.payload.body)).toEqual({ from: 'file' });
    expect(out.functionError).toBeNull();
    expect(out.logs).toMatch(/^START RequestId: .*\nEND RequestId: .*\nREPORT RequestId: /);
    expect(out.durationMs).toBeGreaterThan(0);
  });
});

/** What differs between any two requests: ids, times, the API id and the port. */
function comparable(event: Record<string, unknown>): unknown {
  const text = JSON.stringify(event)
    .replace(/,?"[Cc]onnection":(\["[^"]*"\]|"[^"]*")/g, '')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'ID')
    .replace(/Root=1-[0-9a-f]+-[0-9a-f]+/g, 'TRACE')
    .replace(/"requestTime":"[^"]*"/g, '"requestTime":"T"')
    .replace(/"requestTimeEpoch":\d+/g, '"requestTimeEpoch":0')
    .replace(/"timeEpoch":\d+/g, '"timeEpoch":0')
    .replace(/"time":"[^"]*"/g, '"time":"T"')
    .replace(/"apiId":"[0-9a-f]+"/g, '"apiId":"API"')
    .replace(/"(extendedRequestId|resourceId)":"[0-9a-f]+"/g, '"$1":"RANDOM"')
    .replace(/"domainPrefix":"[0-9a-f]+"/g, '"domainPrefix":"API"')
    .replace(/:\d{2,5}"/g, ':PORT"')
    .replace(/"X-Forwarded-Port":"\d+"/g, '"X-Forwarded-Port":"PORT"')
    .replace(/"X-Forwarded-Port":\["\d+"\]/g, '"X-Forwarded-Port":["PORT"]');
  return JSON.parse(text) as unknown;
}

/** The event echo got, from bam invoke --json's payload (bam dev answers with the body itself). */
const echoed = (answer: { body: string }) => JSON.parse(answer.body) as Record<string, unknown>;

describe('bam invoke --sample', () => {
  it.each([
    ['get /items?x=1&x=2&y=z', 'GET', '/items?x=1&x=2&y=z', ''],
    ['post /items {"name":"Ada"}', 'POST', '/items', '{"name":"Ada"}'],
    ['api', 'GET', '/', ''],
    ['url', 'GET', '/', ''],
  ])('%s is the event bam dev makes for that request', async (sample, method, target, body) => {
    const dev = await startDev(['echo', '--methods', 'ANY', ...(sample === 'url' ? ['--url'] : [])], { cwd, home });
    // In curl's order, as the sample's headers are (node adds Connection, which curl does not send).
    const headers: Record<string, string> = { Host: 'HOST', 'User-Agent': 'curl/8.5.0', Accept: '*/*', ...(body ? { 'Content-Type': 'application/json', 'Content-Length': String(body.length) } : {}) };
    const base = dev.urls.get('echo') ?? '';
    headers.Host = new URL(base).host;
    const answer = await rawRequest(`${base}${target.slice(1)}`, { method, headers, ...(body ? { body: Buffer.from(body) } : {}) });
    await dev.stop();
    const run = await bam(['invoke', 'echo', '--sample', sample, '--json']);
    expect(run.code).toBe(0);
    const fromInvoke = echoed((JSON.parse(run.stdout) as { payload: { body: string } }).payload);
    const fromDev = JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
    expect(comparable(fromInvoke)).toEqual(comparable(fromDev));
    expect(fromInvoke).toMatchObject(sample === 'url' ? { version: '2.0', rawPath: '/' } : { httpMethod: method, path: target.split('?')[0] });
  });
});
