import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fork, spawn, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { type LambdaRecord } from '../../src/core/records.js';
import { writeJsonFileAtomic } from '../../src/store/jsonFile.js';
import { BamError } from '../../src/core/errors.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dist = join(root, 'dist');
const writer = join(root, 'test/fixtures/store/writer.mjs');

const record = (name: string): LambdaRecord => ({
  arn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
  role: 'defaultBamRole',
  runtime: 'nodejs22.x',
  description: 'd',
  codeSha256: 'abc',
  sourcePath: '/src',
  deployedAt: '2026-11-25T00:00:00.000Z',
});

let world: TestWorld;
beforeEach(async () => {
  world = await makeWorld();
});
afterEach(async () => {
  await world.cleanup();
});

describe('the .bam store', () => {
  it('lives in BAM_HOME and starts empty with a default config', async () => {
    expect(world.store.paths.lambdas()).toBe(join(world.home, 'lambdas.json'));
    expect(await world.store.lambdaRecords.all()).toEqual({});
    expect(await world.store.readConfig()).toEqual({ defaultRole: 'defaultBamRole', version: 1 });
  });

  it('keeps records per region and per name, and removes them', async () => {
    await world.store.lambdaRecords.put('us-east-1', 'a', record('a'));
    await world.store.lambdaRecords.put('eu-west-1', 'a', record('a-eu'));
    await world.store.lambdaRecords.update('us-east-1', 'a', (r) => r && { ...r, description: 'changed' });
    expect((await world.store.lambdaRecords.get('us-east-1', 'a'))?.description).toBe('changed');
    expect((await world.store.lambdaRecords.get('eu-west-1', 'a'))?.arn).toContain('a-eu');
    await world.store.lambdaRecords.remove('us-east-1', 'a');
    expect(await world.store.lambdaRecords.get('us-east-1', 'a')).toBeUndefined();
    // Records may hold environment variable values (secrets): readable by their owner only.
    expect((await stat(world.store.paths.lambdas())).mode & 0o777).toBe(0o600);
    const onDisk = JSON.parse(await readFile(world.store.paths.lambdas(), 'utf8'));
    expect(Object.keys(onDisk['eu-west-1'])).toEqual(['a']);
  });

  it('reports a corrupt file by name and leaves it untouched', async () => {
    const broken = '{"us-east-1": {"a": ';
    await writeFile(world.store.paths.lambdas(), broken);
    await expect(world.store.lambdaRecords.all()).rejects.toThrow(world.store.paths.lambdas());
    await expect(world.store.lambdaRecords.put('us-east-1', 'b', record('b'))).rejects.toBeInstanceOf(BamError);
    expect(await readFile(world.store.paths.lambdas(), 'utf8')).toBe(broken);
  });

  it('reports a hand-edited record of the wrong shape and leaves it untouched', async () => {
    const wrong = JSON.stringify({ 'us-east-1': { a: { arn: 42 } } });
    await writeFile(world.store.paths.lambdas(), wrong);
    await expect(world.store.lambdaRecords.get('us-east-1', 'a')).rejects.toThrow(/lambdas\.json.*us-east-1\/a.*"arn" must be a string/);
    await writeFile(world.store.paths.dbTables(), JSON.stringify({ 'us-east-1': { t: { arn: 'x' } } }));
    await expect(world.store.dbTableRecords.all()).rejects.toThrow(/dbTables\.json/);
    await writeFile(world.store.paths.config(), JSON.stringify({ defaultRole: 'r', version: 1, accountNumber: '12' }));
    await expect(world.store.updateConfig((c) => c)).rejects.toThrow(/config\.json.*12-digit/);
    expect(await readFile(world.store.paths.lambdas(), 'utf8')).toBe(wrong);
  });

  it('checks the optional settings of a record too (memory, timeout, env, api cors and deployed)', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ memory: '512' }, /"memory" must be a number/],
      [{ timeout: null }, /"timeout" must be a number/],
      [{ env: 'A=1' }, /"env" must map names to strings/],
      [{ env: { A: 1 } }, /"env" must map names to strings/],
      [{ api: { restApiId: 'r', endpointType: 'EDGE', url: 'u', stage: 'bam', methods: ['GET'], deployed: 'yes' } }, /api: "deployed" must be true or false/],
      [{ api: { restApiId: 'r', endpointType: 'EDGE', url: 'u', stage: 'bam', methods: ['GET'], deployed: true, cors: true } }, /api: "cors" must be a string/],
    ];
    for (const [change, message] of cases) {
      const wrong = JSON.stringify({ 'us-east-1': { a: { ...record('a'), ...change } } });
      await writeFile(world.store.paths.lambdas(), wrong);
      await expect(world.store.lambdaRecords.all(), JSON.stringify(change)).rejects.toThrow(message);
      expect(await readFile(world.store.paths.lambdas(), 'utf8')).toBe(wrong);
    }
    const fine = { ...record('a'), memory: 512, timeout: 30, env: { A: '1' }, api: { restApiId: 'r', endpointType: 'EDGE', url: 'u', stage: 'bam', methods: ['GET'], deployed: true, cors: '*' } };
    await writeFile(world.store.paths.lambdas(), JSON.stringify({ 'us-east-1': { a: fine } }));
    expect(await world.store.lambdaRecords.get('us-east-1', 'a')).toEqual(fine);
  });

  it('writes atomically: a process killed mid-write leaves the old or the new file, never a torn one', async () => {
    const file = join(world.home, 'crash.json');
    await writeJsonFileAtomic(file, { round: -1, big: '' });
    for (let attempt = 0; attempt < 4; attempt++) {
      const child = fork(writer, ['crash', dist, file], { stdio: 'ignore' });
      await new Promise<void>((resolve) => child.once('message', () => resolve()));
      await new Promise((r) => setTimeout(r, 150 + attempt * 70));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const parsed = JSON.parse(await readFile(file, 'utf8'));
      expect(typeof parsed.round).toBe('number');
    }
    // Leftover temporary files are allowed after a kill, but the record file itself is whole.
    const names = await readdir(world.home);
    expect(names).toContain('crash.json');
  });

  it('loses no record when several bam processes write at once', async () => {
    const writers = 4;
    const each = 15;
    await Promise.all(
      Array.from({ length: writers }, (_, w) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(process.execPath, [writer, 'records', dist, world.home, `w${w}`, String(each)], {
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          let err = '';
          child.stderr.on('data', (d: Buffer) => (err += d.toString()));
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${w} failed: ${err}`))));
        }),
      ),
    );
    const names = Object.keys(await world.store.lambdaRecords.inRegion('us-east-1'));
    expect(names).toHaveLength(writers * each);
  }, 60_000);

  it('loses no record when several bam processes take over a stale lock at once', async () => {
    // Each contender finds the lock of a killed process; only one may remove it, or a slow one
    // removes the fresh lock another has just taken and both write at the same time. Two
    // processes with four contenders each race across processes and within one, every round;
    // they start once, so the test costs rounds, not process starts.
    const contenders = [contender(), contender()];
    try {
      await Promise.all(contenders.map((c) => c.ready));
      const dead = deadPid();
      const each = 4;
      for (let round = 0; round < 12; round++) {
        await writeFile(world.store.paths.lock(), JSON.stringify({ pid: dead, host: hostname(), since: new Date().toISOString() }));
        await Promise.all(contenders.map((c, p) => c.put(`r${round}p${p}`, each)));
        expect(Object.keys(await world.store.lambdaRecords.inRegion('us-east-1')), `round ${round}`).toHaveLength((round + 1) * each * contenders.length);
      }
    } finally {
      for (const c of contenders) c.child.kill();
    }
  });
});

/** A long-lived writer process (writer.mjs contend): `put` makes it put `count` records at once. */
function contender() {
  const child = fork(writer, ['contend', dist, world.home], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let waiting: { resolve: () => void; reject: (err: Error) => void } | undefined;
  const next = () => new Promise<void>((resolve, reject) => (waiting = { resolve, reject }));
  child.on('message', (answer: { failed?: string }) => {
    if (answer.failed) waiting?.reject(new Error(`contender failed: ${answer.failed}`));
    else waiting?.resolve();
  });
  child.on('exit', (code) => waiting?.reject(new Error(`contender exited (${code})`)));
  const ready = next();
  return {
    child,
    ready,
    put: (prefix: string, count: number) => {
      const answered = next();
      child.send({ prefix, count });
      return answered;
    },
  };
}

/** A pid that certainly belonged to a process which has exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}
