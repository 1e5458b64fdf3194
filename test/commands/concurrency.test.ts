import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REGION, type FakeAws } from '../aws/fakeAws.js';
import { HELLO, expectRecordsMatchAws, records, setScene, type Scene } from '../aws/scene.js';
import { deploy } from '../../src/commands/deploy.js';
import { redeploy } from '../../src/commands/redeploy.js';

let scene: Scene;
const children: ChildProcess[] = [];
beforeEach(async () => {
  scene = await setScene();
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await scene.cleanup();
});

/** Waits for something another promise is doing (no clock is measured; the test timeout bounds it). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(5);
}

/** Every recorded API answers: stage bam, the function's permission, and the record says deployed. */
function expectAllDeployed(aws: FakeAws, recorded: Awaited<ReturnType<typeof records>>): void {
  for (const [name, record] of Object.entries(recorded)) {
    const api = aws.apis.get(record.api!.restApiId)!;
    expect(record.api!.deployed).toBe(true);
    expect(api.deployments).toContain('bam');
    expect(aws.functions.get(name)!.permissions[`bam-apigateway-${api.id}`]).toBeDefined();
  }
}

/** A lease file as src/store/lock.ts writes it, naming this process id. */
async function holdLease(name: string, pid: number): Promise<string> {
  const file = scene.world.store.paths.lease('function', REGION, name);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, JSON.stringify({ pid, host: hostname(), since: new Date().toISOString() }), { mode: 0o600, flag: 'wx' });
  return file;
}

const waits = () => scene.world.reporter.events.filter((event) => event.type === 'warn' && /is working on "hello"; waiting/.test(event.text));

describe('bam commands at the same time', () => {
  it('5 deploys of different names run side by side, and all are recorded and in AWS', async () => {
    const { aws, world } = scene;
    const names = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
    for (const name of names) await writeFile(join(world.cwd, `${name}.js`), HELLO);
    await Promise.all(names.map((name) => deploy(name, {}, world.ctx)));

    expect([...aws.functions.keys()].sort()).toEqual(names);
    expect(aws.apis.size).toBe(5);
    await expectRecordsMatchAws(scene);
    const recorded = await records(scene);
    expectAllDeployed(aws, recorded);
    // Each name's lease is its own: calls for different names were in flight together, and nobody waited.
    const named = aws.calls.filter((call) => 'FunctionName' in call.input);
    const nameOf = (call: (typeof named)[number]) => (call.input as { FunctionName: string }).FunctionName;
    expect(named.some((a) => named.some((b) => nameOf(a) !== nameOf(b) && a.started < b.ended! && b.started < a.ended!))).toBe(true);
    expect(world.reporter.events.filter((event) => /waiting for it to finish/.test(event.text))).toEqual([]);
  });

  it('3 redeploys of one name adding POST, PUT and DELETE at once lose no update', async () => {
    const { aws, world } = scene;
    await deploy('hello', {}, world.ctx);
    await Promise.all(['POST', 'PUT', 'DELETE'].map((method) => redeploy('hello', { methods: [method] }, world.ctx)));

    const [api, ...others] = [...aws.apis.values()];
    expect(others).toEqual([]);
    const methods = ['GET', 'POST', 'PUT', 'DELETE'];
    expect(Object.keys(api!.document.paths['/']!).map((m) => m.toUpperCase()).sort()).toEqual([...methods].sort());
    expect(Object.keys(api!.document.paths['/{proxy+}']!).map((m) => m.toUpperCase()).sort()).toEqual([...methods].sort());
    const recorded = await records(scene);
    expect([...recorded.hello!.api!.methods].sort()).toEqual([...methods].sort());
    await expectRecordsMatchAws(scene);
    expectAllDeployed(aws, recorded);
    // They took turns on the name's lease: the two that came later said they were waiting.
    expect(waits().length).toBeGreaterThanOrEqual(1);
  });

  it('a lease held by a live process: deploy makes no AWS call until it is released, says once that it waits, then deploys', async () => {
    const { aws, world } = scene;
    const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(holder);
    await once(holder, 'spawn');
    const lease = await holdLease('hello', holder.pid!);

    let done = false;
    const deploying = deploy('hello', {}, world.ctx).finally(() => {
      done = true;
    });
    await until(() => waits().length > 0);
    expect(waits()[0]!.text).toContain(`process ${holder.pid!}`);
    // Long enough for several of the lock's polls (it backs off to 100 ms).
    await sleep(400);
    expect(done).toBe(false);
    expect(aws.calls).toEqual([]);

    await rm(lease);
    await deploying;
    expect(waits()).toHaveLength(1);
    expect(aws.functions.has('hello')).toBe(true);
    await expectRecordsMatchAws(scene);
    expectAllDeployed(aws, await records(scene));
  });

  it('the records lock held by a live process: deploy reads AWS but writes nothing until it is released, says so once, then deploys', async () => {
    const { aws, world } = scene;
    const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(holder);
    await once(holder, 'spawn');
    const lock = scene.world.store.paths.lock();
    await writeFile(lock, JSON.stringify({ pid: holder.pid!, host: hostname(), since: new Date().toISOString() }), { mode: 0o600, flag: 'wx' });

    let done = false;
    const deploying = deploy('hello', {}, world.ctx).finally(() => {
      done = true;
    });
    const lockWaits = () => world.reporter.events.filter((event) => event.type === 'warn' && /records are locked by process \d+.*before creating anything/.test(event.text));
    await until(() => lockWaits().length > 0);
    expect(lockWaits()[0]!.text).toContain(`process ${holder.pid!}`);
    await sleep(400);
    expect(done).toBe(false);
    expect(aws.writes()).toEqual([]); // the intent comes first, and it needs the lock

    await rm(lock);
    await deploying;
    expect(lockWaits()).toHaveLength(1);
    await expectRecordsMatchAws(scene);
    expectAllDeployed(aws, await records(scene));
  });

  it('a lease left by a process that no longer runs is taken over at once', async () => {
    const { aws, world } = scene;
    const gone = spawn('true', [], { stdio: 'ignore' });
    await once(gone, 'exit');
    await holdLease('hello', gone.pid!);

    await deploy('hello', {}, world.ctx);
    expect(waits()).toEqual([]);
    expect(aws.functions.has('hello')).toBe(true);
    await expectRecordsMatchAws(scene);
    expectAllDeployed(aws, await records(scene));
  });
});
