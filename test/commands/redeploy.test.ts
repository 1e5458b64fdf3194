import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RemovePermissionCommand, UpdateFunctionCodeCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { CreateDeploymentCommand, ImportRestApiCommand, PutRestApiCommand } from '@aws-sdk/client-api-gateway';
import { deploy, type DeployOptions } from '../../src/commands/deploy.js';
import { redeploy, type RedeployOptions } from '../../src/commands/redeploy.js';
import { DATABASE_ROLE, DEFAULT_ROLE } from '../../src/core/records.js';
import { BamError } from '../../src/core/errors.js';
import { ACCOUNT, REGION, awsError } from '../aws/fakeAws.js';
import { HELLO, expectRecordsMatchAws, records, runBam, deployHello, setScene, type Scene } from '../aws/scene.js';

let scene: Scene;
beforeEach(async () => {
  scene = await setScene();
});
afterEach(async () => {
  await scene.cleanup();
});

const deployed = (options: DeployOptions = {}) => deployHello(scene, options);

const run = (options: RedeployOptions = {}) => redeploy('hello', options, scene.world.ctx);
const editCode = (text = HELLO.replace("'hello'", "'hello again'")) => writeFile(join(scene.world.cwd, 'hello.js'), text);
const methodsOf = (path: string) => Object.keys(scene.aws.apis.get('api1')!.document.paths[path]!);

describe('bam redeploy', () => {
  it('with unchanged code makes one round trip of reads and no write call', async () => {
    await deployed();
    const before = await records(scene);
    await run();
    expect(scene.aws.names().sort()).toEqual(['GetFunction', 'GetRestApi']);
    expect(scene.aws.writes()).toEqual([]);
    expect(scene.aws.roundTrips()).toBe(1);
    expect(await records(scene)).toEqual(before);
    expect(scene.world.reporter.text('succeed')).toContain('up to date');
  });

  it('with changed code updates it in three round trips and records the new CodeSha256', async () => {
    await deployed();
    await editCode();
    await run();
    const { aws } = scene;
    expect(aws.writes()).toEqual(['UpdateFunctionCode']);
    expect(aws.inputs(UpdateFunctionCodeCommand)[0]!.FunctionName).toBe('hello');
    // The command ends once Lambda has applied the code (the waiter's GetFunction).
    expect(aws.names()).toHaveLength(4);
    expect(aws.startedAfter('UpdateFunctionCode', 'GetFunction')).toBe(true);
    expect(aws.roundTrips()).toBe(3);
    expect((await records(scene)).hello!.codeSha256).toBe(aws.functions.get('hello')!.codeSha256);
    expect((await records(scene)).hello!.api!.restApiId).toBe('api1');
  });

  it('new code applied but the configuration update failing: the record has the new code, and a rerun sends only the configuration', async () => {
    await deployed();
    const before = (await records(scene)).hello!;
    await editCode(HELLO.replace('Says hello', 'Says hi').replace("'hello'", "'hi'"));
    scene.aws.fail('UpdateFunctionConfiguration', () => awsError('AccessDeniedException', 'not authorized to perform lambda:UpdateFunctionConfiguration'));
    await expect(run()).rejects.toThrow('UpdateFunctionConfiguration failed');
    const fn = scene.aws.functions.get('hello')!;
    expect(fn.codeSha256).not.toBe(before.codeSha256);
    expect((await records(scene)).hello).toMatchObject({ codeSha256: fn.codeSha256, description: 'Says hello' });

    scene.aws.resetCalls();
    await run();
    expect(scene.aws.writes()).toEqual(['UpdateFunctionConfiguration']);
    expect((await records(scene)).hello).toMatchObject({ codeSha256: fn.codeSha256, description: 'Says hi' });
  });

  it('waits until the code update is done before changing the configuration (a new description)', async () => {
    await deployed();
    await editCode(HELLO.replace('Says hello', 'Says hello politely'));
    await run();
    const names = scene.aws.names();
    const code = names.indexOf('UpdateFunctionCode');
    const config = names.indexOf('UpdateFunctionConfiguration');
    expect(code).toBeGreaterThan(-1);
    expect(names.slice(code + 1, config)).toEqual(['GetFunction']);
    expect(scene.aws.inputs(UpdateFunctionConfigurationCommand)[0]).toEqual({ FunctionName: 'hello', Description: 'Says hello politely' });
    expect((await records(scene)).hello!.description).toBe('Says hello politely');
  });

  it('retries a ResourceConflictException (update in progress) during the configuration update', async () => {
    await deployed();
    await editCode(HELLO.replace('Says hello', 'Says hi'));
    scene.aws.fail('UpdateFunctionConfiguration', () => awsError('ResourceConflictException', 'An update is in progress for resource: hello'), 2);
    await run();
    expect(scene.aws.names().filter((name) => name === 'UpdateFunctionConfiguration')).toHaveLength(3);
    expect(scene.delays).toHaveLength(2);
    expect(scene.aws.functions.get('hello')!.description).toBe('Says hi');
  });

  it('--permitDb switches to databaseBamRole and --revokeDb back to the default role', async () => {
    await deployed();
    await run({ permitDb: true });
    expect(scene.aws.inputs(UpdateFunctionConfigurationCommand)[0]).toEqual({
      FunctionName: 'hello',
      Role: `arn:aws:iam::${ACCOUNT}:role/${DATABASE_ROLE}`,
    });
    expect(scene.aws.writes()).not.toContain('UpdateFunctionCode');
    expect((await records(scene)).hello!.role).toBe(DATABASE_ROLE);

    scene.aws.resetCalls();
    await run({ revokeDb: true });
    expect(scene.aws.inputs(UpdateFunctionConfigurationCommand)[0]!.Role).toBe(`arn:aws:iam::${ACCOUNT}:role/${DEFAULT_ROLE}`);
    expect((await records(scene)).hello!.role).toBe(DEFAULT_ROLE);
  });

  it('--role switches to an existing role and refuses a missing one before any write', async () => {
    await deployed();
    scene.aws.roles.set('other', { policies: [], inline: {} });
    await run({ role: 'other' });
    expect(scene.aws.inputs(UpdateFunctionConfigurationCommand)[0]!.Role).toBe(`arn:aws:iam::${ACCOUNT}:role/other`);

    scene.aws.resetCalls();
    await expect(run({ role: 'missing' })).rejects.toThrow('Role "missing" does not exist');
    expect(scene.aws.writes()).toEqual([]);
  });

  it('--methods post overwrites the API with one PutRestApi, then deploys the stage', async () => {
    await deployed();
    await run({ methods: ['post'] });
    const { aws } = scene;
    expect(aws.writes()).toEqual(['PutRestApi', 'CreateDeployment']);
    expect(aws.inputs(PutRestApiCommand)[0]).toMatchObject({ restApiId: 'api1', mode: 'overwrite' });
    expect(aws.startedAfter('CreateDeployment', 'PutRestApi')).toBe(true);
    expect(aws.inputs(CreateDeploymentCommand)[0]).toEqual({ restApiId: 'api1', stageName: 'bam' });
    expect(methodsOf('/')).toEqual(['get', 'post']);
    expect(methodsOf('/{proxy+}')).toEqual(['get', 'post']);
    expect((await records(scene)).hello!.api).toMatchObject({ restApiId: 'api1', methods: ['GET', 'POST'], deployed: true });
  });

  it('--rmMethods removes a method; removing the last one or an unknown one is refused before any call', async () => {
    await deployed({ methods: ['GET', 'POST'] });
    await run({ rmMethods: ['get'] });
    expect(methodsOf('/')).toEqual(['post']);
    expect((await records(scene)).hello!.api!.methods).toEqual(['POST']);

    scene.aws.resetCalls();
    await expect(run({ rmMethods: ['post'] })).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('bam delete hello --endpointOnly') });
    await expect(run({ rmMethods: ['put'] })).rejects.toMatchObject({ exitCode: 2 });
    expect(scene.aws.calls).toEqual([]);
  });

  it('--methods that are already there change nothing', async () => {
    await deployed();
    await run({ methods: ['GET'] });
    expect(scene.aws.writes()).toEqual([]);
  });

  it('--addEndpoint gives a --lambdaOnly function an API', async () => {
    await deployed({ lambdaOnly: true });
    await run({ addEndpoint: true });
    const { aws } = scene;
    expect(aws.writes().sort()).toEqual(['AddPermission', 'CreateDeployment', 'ImportRestApi']);
    expect(aws.inputs(ImportRestApiCommand)[0]!.parameters).toEqual({ endpointConfigurationTypes: 'EDGE' });
    expect(methodsOf('/')).toEqual(['get']);
    expect(scene.world.reporter.text('result')).toBe(`https://api1.execute-api.${REGION}.amazonaws.com/bam`);
    expect((await records(scene)).hello!.api).toMatchObject({ restApiId: 'api1', deployed: true, methods: ['GET'] });
    await expectRecordsMatchAws(scene);
  });

  it('--addEndpoint gives the new API the methods of the code\'s // methods: line, as deploy does (and --methods over it)', async () => {
    await deployed({ lambdaOnly: true });
    await editCode(`// methods: GET, POST, DELETE\n${HELLO}`);
    await run({ addEndpoint: true });
    expect(methodsOf('/').sort()).toEqual(['delete', 'get', 'post']);
    expect((await records(scene)).hello!.api).toMatchObject({ methods: ['GET', 'POST', 'DELETE'] });
    await expectRecordsMatchAws(scene);
  });

  it('--addEndpoint --methods PUT makes an API of PUT alone, whatever the // methods: line says', async () => {
    await deployed({ lambdaOnly: true });
    await editCode(`// methods: GET, POST\n${HELLO}`);
    await run({ addEndpoint: true, methods: ['put'] });
    expect(methodsOf('/')).toEqual(['put']);
  });

  it('--addEndpoint when there is one already says so and changes nothing', async () => {
    await deployed();
    await run({ addEndpoint: true });
    expect(scene.aws.writes()).toEqual([]);
    expect(scene.world.reporter.text('info')).toContain('already has an endpoint');
  });

  it('an API deleted behind bam\'s back is replaced when methods are asked for, and the record overwritten', async () => {
    await deployed({ endpointType: 'regional' });
    scene.aws.apis.delete('api1');
    await run({ methods: ['put'] });
    const { aws } = scene;
    expect(aws.writes().sort()).toEqual(['AddPermission', 'CreateDeployment', 'ImportRestApi', 'RemovePermission']);
    expect(aws.inputs(ImportRestApiCommand)[0]!.parameters).toEqual({ endpointConfigurationTypes: 'REGIONAL' });
    // Only the new API may invoke the function: the vanished one's permission is gone.
    expect(Object.keys(aws.functions.get('hello')!.permissions)).toEqual(['bam-apigateway-api2']);
    expect(Object.keys(aws.apis.get('api2')!.document.paths['/']!)).toEqual(['get', 'put']);
    expect((await records(scene)).hello!.api).toMatchObject({ restApiId: 'api2', methods: ['GET', 'PUT'], deployed: true });
    await expectRecordsMatchAws(scene);
  });

  it('an API deleted behind bam\'s back with nothing asked gives a warning, drops its permission and its record, keeps its settings', async () => {
    await deployed({ methods: ['GET', 'POST', 'DELETE'], cors: 'https://example.com' });
    scene.aws.apis.delete('api1');
    await run();
    expect(scene.aws.writes()).toEqual(['RemovePermission']);
    expect(scene.aws.inputs(RemovePermissionCommand)).toEqual([{ FunctionName: 'hello', StatementId: 'bam-apigateway-api1' }]);
    expect(scene.aws.functions.get('hello')!.permissions).toEqual({});
    expect(scene.world.reporter.text('warn')).toContain('bam redeploy hello --addEndpoint');
    expect((await records(scene)).hello!.lastApi).toEqual({ methods: ['GET', 'POST', 'DELETE'], endpointType: 'EDGE', cors: 'https://example.com' });
    await expectRecordsMatchAws(scene);
  });

  it('following that hint, --addEndpoint brings back the last endpoint\'s methods and CORS', async () => {
    await deployed({ methods: ['GET', 'POST', 'DELETE'], cors: 'https://example.com', endpointType: 'regional' });
    scene.aws.apis.delete('api1');
    await run();
    await run({ addEndpoint: true });
    const api = scene.aws.apis.get('api2')!;
    expect(Object.keys(api.document.paths['/']!)).toEqual(['get', 'post', 'delete', 'options']);
    expect(api.endpointType).toBe('REGIONAL');
    const record = (await records(scene)).hello!;
    expect(record.api).toMatchObject({ restApiId: 'api2', methods: ['GET', 'POST', 'DELETE'], cors: 'https://example.com', endpointType: 'REGIONAL', deployed: true });
    expect(record.lastApi).toBeUndefined();
    expect(scene.world.reporter.text('succeed')).toContain('Endpoint has been created');
    await expectRecordsMatchAws(scene);
  });

  it('a function that does not exist: run deploy, exit 1', async () => {
    const run1 = await runBam(scene.world, 'redeploy', 'hello');
    expect(run1.code).toBe(1);
    expect(run1.stderr).toContain('bam deploy hello');
    await expect(run()).rejects.toBeInstanceOf(BamError);
    expect(scene.aws.writes()).toEqual([]);
  });

  it('adopts a function deployed from elsewhere: writes its record', async () => {
    await deployed();
    await runBam(scene.world, 'delete', 'hello');
    await deploy('hello', { lambdaOnly: true }, scene.world.ctx);
    await scene.world.store.lambdaRecords.remove(REGION, 'hello');
    await run();
    expect((await records(scene)).hello).toMatchObject({ role: DEFAULT_ROLE, description: 'Says hello' });
  });

  it('the CLI takes --rmMethod and --method aliases', async () => {
    await deployed({ methods: ['GET', 'POST'] });
    const run1 = await runBam(scene.world, 'redeploy', 'hello', '--method', 'delete', '--rmMethod', 'post');
    expect(run1.stderr).toBe('');
    expect(run1.code).toBe(0);
    expect(methodsOf('/')).toEqual(['get', 'delete']);
  });
});
