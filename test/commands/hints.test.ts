import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UpdateRestApiCommand } from '@aws-sdk/client-api-gateway';
import { deploy } from '../../src/commands/deploy.js';
import { redeploy } from '../../src/commands/redeploy.js';
import { HELLO, deployHello, records, setScene, type Scene } from '../aws/scene.js';

// Hints a new user needs at the moment they can act on them (issue 21).

let scene: Scene;
beforeEach(async () => {
  scene = await setScene();
});
afterEach(async () => {
  await scene.cleanup();
});

const NOTES = `// description: Keeps notes
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const db = new DynamoDBClient({});
exports.handler = async () => ({ statusCode: 200, body: String(Boolean(db)) });
`;

describe('a function that uses DynamoDB', () => {
  beforeEach(async () => {
    await writeFile(join(scene.world.cwd, 'notes.js'), NOTES);
    scene.aws.roles.set('databaseBamRole', { policies: [], inline: {} });
  });

  it('deployed without --permitDb: a warning that every table call will be denied, with the flag', async () => {
    await deploy('notes', {}, scene.world.ctx);
    expect(scene.world.reporter.text('warn')).toContain(
      '"notes" uses DynamoDB, but its role defaultBamRole may not read or write tables: every table call will fail with AccessDenied. Use: bam deploy notes --permitDb',
    );
  });

  it('deployed with --permitDb, or a function without DynamoDB: no warning', async () => {
    await deploy('notes', { permitDb: true }, scene.world.ctx);
    await deploy('hello', {}, scene.world.ctx);
    expect(scene.world.reporter.text('warn')).not.toContain('DynamoDB');
  });

  it('redeployed on the default role: the same warning with redeploy --permitDb; with --permitDb none', async () => {
    await deploy('notes', {}, scene.world.ctx);
    scene.world.reporter.events.length = 0;
    await redeploy('notes', {}, scene.world.ctx);
    expect(scene.world.reporter.text('warn')).toContain('Use: bam redeploy notes --permitDb');
    scene.world.reporter.events.length = 0;
    await redeploy('notes', { permitDb: true }, scene.world.ctx);
    expect(scene.world.reporter.text('warn')).not.toContain('DynamoDB');
  });
});

describe('redeploy run from another folder', () => {
  it('uses the recorded source path, and says so', async () => {
    await deployHello(scene);
    const elsewhere = join(scene.world.cwd, 'elsewhere');
    await mkdir(elsewhere);
    await writeFile(join(scene.world.cwd, 'hello.js'), HELLO.replace("'hello'", "'hello again'"));
    await redeploy('hello', {}, { ...scene.world.ctx, cwd: elsewhere });
    expect(scene.world.reporter.text('info')).toContain(`No "hello" in this folder: redeploying it from ${join(scene.world.cwd, 'hello.js')}`);
    expect(scene.aws.writes()).toEqual(['UpdateFunctionCode']);
  });

  it('names the recorded path when that is gone too', async () => {
    await deployHello(scene);
    await rename(join(scene.world.cwd, 'hello.js'), join(scene.world.cwd, 'moved.js'));
    await expect(redeploy('hello', {}, scene.world.ctx)).rejects.toThrow(
      `bam last deployed "hello" from ${join(scene.world.cwd, 'hello.js')}, which is gone too. Point to the code with --src PATH.`,
    );
    expect(scene.aws.calls).toEqual([]);
  });
});

describe('a changed // description:', () => {
  it('reaches the API too (UpdateRestApi), beside the function\'s configuration', async () => {
    await deployHello(scene);
    await writeFile(join(scene.world.cwd, 'hello.js'), HELLO.replace('Says hello', 'Says hi'));
    await redeploy('hello', {}, scene.world.ctx);
    expect(scene.aws.inputs(UpdateRestApiCommand)).toEqual([{ restApiId: 'api1', patchOperations: [{ op: 'replace', path: '/description', value: 'Says hi' }] }]);
    expect(scene.aws.apis.get('api1')!.document.info.description).toBe('Says hi');
    expect((await records(scene)).hello!.description).toBe('Says hi');
    expect(scene.world.reporter.text('succeed')).toContain('Endpoint: "hello" has been updated');
  });

  it('an unchanged description sends nothing to the API', async () => {
    await deployHello(scene);
    await redeploy('hello', {}, scene.world.ctx);
    expect(scene.aws.writes()).toEqual([]);
  });
});

describe('what redeploy says it did (issue 21)', () => {
  it('a methods-only change updates the endpoint and says so, not that the function was updated', async () => {
    await deployHello(scene);
    await redeploy('hello', { methods: ['post'] }, scene.world.ctx);
    const said = scene.world.reporter.text('succeed');
    expect(said).toContain('Endpoint: "hello" has been updated');
    expect(said).not.toContain('Lambda: "hello" has been updated');
    expect(scene.aws.writes().sort()).toEqual(['CreateDeployment', 'PutRestApi']);
  });

  it('--addEndpoint on a --lambdaOnly function says the endpoint has been created', async () => {
    await deployHello(scene, { lambdaOnly: true });
    await redeploy('hello', { addEndpoint: true }, scene.world.ctx);
    const said = scene.world.reporter.text('succeed');
    expect(said).toContain('Endpoint has been created');
    expect(said).not.toContain('Lambda: "hello" has been updated');
  });
});
