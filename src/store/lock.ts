import { open, readFile, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { BamError } from '../core/errors.js';
import { makePrivateFolder, PRIVATE_FILE_MODE } from './paths.js';
import { isRunning } from './processes.js';

const STALE_EMPTY_MS = 5_000;

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

export interface LockOptions {
  /** How long to wait for another bam process before giving up. */
  timeoutMs?: number;
  /** Called once when a live process holds the lock and we start waiting for it. */
  onWait?: (holder: string) => void;
}

/**
 * Runs `work` while holding an exclusive lock file, so two bam processes never interleave
 * read-modify-write cycles on the records. A lock left by a process that no longer runs
 * (killed mid-write) is detected and taken over.
 */
export async function withLock<T>(lockFile: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const started = Date.now();
  await makePrivateFolder(dirname(lockFile));
  let delay = 5;
  let told = false;
  for (;;) {
    if (await tryAcquire(lockFile)) break;
    const owner = await readOwner(lockFile);
    if (owner && isStale(owner) && (await removeStaleLock(lockFile))) continue;
    if (!told && owner && owner.pid > 0) {
      told = true;
      options.onWait?.(`process ${owner.pid} on ${owner.host}`);
    }
    if (Date.now() - started > timeoutMs) {
      const who = owner ? `process ${owner.pid} on ${owner.host}` : 'another process';
      throw new BamError(`The bam records are locked by ${who} (${lockFile}). Wait for it to finish, or delete the lock file if no bam is running.`);
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
  try {
    return await work();
  } finally {
    await rm(lockFile, { force: true });
  }
}

async function tryAcquire(lockFile: string): Promise<boolean> {
  try {
    const handle = await open(lockFile, 'wx', PRIVATE_FILE_MODE);
    const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    await handle.writeFile(JSON.stringify(owner));
    await handle.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Removes a stale lock, judged again while holding a second lock file: without it, a process
 * that judged the old lock stale could remove the fresh lock another process has just taken
 * over, and both would write. False when another process is taking over right now.
 */
async function removeStaleLock(lockFile: string): Promise<boolean> {
  const takeover = `${lockFile}.takeover`;
  if (!(await tryAcquire(takeover))) {
    // Its holder needs milliseconds; one this old was killed while holding it.
    const age = await stat(takeover).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > STALE_EMPTY_MS) await rm(takeover, { force: true });
    return false;
  }
  try {
    const owner = await readOwner(lockFile);
    if (owner && isStale(owner)) await rm(lockFile, { force: true });
    return true;
  } finally {
    await rm(takeover, { force: true });
  }
}

async function readOwner(lockFile: string): Promise<LockOwner | undefined> {
  let text: string;
  try {
    text = await readFile(lockFile, 'utf8');
  } catch {
    return undefined; // released meanwhile
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    if (typeof owner.pid === 'number') return owner;
  } catch {
    /* empty or unreadable: judged by age below */
  }
  // Another process created the file and has not written its pid yet (or is writing it); one
  // that stays like this (its writer was killed) is stale after a few seconds.
  const since = await stat(lockFile).then((s) => s.mtime.toISOString(), () => new Date().toISOString());
  return { pid: -1, host: hostname(), since };
}

function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) {
    // A process on another machine (shared home folder) cannot be checked; trust age instead.
    return Date.now() - Date.parse(owner.since) > 10 * 60_000;
  }
  if (owner.pid <= 0) return Date.now() - Date.parse(owner.since) > STALE_EMPTY_MS;
  return !isRunning(owner.pid);
}
