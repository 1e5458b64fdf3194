import { access, mkdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeleteFunctionCommand } from '@aws-sdk/client-lambda';
import { DeleteRestApiCommand } from '@aws-sdk/client-api-gateway';
import { deploy, type DeployOptions } from '../../src/commands/deploy.js';
import { deleteLambda } from '../../src/commands/delete.js';
import { storePaths } from '../../src/store/paths.js';
import { lambdaRecords } from '../../src/store/records.js';
import { awsError } from '../aws/fakeAws.js';
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
  it('deletes the API and the function concurrently in one round trip, then the record and staging', async () => {
    await deployed();
    expect(await exists(storePaths.staging('hello'))).toBe(true);
    await run();
    const { aws } = scene;
    expect(aws.names().sort()).toEqual(['DeleteFunction', 'DeleteRestApi']);
    expect(aws.overlapped('DeleteFunction', 'DeleteRestApi')).toBe(true);
    expect(aws.roundTrips()).toBe(1);
    expect(aws.inputs(DeleteRestApiCommand)).toEqual([{ restApiId: 'api1' }]);
    expect(aws.inputs(DeleteFunctionCommand)).toEqual([{ FunctionName: 'hello' }]);
    expect(aws.functions.size + aws.apis.size).toBe(0);
    expect(await records()).toEqual({});
    expect(await exists(storePaths.staging('hello'))).toBe(false);
    expect(scene.world.reporter.text('succeed')).toContain('Lambda: "hello" has been deleted');
  });

  it('--endpointOnly deletes only the API and keeps the function and its record without the API', async () => {
    await deployed();
    const restApiId = (await records()).hello!.api!.restApiId;
    expect(Object.keys(scene.aws.functions.get('hello')!.permissions)).toEqual([`bam-apigateway-${restApiId}`]);
    await run(true);
    expect(scene.aws.names().sort()).toEqual(['DeleteRestApi', 'RemovePermission']);
    expect(scene.aws.roundTrips()).toBe(1);
    expect(scene.aws.functions.get('hello')!.permissions).toEqual({}); // no permission left for a deleted API
    expect((await records()).hello).toBeDefined();
    expect((await records()).hello!.api).toBeUndefined();
    await expectRecordsMatchAws(scene.aws);
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
    expect(await records()).toEqual({});
    const warnings = scene.world.reporter.text('warn');
    expect(warnings).toContain('endpoint of "hello" (api1) no longer existed');
    expect(warnings).toContain('Lambda "hello" no longer existed');
  });

  it('a function bam has no record of is still deleted; one that does not exist is a warning', async () => {
    await deploy('hello', { lambdaOnly: true }, scene.world.ctx);
    await lambdaRecords.remove('us-east-1', 'hello');
    await run();
    expect(scene.aws.functions.size).toBe(0);
    scene.world.reporter.events.length = 0;
    await run();
    expect(scene.world.reporter.text('warn')).toContain('does not exist');
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
    expect(await records()).toEqual({});
  });

  it('when the API cannot be deleted, the record stays and the next delete finishes the job', async () => {
    await deployed();
    scene.aws.fail('DeleteRestApi', () => awsError('BadRequestException', 'Active stages pointing to this deployment'));
    const failed = await runBam(scene.world, 'delete', 'hello');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('DeleteRestApi failed');
    expect(scene.aws.functions.size).toBe(0);
    expect((await records()).hello!.api!.restApiId).toBe('api1');

    const again = await runBam(scene.world, 'delete', 'hello');
    expect(again.code).toBe(0);
    expect(scene.aws.apis.size).toBe(0);
    expect(await records()).toEqual({});
  });

  it('when the function cannot be deleted, the deleted API leaves the record', async () => {
    await deployed();
    scene.aws.fail('DeleteFunction', () => awsError('AccessDeniedException', 'not authorized to perform lambda:DeleteFunction'));
    await expect(run()).rejects.toThrow('DeleteFunction failed');
    expect((await records()).hello!.api).toBeUndefined();
    await expectRecordsMatchAws(scene.aws);
  });

  it('leaves the user\'s own folders alone', async () => {
    await deployed();
    await mkdir(`${scene.world.cwd}/hello`);
    await run();
    expect(await exists(`${scene.world.cwd}/hello`)).toBe(true);
    expect(await exists(`${scene.world.cwd}/hello.js`)).toBe(true);
  });
});
