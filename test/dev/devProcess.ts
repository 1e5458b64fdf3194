import { afterAll, afterEach, beforeAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
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
  /** Resolves when the output matches; fails when bam dev exits first, or after the timeout, with the output so far. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /**
   * SIGTERM, then the exit code once the process has exited (and so released BAM_HOME/dev-db).
   * One that does not stop is killed, and the lock file it leaves is removed.
   */
  stop(): Promise<number | null>;
}

// Generous: they only bound a hang, and a loaded machine is slow to start processes.
const OUTPUT_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

const running = new Set<DevProcess>();

export async function startDev(args: string[], options: { cwd: string; home: string; env?: Record<string, string> }): Promise<DevProcess> {
  const child = spawn(process.execPath, [bin, 'dev', '--port', '0', ...args], {
    cwd: options.cwd,
    env: { ...process.env, BAM_HOME: options.home, NO_COLOR: '1', CI: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // 'close', not 'exit': by then its output has been read to the end.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8');
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let closed = false;
  child.once('close', () => (closed = true));

  const waitForOutput = (pattern: RegExp, timeoutMs = OUTPUT_TIMEOUT_MS): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(output)) return;
        done();
        resolve();
      };
      const onClose = (code: number | null) => {
        done();
        reject(new Error(`bam dev exited (${code}) before printing ${pattern}:\n${output}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`bam dev did not print ${pattern} within ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        child.stderr?.off('data', check);
        child.off('close', onClose);
      };
      // Listeners added after onData, so `output` already holds the chunk they are told about.
      child.stdout?.on('data', check);
      child.stderr?.on('data', check);
      if (pattern.test(output)) {
        done();
        resolve();
      } else if (closed) onClose(child.exitCode);
      else child.once('close', onClose);
    });
  const dev: DevProcess = {
    url: '',
    urls: new Map(),
    child,
    output: () => output,
    waitForOutput,
    stop: async () => {
      running.delete(dev);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const code = await exited;
      clearTimeout(killer);
      if (child.signalCode === 'SIGKILL') await removeLockOf(child.pid, options.home);
      return code;
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

/** A killed bam dev leaves its dev-db lock behind; the next one would take it over, but only after checking. */
async function removeLockOf(pid: number | undefined, home: string): Promise<void> {
  const lock = join(home, 'dev-db.lock');
  let owner: number | undefined;
  try {
    owner = (JSON.parse(await readFile(lock, 'utf8')) as { pid?: number }).pid;
  } catch {
    return; // released, or not written yet
  }
  if (owner === pid) await rm(lock, { force: true });
}

/** Stops every bam dev a test file started and has not stopped (afterEach or afterAll), each to its exit. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((dev) => dev.stop()));
}

/**
 * The world of a test file (or describe block): made before its tests, every bam dev they started
 * stopped after each, removed after the last. Its cwd and home are there once the tests run.
 */
export function useDevWorld(): DevWorld {
  const world = {} as DevWorld;
  beforeAll(async () => {
    Object.assign(world, await devWorld());
  });
  afterEach(stopAll);
  afterAll(() => world.cleanup());
  return world;
}

export type DevWorld = Awaited<ReturnType<typeof devWorld>>;

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
