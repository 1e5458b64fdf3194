import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AddPermissionCommand, CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { CreateDeploymentCommand, ImportRestApiCommand } from '@aws-sdk/client-api-gateway';
import { CreateRoleCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deploy } from '../../src/commands/deploy.js';
import { redeploy } from '../../src/commands/redeploy.js';
import { DATABASE_ROLE, DEFAULT_ROLE } from '../../src/core/records.js';
import { BamError } from '../../src/core/errors.js';
import { ACCOUNT, REGION, ROLE_NOT_ASSUMABLE, awsError } from '../aws/fakeAws.js';
import { expectRecordsMatchAws, records, runBam, setScene, type Scene } from '../aws/scene.js';

const INVOCATION_URI = `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/arn:aws:lambda:${REGION}:${ACCOUNT}:function:hello/invocations`;

let scene: Scene;
beforeEach(async () => {
  scene = await setScene();
});
afterEach(async () => {
  await scene.cleanup();
});

const run = (options: Parameters<typeof deploy>[1] = {}) => deploy('hello', options, scene.world.ctx);

describe('bam deploy', () => {
  it('creates the function and imports an API with a greedy proxy resource and GET on both paths, in three round trips', async () => {
    const { aws } = scene;
    await run();

    const names = aws.names();
    expect(names.slice(0, 1)).toEqual(['GetFunction']);
    expect(names.slice(1, 3).sort()).toEqual(['CreateFunction', 'ImportRestApi']);
    expect(names.slice(3).sort()).toEqual(['AddPermission', 'CreateDeployment', 'GetFunction']);
    // The API is imported while the function is created; permission, deployment and the wait for Active follow both.
    expect(aws.overlapped('CreateFunction', 'ImportRestApi')).toBe(true);
    for (const later of ['AddPermission', 'CreateDeployment']) {
      expect(aws.startedAfter(later, 'CreateFunction')).toBe(true);
      expect(aws.startedAfter(later, 'ImportRestApi')).toBe(true);
    }
    expect(aws.roundTrips()).toBe(3);

    expect(aws.inputs(CreateFunctionCommand)[0]).toMatchObject({
      FunctionName: 'hello',
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Role: `arn:aws:iam::${ACCOUNT}:role/${DEFAULT_ROLE}`,
      Description: 'Says hello',
      Tags: { 'bam:managed': 'true', 'bam:token': expect.stringMatching(/^[0-9a-f]{16}$/) },
      Publish: false,
    });
    const api = aws.apis.get('api1')!;
    expect(api.endpointType).toBe('EDGE');
    // The operation's token rides in the description, the same one the function is tagged with.
    const token = aws.functions.get('hello')!.tags['bam:token']!;
    expect(token).toMatch(/^[0-9a-f]{16}$/);
    expect(api.document.info).toMatchObject({ title: 'hello', description: `Says hello [bam:${token}]` });
    expect(Object.keys(api.document.paths)).toEqual(['/', '/{proxy+}']);
    for (const path of ['/', '/{proxy+}']) {
      expect(Object.keys(api.document.paths[path]!)).toEqual(['get']);
      expect(api.document.paths[path]!.get!['x-amazon-apigateway-integration']).toEqual({
        type: 'aws_proxy',
        httpMethod: 'POST',
        uri: INVOCATION_URI,
        passthroughBehavior: 'when_no_match',
      });
    }
    expect(api.document.paths['/{proxy+}']!.get!.parameters).toEqual([{ name: 'proxy', in: 'path', required: true, schema: { type: 'string' } }]);
    expect(aws.inputs(AddPermissionCommand)[0]).toEqual({
      FunctionName: 'hello',
      StatementId: 'bam-apigateway-api1',
      Principal: 'apigateway.amazonaws.com',
      Action: 'lambda:InvokeFunction',
      SourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:api1/*/*/*`,
    });
    expect(aws.inputs(CreateDeploymentCommand)[0]).toEqual({ restApiId: 'api1', stageName: 'bam' });

    const url = `https://api1.execute-api.${REGION}.amazonaws.com/bam`;
    expect(scene.world.reporter.text('result')).toBe(url);
    expect((await records(scene)).hello).toMatchObject({
      arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:hello`,
      role: DEFAULT_ROLE,
      runtime: 'nodejs24.x',
      description: 'Says hello',
      codeSha256: aws.functions.get('hello')!.codeSha256,
      api: { restApiId: 'api1', endpointType: 'EDGE', methods: ['GET'], url, stage: 'bam', deployed: true },
    });
    await expectRecordsMatchAws(scene);
  });

  it('starts waiting for Active as soon as CreateFunction answers, while a slow ImportRestApi is still running', async () => {
    const { aws } = scene;
    aws.latencyOf.set('ImportRestApi', 60);
    await run();
    const polls = aws.calls.filter((call) => call.name === 'GetFunction');
    const importCall = aws.calls.find((call) => call.name === 'ImportRestApi')!;
    expect(polls).toHaveLength(2); // the name check, then the waiter
    expect(polls[1]!.started).toBeLessThan(importCall.ended!);
  });

  it('records the function as soon as CreateFunction answers, while a slow ImportRestApi is still running', async () => {
    const { aws } = scene;
    aws.latencyOf.set('ImportRestApi', 150);
    let recordedDuringImport: unknown;
    // Looks at the records at the moment ImportRestApi answers (the fault itself never fires).
    aws.fail('ImportRestApi', () => new Error('never thrown'), 1, () => {
      const file = scene.world.store.paths.lambdas();
      recordedDuringImport = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>)[REGION]?.hello : undefined;
      return false;
    });
    await run();
    expect(recordedDuringImport).toMatchObject({ role: DEFAULT_ROLE, codeSha256: aws.functions.get('hello')!.codeSha256 });
    expect(recordedDuringImport).not.toHaveProperty('api');
  });

  it('makes no extra call when CreateFunction already reports Active', async () => {
    scene.aws.createsActive = true;
    await run();
    expect(scene.aws.names().sort()).toEqual(['AddPermission', 'CreateDeployment', 'CreateFunction', 'GetFunction', 'ImportRestApi']);
  });

  it('--lambdaOnly creates the function alone and records no API', async () => {
    await run({ lambdaOnly: true });
    expect(scene.aws.names()).toEqual(['GetFunction', 'CreateFunction', 'GetFunction']);
    expect(scene.aws.roundTrips()).toBe(3);
    expect((await records(scene)).hello!.api).toBeUndefined();
    await expectRecordsMatchAws(scene);
  });

  it('--methods GET,POST,DELETE puts the three methods on both paths', async () => {
    await run({ methods: ['GET,POST', 'delete'] });
    const { paths } = scene.aws.apis.get('api1')!.document;
    expect(Object.keys(paths['/']!)).toEqual(['get', 'post', 'delete']);
    expect(Object.keys(paths['/{proxy+}']!)).toEqual(['get', 'post', 'delete']);
    expect((await records(scene)).hello!.api!.methods).toEqual(['GET', 'POST', 'DELETE']);
  });

  it('without --methods takes the code\'s // methods: line (as the templates write it); --methods wins over it', async () => {
    await writeFile(join(scene.world.cwd, 'hello.js'), '// description: hi\n// methods: GET, POST, DELETE\nexports.handler = async () => ({ statusCode: 200, body: "" });\n');
    await run();
    expect(Object.keys(scene.aws.apis.get('api1')!.document.paths['/{proxy+}']!)).toEqual(['get', 'post', 'delete']);
    expect((await records(scene)).hello!.api!.methods).toEqual(['GET', 'POST', 'DELETE']);
  });

  it('refuses a // methods: line that names no HTTP method before any AWS call (exit 2)', async () => {
    await writeFile(join(scene.world.cwd, 'hello.js'), '// methods: GET, FETCH\nexports.handler = async () => ({ statusCode: 200, body: "" });\n');
    await expect(run()).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/\/\/ methods: FETCH is not an HTTP method/) as unknown });
    expect(scene.aws.calls).toEqual([]);
  });

  it('--methods ANY uses API Gateway\'s any-method key', async () => {
    await run({ methods: ['any'] });
    expect(Object.keys(scene.aws.apis.get('api1')!.document.paths['/']!)).toEqual(['x-amazon-apigateway-any-method']);
  });

  it('--endpointType regional imports a REGIONAL API; the config default applies without the flag', async () => {
    await run({ endpointType: 'regional' });
    expect(scene.aws.inputs(ImportRestApiCommand)[0]!.parameters).toEqual({ endpointConfigurationTypes: 'REGIONAL' });
    expect((await records(scene)).hello!.api!.endpointType).toBe('REGIONAL');

    await scene.world.store.updateConfig((config) => ({ ...config, endpointType: 'REGIONAL' }));
    await deploy('hello2', { src: 'hello.js' }, scene.world.ctx);
    expect(scene.aws.inputs(ImportRestApiCommand)[1]!.parameters).toEqual({ endpointConfigurationTypes: 'REGIONAL' });
  });

  it('--permitDb creates databaseBamRole with DynamoDB access in this region, then uses it without IAM calls next time', async () => {
    const { aws } = scene;
    await run({ permitDb: true });
    const names = aws.names();
    expect(names.slice(0, 2).sort()).toEqual(['GetFunction', 'GetRole']);
    expect(names.indexOf('CreateRole')).toBeLessThan(names.indexOf('CreateFunction'));
    expect(aws.inputs(CreateRoleCommand)[0]).toMatchObject({ RoleName: DATABASE_ROLE });
    expect(JSON.parse(aws.inputs(CreateRoleCommand)[0]!.AssumeRolePolicyDocument!)).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    const role = aws.roles.get(DATABASE_ROLE)!;
    expect(role.policies).toEqual(['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
    expect(JSON.parse(role.inline['bam-invoke-lambda']!).Statement[0]).toMatchObject({
      Action: 'lambda:InvokeFunction',
      Resource: `arn:aws:lambda:*:${ACCOUNT}:function:*`,
    });
    expect(JSON.parse(role.inline[`bam-dynamodb-${REGION}`]!).Statement[0]).toEqual({
      Effect: 'Allow',
      Action: ['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      Resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/*`,
    });
    expect(aws.inputs(CreateFunctionCommand)[0]!.Role).toBe(`arn:aws:iam::${ACCOUNT}:role/${DATABASE_ROLE}`);
    expect((await records(scene)).hello!.role).toBe(DATABASE_ROLE);
    expect((await scene.world.store.readConfig()).knownRoles).toContain(`${DATABASE_ROLE}@${REGION}`);

    aws.resetCalls();
    await deploy('hello2', { src: 'hello.js', permitDb: true }, scene.world.ctx);
    expect(aws.names().filter((name) => /Role/.test(name))).toEqual([]);
  });

  it('--role uses an existing role, checked once', async () => {
    scene.aws.roles.set('myRole', { policies: [], inline: {} });
    await run({ role: 'myRole' });
    expect(scene.aws.names().slice(0, 2).sort()).toEqual(['GetFunction', 'GetRole']);
    expect(scene.aws.inputs(GetRoleCommand)[0]).toEqual({ RoleName: 'myRole' });
    expect(scene.aws.inputs(CreateFunctionCommand)[0]!.Role).toBe(`arn:aws:iam::${ACCOUNT}:role/myRole`);
    expect(scene.aws.inputs(CreateRoleCommand)).toEqual([]);
    expect((await records(scene)).hello!.role).toBe('myRole');
  });

  it('--role with a role that does not exist fails before anything is created', async () => {
    await expect(run({ role: 'nope' })).rejects.toThrow('Role "nope" does not exist');
    expect(scene.aws.writes()).toEqual([]);
    expect(await records(scene)).toEqual({});
  });

  it('refuses a function that already exists in AWS and suggests redeploy', async () => {
    await run({ lambdaOnly: true });
    scene.aws.resetCalls();
    await expect(run()).rejects.toThrow(new BamError(`Function "hello" already exists in ${REGION}. Use: bam redeploy hello`));
    expect(scene.aws.writes()).toEqual([]);
  });

  it('creates the default role when it is missing and not known yet', async () => {
    scene.aws.roles.clear();
    await scene.world.store.updateConfig((config) => ({ ...config, knownRoles: [] }));
    await run();
    expect(scene.aws.inputs(CreateRoleCommand)[0]).toMatchObject({ RoleName: DEFAULT_ROLE });
    expect(scene.aws.roles.get(DEFAULT_ROLE)!.inline[`bam-dynamodb-${REGION}`]).toBeUndefined();
    expect((await scene.world.store.readConfig()).knownRoles).toEqual([DEFAULT_ROLE]);
  });

  it('recreates a role deleted in the console after Lambda rejects it, then creates the function', async () => {
    const { aws } = scene;
    aws.roles.clear(); // deleted in the console; config still lists it as known
    await run();
    const names = aws.names();
    // Lambda rejects the role → bam looks (GetRole: gone) → recreates it → waits for it → CreateFunction again.
    expect(names.filter((name) => ['CreateFunction', 'GetRole', 'CreateRole'].includes(name))).toEqual([
      'CreateFunction',
      'GetRole',
      'CreateRole',
      'GetRole',
      'CreateFunction',
    ]);
    for (const step of ['AttachRolePolicy', 'PutRolePolicy']) expect(names.indexOf(step)).toBeLessThan(names.lastIndexOf('CreateFunction'));
    expect(aws.roles.has(DEFAULT_ROLE)).toBe(true);
    expect(aws.functions.get('hello')!.role).toBe(`arn:aws:iam::${ACCOUNT}:role/${DEFAULT_ROLE}`);
    await expectRecordsMatchAws(scene);
  });

  it('retries CreateFunction while a new role is not assumable yet, then succeeds', async () => {
    scene.aws.fail('CreateFunction', ROLE_NOT_ASSUMABLE, 4);
    await run();
    expect(scene.aws.names().filter((name) => name === 'CreateFunction')).toHaveLength(5);
    // The role exists, so the one re-check changes nothing and the retries wait it out.
    expect(scene.aws.inputs(GetRoleCommand)).toHaveLength(1);
    expect(scene.aws.inputs(CreateRoleCommand)).toHaveLength(0);
    expect(scene.delays).toHaveLength(4);
    expect(scene.world.reporter.text('warn')).toContain('the new IAM role is still propagating');
    await expectRecordsMatchAws(scene);
  });

  it('waits out TooManyRequestsException on ImportRestApi', async () => {
    scene.aws.fail('ImportRestApi', () => awsError('TooManyRequestsException', 'Too Many Requests'), 2);
    await run();
    expect(scene.aws.inputs(ImportRestApiCommand)).toHaveLength(3);
    expect(scene.world.reporter.text('warn')).toContain('ImportRestApi: rate limit reached');
    expect((await records(scene)).hello!.api!.deployed).toBe(true);
  });

  it('rejects bad flags before any AWS call (exit 2)', async () => {
    await expect(run({ methods: ['GET', 'FETCH'] })).rejects.toMatchObject({ exitCode: 2 });
    await expect(run({ endpointType: 'private' })).rejects.toMatchObject({ exitCode: 2 });
    await expect(run({ lambdaOnly: true, methods: ['POST'] })).rejects.toMatchObject({ exitCode: 2 });
    await expect(deploy('bad name', {}, scene.world.ctx)).rejects.toMatchObject({ exitCode: 2 });
    expect(scene.aws.calls).toEqual([]);
  });

  it('refuses a file without a handler, a syntax error or a missing file before any AWS call, even with the role unknown', async () => {
    await scene.world.store.updateConfig((config) => ({ ...config, accountNumber: undefined, knownRoles: [] }));
    await writeFile(join(scene.world.cwd, 'hello.js'), 'exports.other = async () => ({ statusCode: 200 });\n');
    await expect(run()).rejects.toThrow(/hello\.js does not export a function named handler/);
    await writeFile(join(scene.world.cwd, 'hello.js'), 'exports.handler = async () => {\n  return {;\n};\n');
    await expect(run()).rejects.toThrow(/hello\.js:2:\d+/);
    await expect(deploy('nowhere', {}, scene.world.ctx)).rejects.toThrow(/nowhere\.js/);
    await expect(redeploy('hello', {}, scene.world.ctx)).rejects.toThrow(/hello\.js:2:\d+/);
    expect(scene.aws.calls).toEqual([]);
    expect(scene.aws.functions.size + scene.aws.apis.size).toBe(0);
  });

  it('the CLI finishes a deploy on a first Ctrl-C, so the records list what was created', async () => {
    scene.aws.latencyOf.set('CreateFunction', 40);
    const running = runBam(scene.world, 'deploy', 'hello');
    while (!scene.aws.names().includes('CreateFunction')) await new Promise((resolve) => setTimeout(resolve, 2));
    process.emit('SIGINT'); // while CreateFunction is in flight
    const result = await running;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Finishing the AWS steps under way');
    expect(result.stdout).toMatch(/https:\/\/.+\.execute-api\.us-east-1\.amazonaws\.com\/bam/);
    await expectRecordsMatchAws(scene);
  });

  it('the CLI takes --methods post put, --method get and --roles, and prints the URL', async () => {
    scene.aws.roles.set('myRole', { policies: [], inline: {} });
    const run1 = await runBam(scene.world, 'deploy', 'hello', '--methods', 'post', 'put', '--method', 'get', '--roles', 'myRole');
    expect(run1.stderr).toBe('');
    expect(run1.code).toBe(0);
    expect(run1.stdout).toContain(`https://api1.execute-api.${REGION}.amazonaws.com/bam`);
    expect(Object.keys(scene.aws.apis.get('api1')!.document.paths['/']!)).toEqual(['post', 'put', 'get']);
    expect(scene.aws.inputs(CreateFunctionCommand)[0]!.Role).toBe(`arn:aws:iam::${ACCOUNT}:role/myRole`);
  });
});
