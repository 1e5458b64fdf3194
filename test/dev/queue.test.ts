import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './devProcess.js';
import { runtimeRules } from '../../src/dev/runtimeRules.js';
import type { FunctionHost as Host, Invocation, LocalFunction } from '../../src/dev/functionHost.js';
import type { LogLine } from '../../src/dev/sandbox.js';

// Requests that wait in a busy sandbox (bam dev sends them to its worker at once): the built
// FunctionHost (its sandboxes are worker threads running dist/dev/worker.js), no timing. A slow
// request is held by a gate: the handler fetches the gate's URL, and the test answers it when it
// has given the sandbox the requests that wait behind it.

const { FunctionHost } = (await import(pathToFileURL(join(root, 'dist/dev/functionHost.js')).href)) as { FunctionHost: typeof Host };

// `served`: how many requests this sandbox has run; `sandbox`: which sandbox (one id per load).
const handler = (version: string) => `let served = 0;
const sandbox = Math.random().toString(36).slice(2);
exports.handler = async (event) => {
  served += 1;
  if (event.gate) await fetch(event.gate);
  if (event.hang) await new Promise(() => {});
  if (event.exit) process.exit(3);
  return { version: '${version}', n: event.n, served, sandbox };
};
`;

interface Answer {
  version: string;
  n?: number;
  served: number;
  sandbox: string;
}

let dir: string;
let gate: { url: string; reached: Promise<void>; open: () => void; server: Server };
const hosts: Host[] = [];
const logs: LogLine[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bam-queue-'));
});
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.close()));
  await new Promise((resolve) => gate.server.close(resolve));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A server whose first request is answered only when open() is called; reached resolves when it arrives. */
async function newGate(): Promise<typeof gate> {
  let arrived: () => void = () => {};
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  let held: ServerResponse | undefined;
  let opened = false;
  const server = createServer((_req, res) => {
    if (opened) return res.end('open');
    held = res;
    arrived();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const open = () => {
    opened = true;
    held?.end('open');
  };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, reached, open, server };
}

async function newHost(file: string, options: { timeoutMs?: number; maxSandboxes?: number } = {}): Promise<Host> {
  const entryFile = join(dir, file);
  const fn: LocalFunction = {
    name: 'queued',
    source: { name: 'queued', sourcePath: entryFile, kind: 'file', entryFile, entryName: 'index.js' },
    methods: ['ANY'],
    timeoutMs: options.timeoutMs ?? 30_000,
    memoryMb: 128,
    runtime: runtimeRules('nodejs22.x'),
    env: {},
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:queued',
    // The files as they are (--no-bundle): these tests are about the queue, not the build.
    code: { bundle: false },
  };
  const host = new FunctionHost(fn, (line) => logs.push(line), () => {}, options.maxSandboxes);
  hosts.push(host);
  gate = await newGate();
  return host;
}

function answerOf(invocation: Invocation): Answer {
  if (invocation.outcome.kind !== 'result') throw new Error(`expected an answer, got ${JSON.stringify(invocation.outcome)}`);
  return JSON.parse(invocation.outcome.payload) as Answer;
}

describe('requests waiting in a busy sandbox', () => {
  it('are answered in the order they came, each after the one before, by the sandbox they waited in', async () => {
    await writeFile(join(dir, 'order.js'), handler('v1'));
    const host = await newHost('order.js', { maxSandboxes: 1 });
    const slow = host.invoke({ gate: gate.url });
    await gate.reached;
    const answered: number[] = [];
    const queued = [1, 2, 3, 4, 5].map((n) => host.invoke({ n }).then((invocation) => (answered.push(n), invocation)));
    gate.open();
    const first = answerOf(await slow);
    const answers = (await Promise.all(queued)).map(answerOf);
    expect(answered).toEqual([1, 2, 3, 4, 5]);
    expect(answers.map(({ n, served }) => ({ n, served }))).toEqual([1, 2, 3, 4, 5].map((n) => ({ n, served: n + 1 })));
    expect(new Set(answers.map(({ sandbox }) => sandbox))).toEqual(new Set([first.sandbox]));
  });

  it('behind one that times out: the timeout is that request’s alone, and a fresh sandbox answers the rest', async () => {
    await writeFile(join(dir, 'timeout.js'), handler('v1'));
    const host = await newHost('timeout.js', { maxSandboxes: 1, timeoutMs: 2000 });
    const before = answerOf(await host.invoke({ n: 0 }));
    const hung = host.invoke({ hang: true });
    const queued = [1, 2, 3].map((n) => host.invoke({ n }));
    expect((await hung).outcome).toEqual({ kind: 'timeout', afterMs: 2000 });
    const answers = (await Promise.all(queued)).map(answerOf);
    // Each answered once, in order, by one new sandbox (its first three requests).
    expect(answers.map(({ n, served }) => ({ n, served }))).toEqual([1, 2, 3].map((n) => ({ n, served: n })));
    expect(answers.every(({ sandbox }) => sandbox === answers[0]?.sandbox && sandbox !== before.sandbox)).toBe(true);
    expect(logs.filter((line) => /Task timed out after 2\.00 seconds/.test(line.text))).toHaveLength(1);
  });

  it('behind one that crashes the sandbox: that request fails, a fresh sandbox answers the rest', async () => {
    await writeFile(join(dir, 'crash.js'), handler('v1'));
    const host = await newHost('crash.js', { maxSandboxes: 1 });
    const before = answerOf(await host.invoke({ n: 0 }));
    const slow = host.invoke({ gate: gate.url, exit: true });
    await gate.reached;
    const queued = [1, 2, 3].map((n) => host.invoke({ n }));
    gate.open();
    const crashed = await slow;
    expect(crashed.outcome.kind === 'error' && crashed.outcome.error.errorType).toBe('Runtime.ExitError');
    const answers = (await Promise.all(queued)).map(answerOf);
    expect(answers.map(({ n, served }) => ({ n, served }))).toEqual([1, 2, 3].map((n) => ({ n, served: n })));
    expect(answers.every(({ sandbox }) => sandbox === answers[0]?.sandbox && sandbox !== before.sandbox)).toBe(true);
  });

  it('after a save: the requests given after it get the new code, while the one before it finishes on the old', async () => {
    const file = join(dir, 'saved.js');
    await writeFile(file, handler('v1'));
    const host = await newHost('saved.js');
    host.watchSource(() => {});
    // Quick answers first, so the requests after the save would be packed into this sandbox if they could.
    for (let n = 0; n < 3; n++) expect(answerOf(await host.invoke({ n })).version).toBe('v1');
    const slow = host.invoke({ gate: gate.url });
    await gate.reached;
    await writeFile(file, handler('v2'));
    const queued = [1, 2, 3].map((n) => host.invoke({ n }));
    gate.open();
    expect(answerOf(await slow).version).toBe('v1');
    expect((await Promise.all(queued)).map((invocation) => answerOf(invocation).version)).toEqual(['v2', 'v2', 'v2']);
  });
});
