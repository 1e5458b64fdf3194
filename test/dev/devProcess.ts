import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/bam.js');

/** A running `node bin/bam.js dev …` (the built CLI), on a free port. */
export interface DevProcess {
  /** The first (or only) URL it printed. */
  url: string;
  /** name → URL, from the lines it printed. */
  urls: Map<string, string>;
  child: ChildProcess;
  output(): string;
  /** Resolves when the output matches, or fails after the timeout with the output so far. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

const running = new Set<DevProcess>();

export async function startDev(args: string[], options: { cwd: string; home: string; env?: Record<string, string> }): Promise<DevProcess> {
  const child = spawn(process.execPath, [bin, 'dev', '--port', '0', ...args], {
    cwd: options.cwd,
    env: { ...process.env, BAM_HOME: options.home, NO_COLOR: '1', CI: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8');
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const waitForOutput = async (pattern: RegExp, timeoutMs = 15_000): Promise<void> => {
    const until = Date.now() + timeoutMs;
    while (!pattern.test(output)) {
      if (child.exitCode !== null) throw new Error(`bam dev exited (${child.exitCode}) before printing ${pattern}:\n${output}`);
      if (Date.now() > until) throw new Error(`bam dev did not print ${pattern} within ${timeoutMs} ms:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const dev: DevProcess = {
    url: '',
    urls: new Map(),
    child,
    output: () => output,
    waitForOutput,
    stop: async () => {
      running.delete(dev);
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  running.add(dev);
  await waitForOutput(/Press Ctrl-C to stop/);
  for (const match of output.matchAll(/^(\S+) \(.*\) \S* at (http:\/\/\S+)$/gm)) {
    dev.urls.set(match[1] as string, match[2] as string);
  }
  dev.url = [...dev.urls.values()][0] ?? '';
  return dev;
}

/** Stops every bam dev a test file started and has not stopped (for afterAll). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((dev) => dev.stop()));
}

/** A fresh BAM_HOME and a working folder holding a copy of test/fixtures/dev. */
export async function devWorld(): Promise<{ home: string; cwd: string; cleanup: () => Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'bam-dev-home-'));
  const cwd = await mkdtemp(join(tmpdir(), 'bam-dev-cwd-'));
  await cp(join(root, 'test/fixtures/dev'), cwd, { recursive: true });
  return {
    home,
    cwd,
    cleanup: async () => {
      await rm(home, { recursive: true, force: true });
      await rm(cwd, { recursive: true, force: true });
    },
  };
}

/**
 * A raw HTTP request: unlike fetch, node:http sends a repeated header as repeated lines
 * (fetch joins them with a comma), which is what multiValueHeaders must show.
 */
export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string | string[]>; body?: Buffer }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
