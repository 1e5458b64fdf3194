import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CreateDeploymentCommand, ImportRestApiCommand, PutRestApiCommand } from '@aws-sdk/client-api-gateway';
import { deploy, type DeployOptions } from '../../src/commands/deploy.js';
import { redeploy, type RedeployOptions } from '../../src/commands/redeploy.js';
import { UsageError } from '../../src/core/errors.js';
import type { OpenApiDocument } from '../aws/fakeAws.js';
import { records, runBam, deployHello, setScene, type Scene } from '../aws/scene.js';

let scene: Scene;
beforeEach(async () => {
  scene = await setScene();
});
afterEach(async () => {
  await scene.cleanup();
});

const runDeploy = (options: DeployOptions = {}) => deploy('hello', options, scene.world.ctx);
const runRedeploy = (options: RedeployOptions = {}) => redeploy('hello', options, scene.world.ctx);

const deployed = (options: DeployOptions = {}) => deployHello(scene, options);

/** The preflight's response parameters in a document, per path (undefined when there is no OPTIONS). */
function preflight(document: OpenApiDocument, path: string): Record<string, string> | undefined {
  const integration = document.paths[path]?.options?.['x-amazon-apigateway-integration'] as
    | { type: string; responses: { default: { responseParameters: Record<string, string> } } }
    | undefined;
  if (!integration) return undefined;
  expect(integration.type).toBe('mock');
  return integration.responses.default.responseParameters;
}

const sentDocument = (body: unknown) => JSON.parse(Buffer.from(body as Uint8Array).toString('utf8')) as OpenApiDocument;
const ORIGIN = 'method.response.header.Access-Control-Allow-Origin';
const METHODS = 'method.response.header.Access-Control-Allow-Methods';

describe('deploy --cors', () => {
  it('imports one document whose / and /{proxy+} answer OPTIONS with a mock, in the same three round trips, and records the origin', async () => {
    await runDeploy({ cors: true, methods: ['get', 'post'] });
    const document = sentDocument(scene.aws.inputs(ImportRestApiCommand)[0]!.body);
    for (const path of ['/', '/{proxy+}']) {
      expect(Object.keys(document.paths[path]!)).toEqual(['get', 'post', 'options']);
      expect(preflight(document, path)).toMatchObject({ [ORIGIN]: "'*'", [METHODS]: "'GET,POST,OPTIONS'" });
    }
    expect(scene.aws.names().filter((name) => /RestApi|Deployment/.test(name))).toEqual(['ImportRestApi', 'CreateDeployment']);
    expect(scene.aws.roundTrips()).toBe(3);
    expect((await records(scene)).hello!.api!.cors).toBe('*');
  });

  it('takes an origin, and ANY keeps its proxy operation beside the mock OPTIONS', async () => {
    await runDeploy({ cors: 'https://example.com', methods: ['ANY'] });
    const document = scene.aws.apis.get('api1')!.document;
    expect(Object.keys(document.paths['/']!)).toEqual(['x-amazon-apigateway-any-method', 'options']);
    expect(preflight(document, '/')).toMatchObject({ [ORIGIN]: "'https://example.com'", [METHODS]: "'GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS'" });
    expect((await records(scene)).hello!.api!.cors).toBe('https://example.com');
  });

  it.each([
    [{ cors: 'https://example.com/app' }, /not an origin/],
    [{ cors: 'ftp://example.com' }, /not an origin/],
    [{ cors: 'example.com' }, /not an origin/],
    [{ cors: true, methods: ['get,options'] }, /answers OPTIONS itself: drop OPTIONS from the methods, or leave out --cors/],
    [{ cors: true, lambdaOnly: true }, /--lambdaOnly deploys no endpoint/],
  ] as [DeployOptions, RegExp][])('refuses %j before any AWS call', async (options, message) => {
    const failure = runDeploy(options);
    await expect(failure).rejects.toThrow(UsageError);
    await expect(failure).rejects.toThrow(message);
    expect(scene.aws.calls).toEqual([]);
  });

  it('the CLI takes --cors alone (any origin) and --cors ORIGIN', async () => {
    expect((await runBam(scene.world, 'deploy', 'hello', '--cors')).code).toBe(0);
    expect((await records(scene)).hello!.api!.cors).toBe('*');
    const bad = await runBam(scene.world, 'redeploy', 'hello', '--cors', 'https://a.example', '--noCors');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('contradict');
  });
});

describe('redeploy --cors / --noCors', () => {
  it('--cors ORIGIN regenerates the document: one PutRestApi (overwrite) with the OPTIONS operations, then CreateDeployment', async () => {
    await deployed();
    await runRedeploy({ cors: 'http://localhost:5173' });
    expect(scene.aws.writes()).toEqual(['PutRestApi', 'CreateDeployment']);
    const put = scene.aws.inputs(PutRestApiCommand)[0]!;
    expect(put).toMatchObject({ restApiId: 'api1', mode: 'overwrite' });
    const document = sentDocument(put.body);
    for (const path of ['/', '/{proxy+}']) expect(preflight(document, path)).toMatchObject({ [ORIGIN]: "'http://localhost:5173'", [METHODS]: "'GET,OPTIONS'" });
    expect(scene.aws.inputs(CreateDeploymentCommand)[0]).toEqual({ restApiId: 'api1', stageName: 'bam' });
    expect((await records(scene)).hello!.api).toMatchObject({ cors: 'http://localhost:5173', deployed: true });
  });

  it('--noCors removes the OPTIONS operations and the recorded origin', async () => {
    await deployed({ cors: true });
    await runRedeploy({ noCors: true });
    expect(scene.aws.writes()).toEqual(['PutRestApi', 'CreateDeployment']);
    const document = sentDocument(scene.aws.inputs(PutRestApiCommand)[0]!.body);
    expect(Object.keys(document.paths['/']!)).toEqual(['get']);
    expect((await records(scene)).hello!.api!.cors).toBeUndefined();
  });

  it('a methods change keeps the preflight\'s Allow-Methods in step; --rmMethods too', async () => {
    await deployed({ cors: 'https://example.com' });
    await runRedeploy({ methods: ['post', 'delete'] });
    let document = scene.aws.apis.get('api1')!.document;
    expect(preflight(document, '/{proxy+}')).toMatchObject({ [ORIGIN]: "'https://example.com'", [METHODS]: "'GET,POST,DELETE,OPTIONS'" });
    await runRedeploy({ rmMethods: ['get'] });
    document = scene.aws.apis.get('api1')!.document;
    expect(preflight(document, '/')).toMatchObject({ [METHODS]: "'POST,DELETE,OPTIONS'" });
    expect((await records(scene)).hello!.api).toMatchObject({ methods: ['POST', 'DELETE'], cors: 'https://example.com' });
  });

  it('the same origin again changes nothing (no write)', async () => {
    await deployed({ cors: 'https://example.com' });
    await runRedeploy({ cors: 'https://example.com' });
    expect(scene.aws.writes()).toEqual([]);
    expect(scene.world.reporter.text('succeed')).toContain('up to date');
  });

  it('--noCors on an endpoint without CORS makes no write', async () => {
    await deployed();
    await runRedeploy({ noCors: true });
    expect(scene.aws.writes()).toEqual([]);
  });

  it('refuses --methods OPTIONS while CORS is on, and --cors without an endpoint, before any AWS call', async () => {
    await deployed({ cors: true });
    await expect(runRedeploy({ methods: ['options'] })).rejects.toThrow(/answers OPTIONS itself/);
    expect(scene.aws.calls).toEqual([]);
    await runRedeploy({ noCors: true });
    scene.aws.resetCalls();
    await expect(runRedeploy({ cors: true, methods: ['options'] })).rejects.toThrow(UsageError);
    expect(scene.aws.calls).toEqual([]);
  });

  it('a --lambdaOnly function: --cors alone is refused; with --addEndpoint the new API has CORS', async () => {
    await deployed({ lambdaOnly: true });
    await expect(runRedeploy({ cors: true })).rejects.toThrow(/--addEndpoint --cors/);
    expect(scene.aws.calls).toEqual([]);
    await runRedeploy({ cors: true, addEndpoint: true });
    const document = sentDocument(scene.aws.inputs(ImportRestApiCommand)[0]!.body);
    expect(preflight(document, '/')).toMatchObject({ [ORIGIN]: "'*'" });
    expect((await records(scene)).hello!.api!.cors).toBe('*');
  });
});
