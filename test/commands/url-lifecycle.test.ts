import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateFunctionUrlConfigCommand, RemovePermissionCommand, UpdateFunctionUrlConfigCommand } from '@aws-sdk/client-lambda';
import { deploy } from '../../src/commands/deploy.js';
import { redeploy } from '../../src/commands/redeploy.js';
import { deleteLambda } from '../../src/commands/delete.js';
import { newToken } from '../../src/store/intents.js';
import { REGION } from '../aws/fakeAws.js';
import { deployHello, records, runBam, setScene, type Scene } from '../aws/scene.js';

let scene: Scene;
beforeEach(async () => {
  scene = await setScene();
});
afterEach(async () => {
  await scene.cleanup();
});

const URL_STATEMENTS = ['bam-function-url', 'bam-function-url-invoke'];

describe('bam redeploy NAME --url', () => {
  it('adds a URL beside the REST API in one round trip (unchanged code: no function update)', async () => {
    const { aws } = scene;
    await deployHello(scene);
    await redeploy('hello', { url: true, cors: 'https://example.com' }, scene.world.ctx);
    expect(aws.writes().sort()).toEqual(['AddPermission', 'AddPermission', 'CreateFunctionUrlConfig']);
    expect(aws.inputs(CreateFunctionUrlConfigCommand)[0]).toMatchObject({ AuthType: 'NONE', Cors: { AllowOrigins: ['https://example.com'] } });
    // Round trip 1 looks at the function and its API; round trip 2 makes the URL.
    expect(aws.roundTrips()).toBe(2);
    const record = (await records(scene)).hello!;
    expect(record.url).toEqual({ url: aws.functions.get('hello')!.url!.FunctionUrl, cors: 'https://example.com' });
    // --cors went to the URL only: the API keeps its own (none).
    expect(record.api?.cors).toBeUndefined();
    expect(record.api?.deployed).toBe(true);
    expect(scene.world.reporter.text('result')).toBe(record.url!.url);
  });

  it('adds a URL to a --lambdaOnly function', async () => {
    await deployHello(scene, { lambdaOnly: true });
    await redeploy('hello', { url: true }, scene.world.ctx);
    expect((await records(scene)).hello!.url?.url).toBe(scene.aws.functions.get('hello')!.url!.FunctionUrl);
    expect(Object.keys(scene.aws.functions.get('hello')!.permissions).sort()).toEqual(URL_STATEMENTS);
  });

  it('leaves a function that has a URL as it is, and says where it is', async () => {
    await deployHello(scene, { url: true });
    await redeploy('hello', { url: true }, scene.world.ctx);
    expect(scene.aws.writes()).toEqual([]);
    expect(scene.world.reporter.text('info')).toContain('"hello" already has a function URL: https://');
  });

  it('finishes a URL its record still owes without being asked again', async () => {
    await deployHello(scene, { lambdaOnly: true });
    await scene.world.store.lambdaRecords.update(REGION, 'hello', (r) => r && { ...r, pendingUrl: { cors: '*' } });
    await redeploy('hello', {}, scene.world.ctx);
    const record = (await records(scene)).hello!;
    expect(record.pendingUrl).toBeUndefined();
    expect(record.url).toMatchObject({ cors: '*' });
    expect(scene.aws.functions.get('hello')!.url?.Cors).toMatchObject({ AllowOrigins: ['*'] });
  });

  it('a URL an interrupted command made but did not record is found (GetFunctionUrlConfig), not made twice', async () => {
    await deployHello(scene, { url: true });
    await scene.world.store.lambdaRecords.update(REGION, 'hello', (r) => {
      const { url: _url, ...rest } = r!;
      return { ...rest, pendingUrl: {} };
    });
    await redeploy('hello', {}, scene.world.ctx);
    expect(scene.aws.names().filter((n) => n === 'CreateFunctionUrlConfig')).toHaveLength(1);
    expect(scene.aws.names()).toContain('GetFunctionUrlConfig');
    expect((await records(scene)).hello!.url?.url).toBe(scene.aws.functions.get('hello')!.url!.FunctionUrl);
  });
});

describe('bam redeploy NAME (a function whose URL is its only endpoint)', () => {
  it('--cors sets the URL\'s CORS (UpdateFunctionUrlConfig) and --noCors clears it, with no REST API asked for', async () => {
    await deployHello(scene, { url: true });
    await redeploy('hello', { cors: 'https://example.com' }, scene.world.ctx);
    expect(scene.aws.inputs(UpdateFunctionUrlConfigCommand)).toEqual([
      { FunctionName: 'hello', Cors: expect.objectContaining({ AllowOrigins: ['https://example.com'] }), InvokeMode: 'BUFFERED' },
    ]);
    expect(scene.aws.functions.get('hello')!.url!.Cors).toMatchObject({ AllowOrigins: ['https://example.com'] });
    expect((await records(scene)).hello!.url).toMatchObject({ cors: 'https://example.com' });
    expect(scene.aws.names()).not.toContain('ImportRestApi');

    scene.aws.resetCalls();
    await redeploy('hello', { noCors: true }, scene.world.ctx);
    expect(scene.aws.inputs(UpdateFunctionUrlConfigCommand)).toEqual([{ FunctionName: 'hello', Cors: {}, InvokeMode: 'BUFFERED' }]);
    expect(scene.aws.functions.get('hello')!.url!.Cors).toBeUndefined();
    expect((await records(scene)).hello!.url).not.toHaveProperty('cors');
  });

  it('switches the URL to RESPONSE_STREAM when the code starts streaming, and sends nothing when nothing changed', async () => {
    await deployHello(scene, { url: true });
    await redeploy('hello', {}, scene.world.ctx);
    expect(scene.aws.writes()).toEqual([]);
    await writeFile(join(scene.world.cwd, 'hello.js'), `exports.handler = awslambda.streamifyResponse(async (event, stream) => { stream.end('hi'); });\n`);
    await redeploy('hello', {}, scene.world.ctx);
    expect(scene.aws.functions.get('hello')!.url!.InvokeMode).toBe('RESPONSE_STREAM');
    expect((await records(scene)).hello!.url).toMatchObject({ invokeMode: 'RESPONSE_STREAM' });
  });
});

describe('bam delete NAME --urlOnly', () => {
  it('deletes the URL, then both statements side by side, keeping the function and its API', async () => {
    const { aws } = scene;
    await deployHello(scene, { url: true, restApi: true });
    await deleteLambda('hello', { urlOnly: true }, scene.world.ctx);
    expect(aws.writes()).toEqual(['DeleteFunctionUrlConfig', 'RemovePermission', 'RemovePermission']);
    expect(aws.startedAfter('RemovePermission', 'DeleteFunctionUrlConfig')).toBe(true);
    expect(aws.overlapped('RemovePermission', 'RemovePermission')).toBe(true);
    expect(aws.roundTrips()).toBe(2);
    expect(aws.inputs(RemovePermissionCommand).map((i) => i.StatementId).sort()).toEqual(URL_STATEMENTS);
    const fn = aws.functions.get('hello')!;
    expect(fn.url).toBeUndefined();
    expect(Object.keys(fn.permissions)).toEqual(['bam-apigateway-api1']);
    const record = (await records(scene)).hello!;
    expect(record.url).toBeUndefined();
    expect(record.api?.deployed).toBe(true);
  });

  it('drops the record of a URL already gone from AWS', async () => {
    await deployHello(scene, { url: true });
    delete scene.aws.functions.get('hello')!.url;
    await deleteLambda('hello', { urlOnly: true }, scene.world.ctx);
    expect((await records(scene)).hello!.url).toBeUndefined();
    expect(scene.world.reporter.text('warn')).toContain('no longer existed in AWS');
  });

  it('asks AWS even when no URL is recorded (an interrupted bam may have left one), and says when there is none', async () => {
    await deployHello(scene);
    await deleteLambda('hello', { urlOnly: true }, scene.world.ctx);
    expect(scene.aws.writes()).toEqual(['DeleteFunctionUrlConfig', 'RemovePermission', 'RemovePermission']);
    expect(Object.keys(scene.aws.functions.get('hello')!.permissions)).toEqual(['bam-apigateway-api1']);
    expect(scene.world.reporter.text('warn')).toContain('"hello" has no function URL in us-east-1; nothing to delete.');
  });

  it("will not touch the URL of a function bam did not make (no record, no tag) without being told", async () => {
    await deployHello(scene, { url: true });
    await scene.world.store.lambdaRecords.remove(REGION, 'hello');
    scene.aws.functions.get('hello')!.tags = {};
    await expect(deleteLambda('hello', { urlOnly: true }, scene.world.ctx)).rejects.toThrow();
    expect(scene.aws.writes()).toEqual([]);
    expect(scene.aws.functions.get('hello')!.url).toBeDefined();
  });

  it('refuses --urlOnly with --endpointOnly', async () => {
    await expect(deleteLambda('hello', { urlOnly: true, endpointOnly: true }, scene.world.ctx)).rejects.toThrow('pass one of them');
  });
});

describe('bam delete NAME (with a URL)', () => {
  it('deletes the function alone: its URL and policy go with it, so no URL call is made', async () => {
    await deployHello(scene, { url: true });
    await deleteLambda('hello', {}, scene.world.ctx);
    expect(scene.aws.writes()).toEqual(['DeleteFunction']);
    expect(scene.aws.functions.size).toBe(0);
    expect(await records(scene)).toEqual({});
  });
});

describe('bam list (with a URL)', () => {
  it('shows the URL and the kind of endpoint, in text and JSON', async () => {
    await deploy('hello', { url: true, cors: '*' }, scene.world.ctx);
    const url = scene.aws.functions.get('hello')!.url!.FunctionUrl;
    const text = await runBam(scene.world, 'list', '--lambdas');
    expect(text.stdout).toContain(`      endpoint kind: function URL\n      function url: ${url}\n      function url cors: *\n`);
    const json = await runBam(scene.world, 'list', '--lambdas', '--json');
    const entry = (JSON.parse(json.stdout) as { lambdas: object[] }).lambdas[0];
    expect(entry).toMatchObject({ name: 'hello', endpointKind: 'function-url', functionUrl: { url, cors: '*', inAws: true } });
    expect(entry).not.toHaveProperty('endpoint');
  });

  it('checks a recorded URL against AWS (GetFunctionUrlConfig) and marks one deleted outside bam', async () => {
    await deploy('hello', { url: true }, scene.world.ctx);
    delete scene.aws.functions.get('hello')!.url;
    scene.aws.resetCalls();
    const text = await runBam(scene.world, 'list', '--lambdas');
    expect(scene.aws.names()).toContain('GetFunctionUrlConfig');
    expect(text.stdout).toMatch(/function url: https:\S+ {2}\(no longer in AWS\)/);
    const json = await runBam(scene.world, 'list', '--lambdas', '--json');
    expect((JSON.parse(json.stdout) as { lambdas: object[] }).lambdas[0]).toMatchObject({ functionUrl: { inAws: false } });
  });

  it('shows a URL still owed as pending, and both kinds when there is an API too', async () => {
    await deployHello(scene);
    await scene.world.store.lambdaRecords.update(REGION, 'hello', (r) => r && { ...r, pendingUrl: {} });
    const json = await runBam(scene.world, 'list', '--lambdas', '--json');
    expect((JSON.parse(json.stdout) as { lambdas: object[] }).lambdas[0]).toMatchObject({ endpointKind: 'rest-api+function-url', functionUrl: { pending: true } });
    const text = await runBam(scene.world, 'list', '--lambdas');
    expect(text.stdout).toContain('endpoint kind: REST API and function URL');
    expect(text.stdout).toContain('function url: not made yet');
  });
});

describe('an interrupted deploy --url', () => {
  it('killed after CreateFunction, before the record: the next command records the function with its URL owed, and redeploy makes it', async () => {
    // What a kill leaves: the function (tagged with the operation's token) and its open intent.
    await deploy('hello', { url: true }, scene.world.ctx);
    const token = newToken();
    const fn = scene.aws.functions.get('hello')!;
    fn.tags['bam:token'] = token;
    delete fn.url;
    fn.permissions = {};
    await scene.world.store.lambdaRecords.remove(REGION, 'hello');
    await scene.world.store.intents.open([{ token, kind: 'function', region: REGION, name: 'hello', startedAt: new Date().toISOString(), sourcePath: '/x/hello.js', url: { cors: '*' } }]);
    scene.aws.resetCalls();

    await redeploy('hello', {}, scene.world.ctx);
    expect(await scene.world.store.intents.inRegion(REGION)).toEqual([]);
    const record = (await records(scene)).hello!;
    expect(record.url).toMatchObject({ url: scene.aws.functions.get('hello')!.url!.FunctionUrl, cors: '*' });
    expect(Object.keys(scene.aws.functions.get('hello')!.permissions).sort()).toEqual(URL_STATEMENTS);
    expect(scene.world.reporter.text('warn')).toContain('Recorded Lambda "hello", which an interrupted bam had created.');
  });
});
