import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AddPermissionCommand, CreateFunctionUrlConfigCommand } from '@aws-sdk/client-lambda';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deploy } from '../../src/commands/deploy.js';
import { ACCOUNT, REGION, awsError } from '../aws/fakeAws.js';
import { records, runBam, setScene, type Scene } from '../aws/scene.js';

let scene: Scene;
beforeEach(async () => {
  scene = await setScene();
});
afterEach(async () => {
  await scene.cleanup();
});

const run = (options: Parameters<typeof deploy>[1] = {}) => deploy('hello', options, scene.world.ctx);
const URL_PATTERN = new RegExp(`^https://[a-z0-9]{32}\\.lambda-url\\.${REGION}\\.on\\.aws/$`);

/** The statements AWS requires for a public (AuthType NONE) URL since October 2025. */
const PUBLIC_URL_STATEMENTS = [
  { FunctionName: 'hello', StatementId: 'bam-function-url', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' },
  { FunctionName: 'hello', StatementId: 'bam-function-url-invoke', Action: 'lambda:InvokeFunction', Principal: '*', InvokedViaFunctionUrl: true },
];

describe('bam deploy --url', () => {
  it('creates the function, then in one round trip the URL and both public statements: two sequential round trips, no REST API', async () => {
    const { aws } = scene;
    await run({ url: true });

    const names = aws.names();
    expect(names[0]).toBe('CreateFunction');
    // The wait for Active (GetFunction) runs beside the URL calls.
    expect(names.slice(1).filter((n) => n !== 'GetFunction').sort()).toEqual(['AddPermission', 'AddPermission', 'CreateFunctionUrlConfig']);
    for (const later of ['AddPermission', 'CreateFunctionUrlConfig']) expect(aws.startedAfter(later, 'CreateFunction')).toBe(true);
    expect(aws.overlapped('CreateFunctionUrlConfig', 'AddPermission')).toBe(true);
    expect(aws.roundTrips()).toBe(2);
    expect(names).not.toContain('ImportRestApi');
    expect(aws.apis.size).toBe(0);

    expect(aws.inputs(CreateFunctionUrlConfigCommand)).toEqual([{ FunctionName: 'hello', AuthType: 'NONE' }]);
    expect(aws.inputs(AddPermissionCommand).sort((a, b) => a.StatementId!.localeCompare(b.StatementId!))).toEqual(PUBLIC_URL_STATEMENTS);
    const fn = aws.functions.get('hello')!;
    expect(fn.permissions['bam-function-url']).toMatchObject({ Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' });
    expect(fn.permissions['bam-function-url-invoke']).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: '*', InvokedViaFunctionUrl: true });

    const record = (await records(scene)).hello!;
    expect(record.url).toEqual({ url: fn.url!.FunctionUrl });
    expect(record.url!.url).toMatch(URL_PATTERN);
    expect(record.api).toBeUndefined();
    expect(record.pendingUrl).toBeUndefined();
    expect(record.pendingApi).toBeUndefined();
    expect(await scene.world.store.intents.inRegion(REGION)).toEqual([]);
    expect(scene.world.reporter.text('result')).toBe(fn.url!.FunctionUrl);
  });

  it('gives the URL its own CORS configuration from --cors', async () => {
    await run({ url: true, cors: 'https://example.com' });
    expect(scene.aws.inputs(CreateFunctionUrlConfigCommand)[0]).toEqual({
      FunctionName: 'hello',
      AuthType: 'NONE',
      Cors: {
        AllowOrigins: ['https://example.com'],
        AllowMethods: ['*'],
        AllowHeaders: ['Content-Type', 'Authorization', 'X-Amz-Date', 'X-Api-Key', 'X-Amz-Security-Token'],
      },
    });
    expect((await records(scene)).hello!.url).toMatchObject({ cors: 'https://example.com' });
  });

  it('deploys a handler wrapped in awslambda.streamifyResponse with InvokeMode RESPONSE_STREAM, and records it', async () => {
    await writeFile(
      join(scene.world.cwd, 'hello.js'),
      `// description: streams\nexports.handler = awslambda.streamifyResponse(async (event, responseStream) => {\n  responseStream.write('hi');\n  responseStream.end();\n});\n`,
    );
    await run({ url: true });
    expect(scene.aws.inputs(CreateFunctionUrlConfigCommand)[0]).toEqual({ FunctionName: 'hello', AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' });
    expect((await records(scene)).hello!.url).toMatchObject({ invokeMode: 'RESPONSE_STREAM' });
    const text = await runBam(scene.world, 'list', '--lambdas');
    expect(text.stdout).toContain('function url invoke mode: response stream');
  });

  it('keeps the default (BUFFERED) invoke mode for a handler that returns its answer', async () => {
    await run({ url: true });
    expect(scene.aws.inputs(CreateFunctionUrlConfigCommand)[0]).not.toHaveProperty('InvokeMode');
    expect(scene.aws.functions.get('hello')!.url!.InvokeMode).toBe('BUFFERED');
  });

  it('with --restApi makes both: the URL beside the REST API, in the REST deploy\'s three round trips', async () => {
    const { aws } = scene;
    await run({ url: true, restApi: true });
    expect(aws.roundTrips()).toBe(3);
    expect(aws.startedAfter('CreateFunctionUrlConfig', 'CreateFunction')).toBe(true);
    expect(aws.apis.size).toBe(1);
    const record = (await records(scene)).hello!;
    expect(record.api?.deployed).toBe(true);
    expect(record.url?.url).toMatch(URL_PATTERN);
    expect(scene.world.reporter.text('result').split('\n')).toEqual([record.api!.url, record.url!.url]);
    // Three statements: the API's and the URL's two.
    expect(Object.keys(aws.functions.get('hello')!.permissions).sort()).toEqual(['bam-apigateway-api1', 'bam-function-url', 'bam-function-url-invoke']);
  });

  it('looks the name up first when the records knew an earlier function of that name', async () => {
    await run({ url: true });
    scene.aws.functions.delete('hello');
    scene.aws.resetCalls();
    await run({ url: true });
    expect(scene.aws.names()[0]).toBe('GetFunction');
  });

  it('refuses a name that is taken in AWS, creating nothing', async () => {
    await run({ url: true });
    await scene.world.store.lambdaRecords.remove(REGION, 'hello');
    scene.aws.resetCalls();
    await expect(run({ url: true })).rejects.toThrow('Function "hello" already exists in us-east-1. Use: bam redeploy hello');
    expect(scene.aws.writes()).toEqual(['CreateFunction']);
    expect(await scene.world.store.intents.inRegion(REGION)).toEqual([]);
  });

  it('finds the URL it made when CreateFunctionUrlConfig loses its answer, and makes no second one', async () => {
    const { aws } = scene;
    aws.loseAnswer('CreateFunctionUrlConfig');
    await run({ url: true });
    expect(aws.names().filter((n) => n === 'CreateFunctionUrlConfig')).toHaveLength(2);
    expect(aws.names()).toContain('GetFunctionUrlConfig');
    expect((await records(scene)).hello!.url!.url).toBe(aws.functions.get('hello')!.url!.FunctionUrl);
  });

  it('a lost AddPermission answer is sent again and the statement found there', async () => {
    scene.aws.loseAnswer('AddPermission', 1, (input) => (input as { StatementId?: string }).StatementId === 'bam-function-url-invoke');
    await run({ url: true });
    expect(Object.keys(scene.aws.functions.get('hello')!.permissions).sort()).toEqual(['bam-function-url', 'bam-function-url-invoke']);
    expect((await records(scene)).hello!.url).toBeDefined();
  });

  it('a URL that fails leaves the function recorded with the URL owed, and says how to finish it', async () => {
    scene.aws.fail('CreateFunctionUrlConfig', () => awsError('InvalidParameterValueException', 'Cors is invalid'));
    await expect(run({ url: true })).rejects.toThrow('Lambda "hello" exists; finish its URL with: bam redeploy hello');
    const record = (await records(scene)).hello!;
    expect(record.url).toBeUndefined();
    expect(record.pendingUrl).toEqual({});
    expect(record.arn).toBe(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:hello`);
    expect(await scene.world.store.intents.inRegion(REGION)).toEqual([]);
  });

  it('refuses flags that only a REST API takes, and --restApi without --url, before any AWS call', async () => {
    await expect(run({ url: true, methods: ['POST'] })).rejects.toThrow('--methods and --endpointType are for the REST API');
    await expect(run({ url: true, endpointType: 'regional' })).rejects.toThrow('--methods and --endpointType are for the REST API');
    await expect(run({ url: true, lambdaOnly: true })).rejects.toThrow('pass one of them');
    await expect(run({ restApi: true })).rejects.toThrow('--restApi only goes with --url');
    expect(scene.aws.calls).toEqual([]);
  });

  it('bam deploy hello --url on the command line prints the URL', async () => {
    const { code, stdout } = await runBam(scene.world, 'deploy', 'hello', '--url');
    expect(code).toBe(0);
    expect(stdout).toContain(scene.aws.functions.get('hello')!.url!.FunctionUrl);
  });
});
