import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CreateFunctionCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { deploy, type DeployOptions } from '../../src/commands/deploy.js';
import { redeploy, type RedeployOptions } from '../../src/commands/redeploy.js';
import { list, type Inventory } from '../../src/commands/list.js';
import { BamError, UsageError } from '../../src/core/errors.js';
import { HELLO, deployHello, records, runBam, setScene, type Scene } from '../aws/scene.js';

let scene: Scene;
beforeEach(async () => {
  scene = await setScene();
});
afterEach(async () => {
  await scene.cleanup();
});

const runDeploy = (options: DeployOptions = {}) => deploy('hello', options, scene.world.ctx);
const runRedeploy = (options: RedeployOptions = {}) => redeploy('hello', options, scene.world.ctx);
const editCode = () => writeFile(join(scene.world.cwd, 'hello.js'), HELLO.replace("'hello'", "'hello again'"));
const onDay = (day: string) => {
  scene.world.ctx.now = () => new Date(`${day}T12:00:00Z`);
};
/** A function deployed long ago on nodejs20.x, which AWS no longer lets anyone update. */
async function deployedOnNode20(): Promise<void> {
  await deployHello(scene);
  scene.aws.functions.get('hello')!.runtime = 'nodejs20.x';
  scene.aws.blockedRuntimes.add('nodejs20.x');
}

describe('runtimes on deploy', () => {
  it('nodejs24.x is the default, with no notice', async () => {
    await runDeploy();
    expect(scene.aws.inputs(CreateFunctionCommand)[0]!.Runtime).toBe('nodejs24.x');
    expect((await records(scene)).hello!.runtime).toBe('nodejs24.x');
    expect(scene.world.reporter.text('warn')).toBe('');
  });

  it('nodejs22.x is accepted with one line giving its dates', async () => {
    await runDeploy({ runtime: 'nodejs22.x' });
    expect(scene.aws.inputs(CreateFunctionCommand)[0]!.Runtime).toBe('nodejs22.x');
    expect(scene.world.reporter.text('warn')).toBe(
      'nodejs22.x: deprecated 2027-04-30, new functions blocked from 2027-06-01, updates blocked from 2027-07-01. Move to nodejs24.x before then: --runtime nodejs24.x',
    );
  });

  it('nodejs22.x is refused once AWS blocks new functions on it', async () => {
    onDay('2027-06-01');
    await expect(runDeploy({ runtime: 'nodejs22.x' })).rejects.toThrow(/AWS blocked new functions on it on 2027-06-01/);
    expect(scene.aws.calls).toEqual([]);
  });

  it('the CLI refuses nodejs20.x before any AWS call with exit 2, the date and the flag to use', async () => {
    const result = await runBam(scene.world, 'deploy', 'hello', '--runtime', 'nodejs20.x');
    expect(result.code).toBe(2);
    expect(stripVTControlCharacters(result.stderr)).toContain('--runtime nodejs20.x: AWS blocked new functions on it on 2026-08-31 (and updates on 2026-09-30). Use --runtime nodejs24.x.');
    expect(scene.aws.calls).toEqual([]);
  });
});

describe('runtimes on redeploy', () => {
  it('a plain redeploy of a function on a blocked runtime says so, and writes nothing', async () => {
    await deployedOnNode20();
    await editCode();
    const failure = runRedeploy();
    await expect(failure).rejects.toThrow(BamError);
    await expect(failure).rejects.toThrow(
      'Lambda "hello" runs nodejs20.x, which AWS no longer updates (blocked since 2026-09-30). Upgrade it with: bam redeploy hello --runtime nodejs24.x',
    );
    expect(scene.aws.writes()).toEqual([]);
  });

  it('--runtime nodejs24.x upgrades it: configuration first (the code update would be refused), then the code', async () => {
    await deployedOnNode20();
    await editCode();
    await runRedeploy({ runtime: 'nodejs24.x' });
    expect(scene.aws.writes()).toEqual(['UpdateFunctionConfiguration', 'UpdateFunctionCode']);
    expect(scene.aws.inputs(UpdateFunctionConfigurationCommand)).toEqual([{ FunctionName: 'hello', Runtime: 'nodejs24.x' }]);
    const fn = scene.aws.functions.get('hello')!;
    expect(fn.runtime).toBe('nodejs24.x');
    expect((await records(scene)).hello).toMatchObject({ runtime: 'nodejs24.x', codeSha256: fn.codeSha256 });
  });

  it('unchanged code on a blocked runtime: nothing to write, and a warning with the upgrade command', async () => {
    await deployedOnNode20();
    await runRedeploy();
    expect(scene.aws.writes()).toEqual([]);
    expect(scene.world.reporter.text('warn')).toContain('Upgrade it with: bam redeploy hello --runtime nodejs24.x');
  });

  it('a function on nodejs22.x is redeployed with a notice of its dates', async () => {
    await deployHello(scene, { runtime: 'nodejs22.x' });
    await editCode();
    await runRedeploy();
    expect(scene.aws.writes()).toEqual(['UpdateFunctionCode']);
    expect(scene.world.reporter.text('warn')).toContain('"hello" runs nodejs22.x: deprecated 2027-04-30');
  });

  it('switching to a blocked runtime is refused before any AWS call', async () => {
    await deployHello(scene);
    await expect(runRedeploy({ runtime: 'nodejs20.x' })).rejects.toThrow(UsageError);
    expect(scene.aws.calls).toEqual([]);
  });
});

describe('runtimes in bam list', () => {
  async function inventory(): Promise<Inventory> {
    scene.world.reporter.events.length = 0;
    await list({ lambdas: true, json: true }, scene.world.ctx);
    return JSON.parse(scene.world.reporter.text('result')) as Inventory;
  }

  it('marks functions on a deprecated or blocked runtime, judged by what AWS reports', async () => {
    await deployHello(scene, { runtime: 'nodejs22.x' });
    await deploy('old', { src: 'hello.js' }, scene.world.ctx);
    scene.aws.functions.get('old')!.runtime = 'nodejs20.x'; // AWS's word wins over the record's
    const today = await inventory();
    expect(today.lambdas!.map((fn) => [fn.name, fn.runtime, fn.runtimeWarning])).toEqual([
      ['hello', 'nodejs22.x', undefined],
      ['old', 'nodejs20.x', 'AWS blocks updates since 2026-09-30'],
    ]);
    onDay('2027-05-01');
    expect((await inventory()).lambdas![0]!.runtimeWarning).toBe('deprecated since 2027-04-30');

    scene.world.reporter.events.length = 0;
    await list({ lambdas: true }, scene.world.ctx);
    const text = stripVTControlCharacters(scene.world.reporter.text('result'));
    expect(text).toContain('runtime: nodejs22.x (deprecated since 2027-04-30)');
    expect(text).toContain('runtime: nodejs20.x (AWS blocks updates since 2026-09-30)');
  });

  it('marks the account\'s other functions too', async () => {
    await deployHello(scene);
    scene.aws.functions.set('legacy', { ...scene.aws.functions.get('hello')!, name: 'legacy', runtime: 'nodejs18.x' });
    const other = (await inventory()).otherLambdas!;
    expect(other).toEqual([{ name: 'legacy', description: 'Says hello', runtime: 'nodejs18.x', runtimeWarning: 'retired: AWS blocks updates' }]);
  });
});
