import { access, mkdir } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeleteFunctionCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { DeleteRestApiCommand } from '@aws-sdk/client-api-gateway';
import type { DeployOptions } from '../../src/commands/deploy.js';
import { deleteLambda } from '../../src/commands/delete.js';
import { ACCOUNT, awsError } from '../aws/fakeAws.js';
import { BamError, UsageError } from '../../src/core/errors.js';
import { expectRecordsMatchAws, records, runBam, deployHello, setScene, type Scene } from '../aws/scene.js';

let scene: Scene;
beforeEach(async () => {
  scene = await setScene();
});
afterEach(async () => {
  await scene.cleanup();
});

const deployed = (options: DeployOptions = {}) => deployHello(scene, options);

const run = (endpointOnly = false) => deleteLambda('hello', { endpointOnly }, scene.world.ctx);
const exists = (path: string) => access(path).then(() => true, () => false);

describe('bam delete', () => {
  it('deletes the API, then the function (two round trips), then the record and staging', async () => {
    await deployed();
    expect(await exists(scene.world.store.paths.staging('hello'))).toBe(true);
    await run();
    const { aws } = scene;
    // In this order, an API that cannot be deleted stops the delete with everything still recorded.
    expect(aws.names()).toEqual(['DeleteRestApi', 'DeleteFunction']);
    expect(aws.startedAfter('DeleteFunction', 'DeleteRestApi')).toBe(true);
    expect(aws.roundTrips()).toBe(2);
    expect(aws.inputs(DeleteRestApiCommand)).toEqual([{ restApiId: 'api1' }]);
    expect(aws.inputs(DeleteFunctionCommand)).toEqual([{ FunctionName: 'hello' }]);
    expect(aws.functions.size + aws.apis.size).toBe(0);
    expect(await records(scene)).toEqual({});
    expect(await exists(scene.world.store.paths.staging('hello'))).toBe(false);
    expect(scene.world.reporter.text('succeed')).toContain('Lambda: "hello" has been deleted');
  });

  it('--endpointOnly deletes only the API and keeps the function and its record without the API', async () => {
    await deployed();
    const restApiId = (await records(scene)).hello!.api!.restApiId;
    expect(Object.keys(scene.aws.functions.get('hello')!.permissions)).toEqual([`bam-apigateway-${restApiId}`]);
    await run(true);
    expect(scene.aws.names()).toEqual(['DeleteRestApi', 'RemovePermission']);
    expect(scene.aws.roundTrips()).toBe(2);
    expect(scene.aws.functions.get('hello')!.permissions).toEqual({}); // no permission left for a deleted API
    expect((await records(scene)).hello).toBeDefined();
    expect((await records(scene)).hello!.api).toBeUndefined();
    await expectRecordsMatchAws(scene);
  });

  it('--endpointOnly on a function without an endpoint warns and calls nothing', async () => {
    await deployed({ lambdaOnly: true });
    await run(true);
    expect(scene.aws.calls).toEqual([]);
    expect(scene.world.reporter.text('warn')).toContain('no endpoint');
  });

  it('drops stale records of resources already deleted in the console, and says so', async () => {
    await deployed();
    scene.aws.apis.clear();
    scene.aws.functions.clear();
    await run();
    expect(await records(scene)).toEqual({});
    const warnings = scene.world.reporter.text('warn');
    expect(warnings).toContain('endpoint of "hello" (api1) no longer existed');
    expect(warnings).toContain('Lambda "hello" no longer existed');
  });

  it('waits out DeleteRestApi\'s rate limit with a warning and a countdown', async () => {
    await deployed();
    scene.aws.fail('DeleteRestApi', () => awsError('TooManyRequestsException', 'Too Many Requests'), 3);
    await run();
    expect(scene.aws.inputs(DeleteRestApiCommand)).toHaveLength(4);
    const { reporter } = scene.world;
    expect(reporter.events.filter((event) => event.type === 'warn')).toHaveLength(1);
    expect(reporter.text('warn')).toContain('AWS is making us wait (DeleteRestApi: rate limit reached)');
    expect(reporter.events.filter((event) => event.type === 'update' && /DeleteRestApi.*retry \d in \d+ s/.test(event.text))).toHaveLength(3);
    expect(await records(scene)).toEqual({});
  });

  it('when the API cannot be deleted, nothing else is touched: function and record stay, and the next delete finishes the job', async () => {
    await deployed();
    scene.aws.fail('DeleteRestApi', () => awsError('BadRequestException', 'Active stages pointing to this deployment'));
    const failed = await runBam(scene.world, 'delete', 'hello');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('DeleteRestApi failed');
    expect(scene.aws.names()).not.toContain('DeleteFunction');
    expect((await records(scene)).hello!.api!.restApiId).toBe('api1');
    await expectRecordsMatchAws(scene);

    const again = await runBam(scene.world, 'delete', 'hello');
    expect(again.code).toBe(0);
    expect(scene.aws.apis.size + scene.aws.functions.size).toBe(0);
    expect(await records(scene)).toEqual({});
  });

  it('when the function cannot be deleted, the deleted API leaves the record', async () => {
    await deployed();
    scene.aws.fail('DeleteFunction', () => awsError('AccessDeniedException', 'not authorized to perform lambda:DeleteFunction'));
    await expect(run()).rejects.toThrow('DeleteFunction failed');
    expect((await records(scene)).hello!.api).toBeUndefined();
    await expectRecordsMatchAws(scene);
  });

  it('leaves the user\'s own folders alone', async () => {
    await deployed();
    await mkdir(`${scene.world.cwd}/hello`);
    await run();
    expect(await exists(`${scene.world.cwd}/hello`)).toBe(true);
    expect(await exists(`${scene.world.cwd}/hello.js`)).toBe(true);
  });
});

describe('bam delete of a function bam has no record of', () => {
  /** A function someone made without bam (or, with bam's tag, bam made on another machine). */
  const plant = (name: string, tags: Record<string, string> = {}) => {
    scene.aws.functions.set(name, {
      name,
      role: `arn:aws:iam::${ACCOUNT}:role/theirs`,
      description: 'not ours',
      runtime: 'nodejs22.x',
      handler: 'index.handler',
      memory: 128,
      timeout: 3,
      env: {},
      codeSha256: 'their-sha',
      tags,
      state: 'Active',
      lastUpdateStatus: 'Successful',
      permissions: {},
      zip: new Uint8Array(),
    });
  };
  /** A terminal on which the person types `typed`; returns what bam wrote to it. */
  const terminal = (typed: string) => {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const output = new PassThrough();
    let shown = '';
    output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
    input.write(typed);
    scene.world.ctx.io = { input, output };
    return () => shown;
  };
  const deleteOutsider = (force = false) => deleteLambda('outsider', { force }, scene.world.ctx);

  it('one with bam\'s tag (made from another machine) is deleted without asking: GetFunction, then DeleteFunction', async () => {
    plant('outsider', { 'bam:managed': 'true' });
    await deleteOutsider();
    expect(scene.aws.names()).toEqual(['GetFunction', 'DeleteFunction']);
    expect(scene.aws.startedAfter('DeleteFunction', 'GetFunction')).toBe(true);
    expect(scene.aws.inputs(GetFunctionCommand)).toEqual([{ FunctionName: 'outsider' }]);
    expect(scene.aws.inputs(DeleteFunctionCommand)).toEqual([{ FunctionName: 'outsider' }]);
    expect(scene.aws.functions.has('outsider')).toBe(false);
    expect(scene.world.reporter.text('warn')).toBe('');
  });

  it('an untagged one, on a terminal: deleted when the person types its name', async () => {
    plant('outsider', { team: 'payments' });
    const shown = terminal('outsider\n');
    await deleteOutsider();
    expect(scene.world.reporter.text('warn')).toContain('Function "outsider" in us-east-1 was not made by bam (no record here, no bam:managed tag)');
    expect(shown()).toContain('Type its name to delete it anyway');
    expect(scene.aws.names()).toEqual(['GetFunction', 'DeleteFunction']);
    expect(scene.aws.functions.has('outsider')).toBe(false);
    expect(scene.world.reporter.text('succeed')).toContain('Lambda: "outsider" has been deleted');
  });

  it('an untagged one, on a terminal: kept when the person types anything else (exit 1)', async () => {
    plant('outsider');
    for (const typed of ['outsidr\n', '\n', 'q\n']) {
      scene.aws.resetCalls();
      terminal(typed);
      const refused = await deleteOutsider().then(() => undefined, (err: unknown) => err);
      expect(refused, typed).toBeInstanceOf(BamError);
      expect((refused as BamError).exitCode).toBe(1);
      expect((refused as Error).message).toBe('Function "outsider" was not deleted: its name was not typed.');
      expect(scene.aws.names()).toEqual(['GetFunction']);
    }
    expect(scene.aws.functions.has('outsider')).toBe(true);
  });

  it('an untagged one, without a terminal: refused in one line naming --force (exit 2), nothing deleted', async () => {
    plant('outsider');
    const refused = await runBam(scene.world, 'delete', 'outsider');
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toEqual([
      expect.stringContaining('Function "outsider" in us-east-1 was not made by bam (no record here, no bam:managed tag); nothing deleted. To delete it anyway: bam delete outsider --force'),
    ]);
    expect(scene.aws.names()).toEqual(['GetFunction']);
    expect(scene.aws.functions.has('outsider')).toBe(true);
    await expect(deleteOutsider()).rejects.toBeInstanceOf(UsageError);
  });

  it('--force deletes it without looking or asking: DeleteFunction alone', async () => {
    plant('outsider');
    const forced = await runBam(scene.world, 'delete', 'outsider', '--force');
    expect(forced.code).toBe(0);
    expect(scene.aws.names()).toEqual(['DeleteFunction']);
    expect(scene.aws.inputs(DeleteFunctionCommand)).toEqual([{ FunctionName: 'outsider' }]);
    expect(scene.aws.functions.has('outsider')).toBe(false);
  });

  it('bam delete nosuch (no record, no function) fails with exit 1, with or without --force', async () => {
    const missing = await runBam(scene.world, 'delete', 'nosuch');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Function "nosuch" does not exist in us-east-1; nothing to delete.');
    expect(scene.aws.names()).toEqual(['GetFunction']);
    scene.aws.resetCalls();
    const forced = await runBam(scene.world, 'delete', 'nosuch', '--force');
    expect(forced.code).toBe(1);
    expect(forced.stderr).toContain('Function "nosuch" does not exist');
    expect(scene.aws.names()).toEqual(['DeleteFunction']);
  });

  it('a recorded function is deleted without a look at its tags, whatever they are', async () => {
    await deployed({ lambdaOnly: true });
    scene.aws.functions.get('hello')!.tags = {};
    await run();
    expect(scene.aws.names()).toEqual(['DeleteFunction']);
    expect(await records(scene)).toEqual({});
  });
});

