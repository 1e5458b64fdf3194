import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { access, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { withLock } from '../../src/store/lock.js';

let world: TestWorld;
beforeEach(async () => {
  world = await makeWorld();
});
afterEach(async () => {
  await world.cleanup();
});

const deadPid = (): number => {
  // A pid that certainly belonged to a process which has exited.
  const run = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(run.stdout);
};

describe('the record lock', () => {
  it('serialises work and releases the lock file afterwards', async () => {
    const lock = join(world.home, 'records.lock');
    const order: string[] = [];
    await Promise.all([
      withLock(lock, async () => {
        order.push('a-start');
        await new Promise((r) => setTimeout(r, 50));
        order.push('a-end');
      }),
      withLock(lock, async () => {
        order.push('b-start');
        await Promise.resolve();
        order.push('b-end');
      }),
    ]);
    expect([order.slice(0, 2), order.slice(2)].map((pair) => pair[0]!.slice(0, 1) === pair[1]!.slice(0, 1))).toEqual([true, true]);
    await expect(access(lock)).rejects.toThrow();
  });

  it('takes over a lock left by a killed process', async () => {
    const lock = join(world.home, 'records.lock');
    await writeFile(lock, JSON.stringify({ pid: deadPid(), host: hostname(), since: new Date().toISOString() }));
    const result = await withLock(lock, () => Promise.resolve('ran'), { timeoutMs: 1000 });
    expect(result).toBe('ran');
  });

  it('waits for a live owner, then gives up with a message naming the lock', async () => {
    const lock = join(world.home, 'records.lock');
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
    await expect(withLock(lock, () => Promise.resolve('ran'), { timeoutMs: 200 })).rejects.toThrow(/locked by process \d+.*records\.lock/);
  });
});
