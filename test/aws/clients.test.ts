import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { explainCredentialError, openAws, requestTimeoutMs, resolveRegion } from '../../src/aws/clients.js';
import { accountNumber } from '../../src/tasks/account.js';
import { createFunction, findFunction } from '../../src/aws/lambda.js';
import { StepError } from '../../src/core/errors.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { fastPolicy } from '../helpers/policy.js';
import { mockClient } from 'aws-sdk-client-mock';
import { STSClient } from '@aws-sdk/client-sts';

const ENV_KEYS = ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_LAMBDA', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
let saved: Record<string, string | undefined>;
let awsDir: string;
let world: TestWorld;

beforeEach(async () => {
  saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  for (const k of ENV_KEYS) delete process.env[k];
  awsDir = await mkdtemp(join(tmpdir(), 'bam-aws-'));
  process.env.AWS_CONFIG_FILE = join(awsDir, 'config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(awsDir, 'credentials');
  world = await makeWorld();
});
afterEach(async () => {
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await rm(awsDir, { recursive: true, force: true });
  await world.cleanup();
});

describe('AWS clients', () => {
  it('says how to set a region when none is found', async () => {
    await expect(resolveRegion({})).rejects.toThrow(/No AWS region is set\. Pass --region/);
  });

  it('names the profile when it gives no region, since a misspelt --profile looks the same', async () => {
    await writeFile(process.env.AWS_CONFIG_FILE!, '[profile dev]\nregion = ap-south-1\n');
    await expect(resolveRegion({ profile: 'dve' })).rejects.toThrow(/No AWS region is set for profile "dve" \(is it in ~\/\.aws\/config\?\)\. Pass --region/);
    process.env.AWS_PROFILE = 'dve';
    await expect(resolveRegion({})).rejects.toThrow(/for profile "dve"/);
  });

  it('takes the region from --region, AWS_REGION, or the profile in ~/.aws/config', async () => {
    await writeFile(process.env.AWS_CONFIG_FILE!, '[default]\nregion = eu-west-1\n[profile dev]\nregion = ap-south-1\n');
    expect(await resolveRegion({ region: 'us-west-2' })).toBe('us-west-2');
    expect(await resolveRegion({})).toBe('eu-west-1');
    expect(await resolveRegion({ profile: 'dev' })).toBe('ap-south-1');
    process.env.AWS_REGION = 'ca-central-1';
    expect(await resolveRegion({})).toBe('ca-central-1');
  });

  it('sends requests to AWS_ENDPOINT_URL_<SERVICE> and AWS_ENDPOINT_URL (LocalStack)', async () => {
    const seen: string[] = [];
    const server: Server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization?.includes('Credential=test/') ? 'signed' : 'unsigned'}`);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ Functions: [] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    try {
      process.env.AWS_ENDPOINT_URL_LAMBDA = url;
      const aws = await openAws({ region: 'us-east-1' });
      await aws.client('lambda', LambdaClient).send(new ListFunctionsCommand({}));
      delete process.env.AWS_ENDPOINT_URL_LAMBDA;
      process.env.AWS_ENDPOINT_URL = url;
      const other = await openAws({ region: 'us-east-1' });
      await other.client('lambda', LambdaClient).send(new ListFunctionsCommand({}));
    } finally {
      server.close();
    }
    expect(seen).toEqual(['GET /2015-03-31/functions signed', 'GET /2015-03-31/functions signed']);
  });

  it('builds each client once, on first use', async () => {
    const aws = await openAws({ region: 'us-east-1' });
    const lambda = aws.client('lambda', LambdaClient);
    expect(aws.client('lambda', LambdaClient)).toBe(lambda);
    expect(await lambda.config.region()).toBe('us-east-1');
  });

  it('loads no SDK client package itself: a command pays only for the clients it calls', async () => {
    const source = await readFile(new URL('../../src/aws/clients.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/^import [^;]*from '@aws-sdk\/client-/m);
  });

  it('asks STS for the account number once and caches it in config.json', async () => {
    const sts = mockClient(STSClient);
    sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012' });
    try {
      const aws = await openAws({ region: 'us-east-1' });
      expect(await accountNumber(aws, world.store)).toBe('123456789012');
      expect(await accountNumber(aws, world.store)).toBe('123456789012');
      expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
      expect((await world.store.readConfig()).accountNumber).toBe('123456789012');
    } finally {
      sts.restore();
    }
  });

  it('explains missing credentials in one line', () => {
    const err = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    expect(explainCredentialError(err)?.message).toMatch(/credentials are missing or invalid.*aws configure.*--profile/);
    expect(explainCredentialError(new Error('other'))).toBeUndefined();
  });

  it('sizes the request timeout to the upload: 60 s for a small Lambda call, minutes for a 50 MB zip', () => {
    const lambda = { connectionMs: 10_000, requestMs: 60_000, uploadBytesPerSecond: 125_000 };
    expect(requestTimeoutMs(lambda, 2_000)).toBe(60_016);
    // A 50 MB zip is ~67 MB of base64 in CreateFunction's JSON: about 9 minutes at 1 Mbit/s.
    expect(requestTimeoutMs(lambda, 67_000_000)).toBe(596_000);
  });
});

describe('AWS requests that never get an answer', () => {
  let server: ReturnType<typeof createTcpServer>;
  let sockets: Socket[];
  let endpoint: string;

  beforeEach(async () => {
    sockets = [];
    // Accepts every connection, reads the request, and never says a word.
    server = createTcpServer((socket) => {
      sockets.push(socket);
      socket.on('data', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.AWS_ENDPOINT_URL = endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
  });
  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const silentAws = () => openAws({ region: 'us-east-1', bounds: { connectionMs: 1_000, requestMs: 300 }, policy: fastPolicy().policy });

  it('a read is sent again a bounded number of times, then ends in one line naming the step', async () => {
    const aws = await silentAws();
    const error = await findFunction(aws, 'hello').then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(StepError);
    const message = (error as Error).message;
    expect(message).toBe(
      `GetFunction did not answer within 1 s (no answer from ${endpoint}, 3 tries): check your network connection, proxy and endpoint settings (AWS_ENDPOINT_URL), then try again.`,
    );
    expect(message).not.toContain('\n');
    // Three requests in all: bamBam's, with no SDK retries hidden inside each.
    expect(sockets).toHaveLength(3);
    aws.client('lambda', LambdaClient).destroy();
  });

  it('a create is sent once: AWS may have done it, so bam says so instead of sending it again', async () => {
    const aws = await silentAws();
    const fn = { name: 'hello', zip: new Uint8Array(16), description: '', roleArn: 'arn:aws:iam::123456789012:role/defaultBamRole' };
    const error = await createFunction(aws, fn).then(() => undefined, (err: unknown) => err);
    expect((error as StepError).step).toBe('CreateFunction');
    expect((error as Error).message).toMatch(
      new RegExp(`^CreateFunction did not answer within 1 s: ${endpoint} got the request but sent nothing back, so it may have been done anyway; check .* before you try again\\.$`),
    );
    expect(sockets).toHaveLength(1);
    aws.client('lambda', LambdaClient).destroy();
  });
});
