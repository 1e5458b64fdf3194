import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';

// Its own file: the SDK prints its "Multiple credential sources" warning once per process (module
// state), and vitest gives each test file fresh modules.

const ENV_KEYS = [
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_ENDPOINT_URL',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_EC2_METADATA_DISABLED',
];
let saved: Record<string, string | undefined>;
let awsDir: string;
let world: TestWorld;

beforeEach(async () => {
  saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  for (const k of ENV_KEYS) delete process.env[k];
  awsDir = await mkdtemp(join(tmpdir(), 'bam-aws-'));
  await writeFile(join(awsDir, 'config'), '[default]\nregion = eu-west-1\n\n[profile dev]\nregion = us-west-2\n');
  process.env.AWS_CONFIG_FILE = join(awsDir, 'config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(awsDir, 'credentials');
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9'; // nothing listens: nothing leaves this machine
  // Keys in the environment beside --profile: the case where the SDK warned in ten lines.
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'secret';
  world = await makeWorld();
});
afterEach(async () => {
  vi.restoreAllMocks();
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await rm(awsDir, { recursive: true, force: true });
  await world.cleanup();
});

async function bam(...args: string[]): Promise<{ code: number; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await main(['node', 'bam', ...args], { stdout, stderr, cwd: world.cwd, stdin: new PassThrough(), home: world.home, policy: world.policy });
  return { code, stderr: err };
}

describe('a misspelt --profile', () => {
  it('gives bam\'s one line naming the profile, without the SDK\'s own warning', async () => {
    const consoleWarn = vi.spyOn(console, 'warn');
    const processStderr = vi.spyOn(process.stderr, 'write');
    const run = await bam('logs', 'hello', '--profile', 'dve', '--region', 'us-east-1');
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('AWS credentials for profile "dve" are missing or invalid');
    expect(run.stderr).toContain('aws configure --profile dve');
    expect(consoleWarn).not.toHaveBeenCalled();
    expect(processStderr.mock.calls.join('')).not.toContain('Multiple credential sources');
  });

  it('without --region: the one line says the profile has no region', async () => {
    const consoleWarn = vi.spyOn(console, 'warn');
    const run = await bam('list', '--profile', 'dve');
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      'Error: No AWS region is set for profile "dve" (is it in ~/.aws/config?). Pass --region us-east-1, set AWS_REGION, or add "region = us-east-1" to your profile in ~/.aws/config.',
    );
    expect(consoleWarn).not.toHaveBeenCalled();
  });
});
