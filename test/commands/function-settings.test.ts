import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CreateFunctionCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { deploy, type DeployOptions } from '../../src/commands/deploy.js';
import { redeploy, type RedeployOptions } from '../../src/commands/redeploy.js';
import { UsageError } from '../../src/core/errors.js';
import { REGION } from '../aws/fakeAws.js';
import { HELLO, records, runBam, deployHello, setScene, type Scene } from '../aws/scene.js';

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

const deployed = (options: DeployOptions = {}) => deployHello(scene, options);

describe('deploy with function settings', () => {
  it('sends runtime, memory, timeout and variables with CreateFunction and records them', async () => {
    await writeFile(join(scene.world.cwd, '.env'), '# secrets\nexport API_KEY="k1"\nGREETING=from file\n');
    await runDeploy({ runtime: 'nodejs24.x', memory: '512', timeout: '30', envFile: '.env', env: ['GREETING=hi', 'MODE=test'] });
    expect(scene.aws.inputs(CreateFunctionCommand)[0]).toMatchObject({
      Runtime: 'nodejs24.x',
      MemorySize: 512,
      Timeout: 30,
      Environment: { Variables: { API_KEY: 'k1', GREETING: 'hi', MODE: 'test' } },
    });
    expect(scene.aws.roundTrips()).toBe(3);
    expect((await records(scene)).hello).toMatchObject({ runtime: 'nodejs24.x', memory: 512, timeout: 30, env: { API_KEY: 'k1', GREETING: 'hi', MODE: 'test' } });
  });

  it('without flags sends no settings (Lambda\'s defaults) and records what Lambda reports', async () => {
    await runDeploy();
    const input = scene.aws.inputs(CreateFunctionCommand)[0]!;
    expect(input.Runtime).toBe('nodejs24.x');
    expect(input).not.toHaveProperty('MemorySize');
    expect(input).not.toHaveProperty('Timeout');
    expect(input).not.toHaveProperty('Environment');
    const record = (await records(scene)).hello!;
    expect(record).toMatchObject({ runtime: 'nodejs24.x', memory: 128, timeout: 3 });
    expect(record.env).toBeUndefined();
  });

  it.each([
    [{ runtime: 'nodejs18.x' }, /--runtime nodejs18\.x: AWS retired it/],
    [{ runtime: 'nodejs20.x' }, /--runtime nodejs20\.x: AWS blocked new functions on it on 2026-08-31 \(and updates on 2026-09-30\)\. Use --runtime nodejs24\.x\./],
    [{ memory: '64' }, /--memory/],
    [{ timeout: '1000' }, /--timeout/],
    [{ env: ['AWS_REGION=x'] }, /reserved/],
    [{ env: ['bad key=x'] }, /not a valid variable name/],
    [{ envFile: 'nope.env' }, /--envFile: cannot read/],
  ] as [DeployOptions, RegExp][])('refuses %j before any AWS call', async (options, message) => {
    await expect(runDeploy(options)).rejects.toThrow(UsageError);
    await expect(runDeploy(options)).rejects.toThrow(message);
    expect(scene.aws.calls).toEqual([]);
  });

  it('the CLI: exit 2 for a bad --memory, --env is repeatable', async () => {
    const bad = await runBam(scene.world, 'deploy', 'hello', '--memory', '99999');
    expect(bad.code).toBe(2);
    expect(scene.aws.calls).toEqual([]);
    expect((await runBam(scene.world, 'deploy', 'hello', '--env', 'A=1', '--env', 'B=2', '--timeout', '10')).code).toBe(0);
    expect(scene.aws.inputs(CreateFunctionCommand)[0]).toMatchObject({ Timeout: 10, Environment: { Variables: { A: '1', B: '2' } } });
  });

  it('warns that a stale record\'s API may still exist instead of silently replacing the record', async () => {
    await deployed();
    scene.aws.functions.delete('hello'); // deleted in the console; the API stays
    await runDeploy();
    expect(scene.world.reporter.text('warn')).toContain('had the API api1, which may still exist');
    expect(scene.world.reporter.text('warn')).toContain(`aws apigateway delete-rest-api --region ${REGION} --rest-api-id api1`);
    expect((await records(scene)).hello!.api!.restApiId).toBe('api2');
  });
});

describe('redeploy with function settings', () => {
  it('changed code and settings: one UpdateFunctionConfiguration after the code update has finished', async () => {
    await deployed({ env: ['KEEP=1', 'DROP=x'] });
    await editCode();
    await runRedeploy({ memory: '1024', timeout: '20', runtime: 'nodejs22.x', env: ['NEW=2', 'DROP='] });
    const names = scene.aws.names();
    const code = names.indexOf('UpdateFunctionCode');
    const config = names.indexOf('UpdateFunctionConfiguration');
    // UpdateFunctionCode → the waiter's GetFunction polls (until Successful) → UpdateFunctionConfiguration.
    expect(code).toBeGreaterThan(0);
    expect(names.slice(code + 1, config)).toEqual(['GetFunction']);
    expect(scene.aws.startedAfter('UpdateFunctionConfiguration', 'UpdateFunctionCode')).toBe(true);
    expect(scene.aws.writes()).toEqual(['UpdateFunctionCode', 'UpdateFunctionConfiguration']);
    expect(scene.aws.inputs(UpdateFunctionConfigurationCommand)).toEqual([
      { FunctionName: 'hello', Runtime: 'nodejs22.x', MemorySize: 1024, Timeout: 20, Environment: { Variables: { KEEP: '1', NEW: '2' } } },
    ]);
    expect((await records(scene)).hello).toMatchObject({ runtime: 'nodejs22.x', memory: 1024, timeout: 20, env: { KEEP: '1', NEW: '2' } });
  });

  it('settings only: one UpdateFunctionConfiguration, then the wait for it to finish', async () => {
    await deployed();
    await runRedeploy({ timeout: '15' });
    expect(scene.aws.writes()).toEqual(['UpdateFunctionConfiguration']);
    expect(scene.aws.inputs(UpdateFunctionConfigurationCommand)[0]).toEqual({ FunctionName: 'hello', Timeout: 15 });
    expect(scene.aws.roundTrips()).toBe(3);
    expect((await records(scene)).hello!.timeout).toBe(15);
  });

  it('folds a description change and the settings into the same single call', async () => {
    await deployed();
    await writeFile(join(scene.world.cwd, 'hello.js'), HELLO.replace('Says hello', 'Says hi'));
    await runRedeploy({ memory: '256' });
    expect(scene.aws.inputs(UpdateFunctionConfigurationCommand)).toEqual([{ FunctionName: 'hello', Description: 'Says hi', MemorySize: 256 }]);
  });

  it('settings the function already has: no write call', async () => {
    await deployed({ memory: '256', env: ['A=1'] });
    await runRedeploy({ memory: '256', timeout: '3', runtime: 'nodejs24.x', env: ['A=1'] });
    expect(scene.aws.writes()).toEqual([]);
    expect(scene.world.reporter.text('succeed')).toContain('up to date');
  });

  it('compares with the function in AWS, not the record: a console change is put back', async () => {
    await deployed({ memory: '256' });
    scene.aws.functions.get('hello')!.memory = 2048; // changed in the console
    await runRedeploy({ memory: '256' });
    expect(scene.aws.inputs(UpdateFunctionConfigurationCommand)).toEqual([{ FunctionName: 'hello', MemorySize: 256 }]);
  });

  it('removing the last variable sends an empty set and drops env from the record', async () => {
    await deployed({ env: ['ONLY=1'] });
    await runRedeploy({ env: ['ONLY='] });
    expect(scene.aws.inputs(UpdateFunctionConfigurationCommand)[0]).toEqual({ FunctionName: 'hello', Environment: { Variables: {} } });
    expect((await records(scene)).hello!.env).toBeUndefined();
  });

  it('refuses bad settings before any AWS call, and a merge over 4 KB before any write', async () => {
    await deployed({ env: [`BIG=${'x'.repeat(3000)}`] });
    for (const options of [{ runtime: 'node' }, { memory: '0' }, { timeout: 'soon' }, { env: ['AWS_SESSION_TOKEN=x'] }, { envFile: 'missing' }]) {
      await expect(runRedeploy(options)).rejects.toThrow(UsageError);
    }
    expect(scene.aws.calls).toEqual([]);
    await expect(runRedeploy({ env: [`MORE=${'y'.repeat(1500)}`] })).rejects.toThrow(/Lambda allows 4096/);
    expect(scene.aws.writes()).toEqual([]);
    expect((await scene.world.store.lambdaRecords.get(REGION, 'hello'))!.env).toEqual({ BIG: 'x'.repeat(3000) });
  });
});
