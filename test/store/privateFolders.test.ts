import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startLocalDynamo } from '../../src/dev/localDynamo.js';
import { packageFunction } from '../../src/package/index.js';
import { withLock } from '../../src/store/lock.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { openStore, type Store } from '../../src/store/store.js';

// The whole file runs in its own process (vitest's forks pool), so the umask set here stays here.
let world: TestWorld;
let savedUmask: number;
let home: string;
let store: Store;
beforeEach(async () => {
  world = await makeWorld();
  // A store root bam has to create, two levels down, rather than the test's own 0700 folder.
  home = join(world.home, 'fresh', '.bam');
  store = openStore(home);
  savedUmask = process.umask();
});
afterEach(async () => {
  process.umask(savedUmask);
  await world.cleanup();
});

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('the store is private whatever the umask', () => {
  it.each([
    ['000', 0o000],
    ['277', 0o277],
  ])('umask %s: BAM_HOME (and its new parent) 0700, records and the lock 0600', async (_label, umask) => {
    process.umask(umask);
    await store.updateConfig((config) => ({ ...config, accountNumber: '123456789012' }));
    expect(await modeOf(home)).toBe(0o700);
    expect(await modeOf(join(world.home, 'fresh'))).toBe(0o700);
    expect(await modeOf(store.paths.config())).toBe(0o600);
    expect((await store.readConfig()).accountNumber).toBe('123456789012');
    // The lock lives for one read-modify-write: never shared, 0600 when the umask leaves it so.
    const lockMode = await withLock(store.paths.lock(), () => modeOf(store.paths.lock()));
    expect(lockMode & 0o077).toBe(0);
    if (umask === 0) expect(lockMode).toBe(0o600);
  });

  it('umask 000: staging/, staging/NAME/ and its folders are 0700, and the zip, source map and bundle bam writes are 0600', async () => {
    process.umask(0);
    await mkdir(join(world.cwd, 'hello', 'lib'), { recursive: true });
    await writeFile(join(world.cwd, 'hello', 'index.js'), "const util = require('./lib/util');\nexports.handler = async () => util;\n");
    await writeFile(join(world.cwd, 'hello', 'lib', 'util.js'), 'module.exports = 1;\n');
    const result = await packageFunction('hello', { cwd: world.cwd, store });
    expect(await modeOf(home)).toBe(0o700);
    expect(await modeOf(join(home, 'staging'))).toBe(0o700);
    expect(await modeOf(result.stagingDir)).toBe(0o700);
    expect(await modeOf(join(result.stagingDir, 'lib'))).toBe(0o700);
    expect(await modeOf(result.zipPath)).toBe(0o600);
    expect(await modeOf(result.sourceMapPath!)).toBe(0o600);
    expect(await modeOf(join(result.stagingDir, '.bam-build'))).toBe(0o700);
    expect(await modeOf(join(result.stagingDir, '.bam-build', 'index.js'))).toBe(0o600);
  });

  it('umask 000: dev-db/ is 0700 and its lock 0600', async () => {
    process.umask(0);
    const dynamo = await startLocalDynamo({ fresh: false, folder: store.paths.devDb(), policy: world.policy });
    try {
      expect(await modeOf(home)).toBe(0o700);
      expect(await modeOf(store.paths.devDb())).toBe(0o700);
      expect(await modeOf(`${store.paths.devDb()}.lock`)).toBe(0o600);
    } finally {
      await dynamo.close();
    }
  });
});
