import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/store.js';
import type { DevEndpoint } from '../../src/store/devEndpoints.js';

let home: string;
let store: Store;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'bam-endpoints-'));
  store = openStore(home);
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const endpoint = (port: number, over: Partial<DevEndpoint> = {}): DevEndpoint => ({
  pid: process.pid,
  url: `http://127.0.0.1:${port}`,
  port,
  functions: ['hello'],
  cwd: '/work',
  region: 'us-east-1',
  startedAt: `2026-12-02T10:00:0${port % 10}.000Z`,
  ...over,
});

/** The pid of a process that has exited (no process has it now). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid ?? 0;
}

describe('the bam dev endpoint files', () => {
  it('one private file per bam dev, named by its Lambda port; running() lists them oldest first', async () => {
    await store.devEndpoints.advertise(endpoint(3002));
    await store.devEndpoints.advertise(endpoint(4001, { functions: ['other'] }));
    expect((await readdir(join(home, 'dev-endpoints'))).sort()).toEqual(['3002.json', '4001.json']);
    expect((await stat(store.paths.devEndpoint(3002))).mode & 0o777).toBe(0o600);
    expect(await store.devEndpoints.running()).toEqual([endpoint(4001, { functions: ['other'] }), endpoint(3002)]);
    await store.devEndpoints.withdraw(endpoint(3002));
    expect(await store.devEndpoints.running()).toEqual([endpoint(4001, { functions: ['other'] })]);
    store.devEndpoints.withdrawNow(endpoint(4001));
    expect(await readdir(join(home, 'dev-endpoints'))).toEqual([]);
  });

  it('skips and removes the file of a process that is gone; skips files that are not endpoints', async () => {
    await store.devEndpoints.advertise(endpoint(3002, { pid: await deadPid() }));
    await store.devEndpoints.advertise(endpoint(3005));
    await writeFile(join(home, 'dev-endpoints', '3009.json'), '{"pid":"nope"}');
    await writeFile(join(home, 'dev-endpoints', '.3003.json.1.ab.tmp'), '{');
    expect(await store.devEndpoints.running()).toEqual([endpoint(3005)]);
    expect((await readdir(join(home, 'dev-endpoints'))).sort()).toEqual(['.3003.json.1.ab.tmp', '3005.json', '3009.json']);
  });

  it('no folder yet: no bam dev', async () => {
    expect(await store.devEndpoints.running()).toEqual([]);
    await mkdir(join(home, 'dev-endpoints'));
    expect(await store.devEndpoints.running()).toEqual([]);
  });
});
