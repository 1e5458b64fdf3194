import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { APIGatewayClient, GetRestApiCommand, GetRestApisCommand, ImportRestApiCommand } from '@aws-sdk/client-api-gateway';
import { ACCOUNT, HttpFakeAws, REGION } from './httpFakeAws.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { describeRun, killLeftoverBams, runBam, type BamRun } from '../helpers/bamProcess.js';
import { convergenceProblems } from '../helpers/converged.js';
import { DEFAULT_ROLE } from '../../src/core/records.js';

// The real CLI in a child process, against the fake on 127.0.0.1 (dist/ must be built: npx tsc -p tsconfig.json).

const HELLO = `// description: Says hello
exports.handler = async () => ({ statusCode: 200, body: 'hello' });
`;

let aws: HttpFakeAws;
let world: TestWorld;

beforeAll(async () => {
  aws = await HttpFakeAws.start();
});

afterAll(async () => {
  await aws.close();
});

beforeEach(async () => {
  aws.reset();
  world = await makeWorld({ region: REGION });
  await writeFile(join(world.cwd, 'hello.js'), HELLO);
});

afterEach(async () => {
  killLeftoverBams();
  await world.cleanup();
});

/** The account and bam's role already known, as after a first deploy: deploy then makes no STS or IAM call. */
async function knownAccount(): Promise<void> {
  await world.store.updateConfig((config) => ({ ...config, accountNumber: ACCOUNT, knownRoles: [DEFAULT_ROLE] }));
}

function bam(...args: string[]): Promise<BamRun> {
  return runBam([...args, '--region', REGION], { cwd: world.cwd, home: world.home, endpoint: aws.url, timeoutMs: 20_000 });
}

async function expectConverged(name: string): Promise<void> {
  const recorded = await world.store.lambdaRecords.inRegion(REGION);
  const problems = convergenceProblems(aws, recorded, name);
  expect(problems, `AWS: ${JSON.stringify(aws.snapshot(), null, 2)}\nrecords: ${JSON.stringify(recorded, null, 2)}`).toEqual([]);
}

function expectSuccess(run: BamRun): void {
  expect(run.code, describeRun(run)).toBe(0);
}

describe('the HTTP fake AWS, with the real bam CLI as a child process', () => {
  it('deploy makes one function and one API deployed to stage bam, recorded as AWS has them; list shows it; delete removes both', async () => {
    await knownAccount();
    const deployed = await bam('deploy', 'hello');
    expectSuccess(deployed);
    expect(aws.names()).toEqual(expect.arrayContaining(['CreateFunction', 'ImportRestApi', 'AddPermission', 'CreateDeployment']));
    await expectConverged('hello');
    const fn = aws.functions.get('hello')!;
    expect(fn.tags['bam:managed']).toBe('true');
    expect(fn.description).toBe('Says hello');
    expect(fn.role).toBe(`arn:aws:iam::${ACCOUNT}:role/${DEFAULT_ROLE}`);
    const [api] = [...aws.apis.values()];
    expect(api!.name).toBe('hello');
    // The description is the document's (bam may add its own marker after the user's words).
    expect(api!.description).toMatch(/^Says hello/);
    expect(deployed.stdout).toContain(`https://${api!.id}.execute-api.${REGION}.amazonaws.com/bam`);

    const listed = await bam('list', '--json');
    expectSuccess(listed);
    const inventory = JSON.parse(listed.stdout) as { lambdas: { name: string; inAws: boolean; endpoint?: { inAws: boolean } }[] };
    expect(inventory.lambdas).toEqual([expect.objectContaining({ name: 'hello', inAws: true, endpoint: expect.objectContaining({ inAws: true }) })]);

    const deleted = await bam('delete', 'hello');
    expectSuccess(deleted);
    expect(aws.functions.size).toBe(0);
    expect(aws.apis.size).toBe(0);
    expect(await world.store.lambdaRecords.inRegion(REGION)).toEqual({});
  });

  it('redeploy after an edit uploads the new code, and the record keeps AWS’s CodeSha256', async () => {
    await knownAccount();
    expectSuccess(await bam('deploy', 'hello'));
    const before = aws.functions.get('hello')!.codeSha256;
    await writeFile(join(world.cwd, 'hello.js'), HELLO.replace("'hello'", "'hello again'"));
    const served = aws.requests.length;

    const redeployed = await bam('redeploy', 'hello');
    expectSuccess(redeployed);
    expect(aws.names().slice(served)).toContain('UpdateFunctionCode');
    expect(aws.functions.get('hello')!.codeSha256).not.toBe(before);
    await expectConverged('hello');
  });

  it('redeploy with nothing changed sends no write', async () => {
    await knownAccount();
    expectSuccess(await bam('deploy', 'hello'));
    const served = aws.requests.length;
    expectSuccess(await bam('redeploy', 'hello'));
    expect(aws.names().slice(served).filter((name) => !/^(Get|List)/.test(name))).toEqual([]);
  });

  it('a first deploy with nothing cached asks STS for the account and IAM for the role (query protocol)', async () => {
    const deployed = await bam('deploy', 'hello');
    expectSuccess(deployed);
    expect(aws.names()).toEqual(expect.arrayContaining(['GetCallerIdentity', 'GetRole', 'AttachRolePolicy', 'PutRolePolicy']));
    await expectConverged('hello');
  });

  it('deploy refuses a function that exists, with the AWS error shapes the SDK reads', async () => {
    await knownAccount();
    expectSuccess(await bam('deploy', 'hello'));
    const again = await bam('deploy', 'hello');
    expect(again.code, describeRun(again)).toBe(1);
    expect(again.stderr).toContain('bam redeploy hello');
    // A missing function is a 404 ResourceNotFoundException the SDK names as such.
    const gone = await bam('delete', 'nothing');
    expect(gone.code, describeRun(gone)).toBe(1);
    expect(gone.stderr).toContain('"nothing" does not exist');
    expect(aws.requests.find((r) => r.name === 'GetFunction' && r.status === 404)?.error).toBe('ResourceNotFoundException');
  });
});

describe('the HTTP fake AWS, at its request boundaries', () => {
  it('numbers requests from 1 and calls onRequest before acting, onAnswered after the answer is flushed', async () => {
    await knownAccount();
    const seen: string[] = [];
    aws.onRequest = (k, name) => {
      seen.push(`request ${k} ${name}: ${aws.functions.size} functions`);
    };
    aws.onAnswered = (k, name) => {
      seen.push(`answered ${k} ${name}: ${aws.functions.size} functions`);
    };
    expectSuccess(await bam('deploy', 'hello'));
    expect(seen).toHaveLength(2 * aws.requests.length);
    const create = aws.requests.find((r) => r.name === 'CreateFunction')!;
    expect(seen).toContain(`request ${create.k} CreateFunction: 0 functions`);
    expect(seen).toContain(`answered ${create.k} CreateFunction: 1 functions`);
    expect(seen.indexOf(`request ${create.k} CreateFunction: 0 functions`)).toBe(seen.indexOf(`answered ${create.k} CreateFunction: 1 functions`) - 1);
  });

  it('GetRestApis pages with position and limit, as the SDK reads them; a missing API is a NotFoundException', async () => {
    const client = new APIGatewayClient({ region: REGION, endpoint: aws.url, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    try {
      const document = (title: string) => ({ openapi: '3.0.1', info: { title, description: `${title}, imported` }, paths: { '/': { get: {} } } });
      for (const title of ['a', 'b', 'c']) await client.send(new ImportRestApiCommand({ body: Buffer.from(JSON.stringify(document(title))) }));
      const first = await client.send(new GetRestApisCommand({ limit: 2 }));
      expect(first.items?.map((api) => api.name)).toEqual(['a', 'b']);
      expect(first.items?.[0]?.createdDate).toBeInstanceOf(Date);
      const second = await client.send(new GetRestApisCommand({ limit: 2, position: first.position! }));
      expect(second.items?.map((api) => [api.name, api.description])).toEqual([['c', 'c, imported']]);
      expect(second.position).toBeUndefined();
      await expect(client.send(new GetRestApiCommand({ restApiId: 'nope' }))).rejects.toMatchObject({ name: 'NotFoundException' });
    } finally {
      client.destroy();
    }
  });
});
