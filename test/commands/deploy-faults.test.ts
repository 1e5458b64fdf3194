import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeleteRestApiCommand } from '@aws-sdk/client-api-gateway';
import { ACCOUNT, REGION, awsError, type FakeAws } from '../aws/fakeAws.js';
import { expectRecordsMatchAws, records, runBam, setScene, type Scene } from '../aws/scene.js';

let scene: Scene;
beforeEach(async () => {
  scene = await setScene();
});
afterEach(async () => {
  await scene.cleanup();
});

/** Every AWS step of a fresh deploy, each failing for good (no retry can help). */
const FAULTS: { step: string; inject: (aws: FakeAws) => void }[] = [
  { step: 'GetFunction', inject: (aws) => aws.fail('GetFunction', () => awsError('AccessDeniedException', 'not authorized to perform lambda:GetFunction')) },
  { step: 'CreateFunction', inject: (aws) => aws.fail('CreateFunction', () => awsError('CodeStorageExceededException', 'Code storage limit exceeded.')) },
  { step: 'ImportRestApi', inject: (aws) => aws.fail('ImportRestApi', () => awsError('BadRequestException', 'Errors found during import')) },
  { step: 'AddPermission', inject: (aws) => aws.fail('AddPermission', () => awsError('PolicyLengthExceededException', 'The policy is too long')) },
  { step: 'CreateDeployment', inject: (aws) => aws.fail('CreateDeployment', () => awsError('BadRequestException', 'No integration defined for method')) },
  {
    step: 'FunctionActive',
    inject: (aws) => {
      aws.failsActivation = true;
    },
  },
];

/** The function answers at its URL: an API deployed to stage bam that the function lets invoke it. */
async function expectWholeEndpoint(aws: FakeAws): Promise<void> {
  const [api, ...others] = [...aws.apis.values()];
  expect(others).toEqual([]);
  expect(api!.deployments).toContain('bam');
  expect(aws.functions.get('hello')!.permissions[`bam-apigateway-${api!.id}`]).toEqual({
    Principal: 'apigateway.amazonaws.com',
    Action: 'lambda:InvokeFunction',
    SourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${api!.id}/*/*/*`,
  });
  expect((await records(scene)).hello!.api).toMatchObject({ restApiId: api!.id, deployed: true, methods: ['GET'] });
}

describe('bam deploy, failing at every step', () => {
  for (const { step, inject } of FAULTS) {
    it(`${step} fails: exit 1 naming the step, records list what exists, and bam recovers`, async () => {
      const { aws, world } = scene;
      inject(aws);
      const failed = await runBam(world, 'deploy', 'hello');
      expect(failed.code).toBe(1);
      const lines = failed.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`${step} failed`);
      await expectRecordsMatchAws(scene);

      // What a user does next: finish the endpoint if the function exists, else deploy again.
      aws.failsActivation = false;
      const recovery = aws.functions.has('hello') ? await runBam(world, 'redeploy', 'hello', '--addEndpoint') : await runBam(world, 'deploy', 'hello');
      expect(recovery.stderr).toBe('');
      expect(recovery.code).toBe(0);
      await expectWholeEndpoint(aws);
      await expectRecordsMatchAws(scene);

      const deleted = await runBam(world, 'delete', 'hello');
      expect(deleted.code).toBe(0);
      expect(aws.functions.size + aws.apis.size).toBe(0);
      expect(await records(scene)).toEqual({});
    });
  }

  it('a failed CreateFunction removes the API imported beside it, so nothing is left unrecorded', async () => {
    const { aws, world } = scene;
    aws.fail('CreateFunction', () => awsError('CodeStorageExceededException', 'Code storage limit exceeded.'));
    await runBam(world, 'deploy', 'hello');
    expect(aws.inputs(DeleteRestApiCommand)).toEqual([{ restApiId: 'api1' }]);
    expect(aws.apis.size).toBe(0);
  });

  it('a failed ImportRestApi says how to add the endpoint later', async () => {
    scene.aws.fail('ImportRestApi', () => awsError('BadRequestException', 'Errors found during import'));
    const failed = await runBam(scene.world, 'deploy', 'hello');
    expect(failed.stderr).toContain('bam redeploy hello --addEndpoint');
  });

  it.each(['AddPermission', 'CreateDeployment'])('a failed %s names the step and says how to finish the endpoint', async (step) => {
    scene.aws.fail(step, () => awsError('AccessDeniedException', `not authorized to perform ${step}`));
    const failed = await runBam(scene.world, 'deploy', 'hello');
    expect(failed.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`${step} failed: .*bam redeploy hello`))]);
  });

  it('a function that never becomes Active still has its published endpoint recorded as deployed', async () => {
    scene.aws.failsActivation = true;
    expect((await runBam(scene.world, 'deploy', 'hello')).code).toBe(1);
    expect(scene.aws.apis.get('api1')!.deployments).toEqual(['bam']);
    expect((await records(scene)).hello!.api).toMatchObject({ restApiId: 'api1', deployed: true });
  });

  it('a delete right after any failure also leaves nothing behind', async () => {
    const { aws, world } = scene;
    aws.fail('CreateDeployment', () => awsError('BadRequestException', 'No integration defined for method'));
    expect((await runBam(world, 'deploy', 'hello')).code).toBe(1);
    expect((await records(scene)).hello!.api!.deployed).toBe(false);
    expect((await runBam(world, 'delete', 'hello')).code).toBe(0);
    expect(aws.functions.size + aws.apis.size).toBe(0);
    expect(await records(scene)).toEqual({});
  });
});
