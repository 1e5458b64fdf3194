import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { mockClient } from 'aws-sdk-client-mock';
import { GetRoleCommand, IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { runBam } from '../aws/scene.js';
import { config } from '../../src/commands/config.js';
import { UsageError } from '../../src/core/errors.js';

/** A fake terminal: answers are fed line by line, prompts collected. */
function terminal(answers: string[]) {
  const input = Object.assign(new PassThrough(), { isTTY: true });
  const output = new PassThrough();
  let shown = '';
  output.on('data', (d: Buffer) => {
    shown += d.toString();
    // Answer each prompt as it appears, like a person would.
    if (shown.trimEnd().endsWith(':') && answers.length > 0) input.write(`${answers.shift()}\n`);
  });
  return { io: { input, output }, shown: () => shown };
}

const iamMock = mockClient(IAMClient);
const role = (name: string) => ({ Role: { RoleName: name, Arn: `arn:aws:iam::123456789012:role/${name}`, Path: '/', RoleId: 'id', CreateDate: new Date() } });

let world: TestWorld;
beforeEach(async () => {
  world = await makeWorld();
  // Every role the tests name exists, unless a test says otherwise.
  iamMock.on(GetRoleCommand).callsFake((input: { RoleName: string }) => role(input.RoleName));
});
afterEach(async () => {
  iamMock.reset();
  await world.cleanup();
});

describe('bam config', () => {
  it('shows the defaults without changing anything', async () => {
    await config({}, world.ctx);
    expect(world.reporter.text('result')).toContain('Default role:   defaultBamRole');
    await expect(readFile(world.store.paths.config(), 'utf8')).rejects.toThrow(); // nothing written
  });

  it('updates the account number, role and endpoint type from flags', async () => {
    await config({ accountNumber: '123456789012', role: 'myRole', endpointType: 'regional' }, world.ctx);
    expect(await world.store.readConfig()).toMatchObject({ accountNumber: '123456789012', defaultRole: 'myRole', endpointType: 'REGIONAL' });
    expect(world.reporter.text('result')).toContain('Account number: 123456789012');
  });

  it('refuses a bad account number, role or endpoint type and leaves config alone', async () => {
    await config({ accountNumber: '111111111111' }, world.ctx);
    const before = await readFile(world.store.paths.config(), 'utf8');
    await expect(config({ accountNumber: '12345' }, world.ctx)).rejects.toThrow(/12 digits/);
    await expect(config({ role: 'bad role!' }, world.ctx)).rejects.toBeInstanceOf(UsageError);
    await expect(config({ endpointType: 'private' }, world.ctx)).rejects.toThrow(/edge or regional/);
    expect(await readFile(world.store.paths.config(), 'utf8')).toBe(before);
  });

  it('prompts on a terminal, re-asks after a bad answer, and keeps a default on Enter', async () => {
    await config({ role: 'keptRole' }, world.ctx);
    const tty = terminal(['12', '210987654321', '']);
    await config({}, { ...world.ctx, io: tty.io });
    expect(tty.shown()).toContain('exactly 12 digits'); // the bad answer was explained
    expect(await world.store.readConfig()).toMatchObject({ accountNumber: '210987654321', defaultRole: 'keptRole' });
  });

  it('keeps an account number not known yet on Enter, so only the role can be changed', async () => {
    const tty = terminal(['', 'otherRole']);
    await config({}, { ...world.ctx, io: tty.io });
    expect(tty.shown()).not.toContain('12 digits');
    const saved = await world.store.readConfig();
    expect(saved).toMatchObject({ defaultRole: 'otherRole' });
    expect(saved).not.toHaveProperty('accountNumber');
  });

  it('quits the prompts on q without saving', async () => {
    const tty = terminal(['q']);
    await config({}, { ...world.ctx, io: tty.io });
    await expect(readFile(world.store.paths.config(), 'utf8')).rejects.toThrow();
    expect(world.reporter.text()).toContain('unchanged');
  });

  it('bam config --role of a role that does not exist is refused (exit 1) with how to create it or keep the default', async () => {
    iamMock.on(GetRoleCommand, { RoleName: 'nonexistentRole' }).rejects(new NoSuchEntityException({ message: 'The role with name nonexistentRole cannot be found.', $metadata: {} }));
    const refused = await runBam(world, 'config', '--role', 'nonexistentRole');
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      'Error: Role "nonexistentRole" does not exist in this AWS account, so every deploy would fail. Create it in the IAM console (trusted by lambda.amazonaws.com), or keep bam\'s own role: bam config --role defaultBamRole',
    );
    expect(await world.store.readConfig()).toMatchObject({ defaultRole: 'defaultBamRole' });

    const saved = await runBam(world, 'config', '--role', 'existingRole');
    expect(saved.code).toBe(0);
    expect(iamMock.commandCalls(GetRoleCommand).map((call) => call.args[0].input.RoleName)).toEqual(['nonexistentRole', 'existingRole']);
    expect(await world.store.readConfig()).toMatchObject({ defaultRole: 'existingRole' });
  });

  it('asks AWS nothing for bam\'s own roles, which deploy creates', async () => {
    await config({ role: 'databaseBamRole' }, world.ctx);
    await config({ role: 'defaultBamRole' }, world.ctx);
    expect(iamMock.commandCalls(GetRoleCommand)).toEqual([]);
  });

  it('checks a role changed on the prompt too', async () => {
    iamMock.on(GetRoleCommand, { RoleName: 'typoRole' }).rejects(new NoSuchEntityException({ message: 'not found', $metadata: {} }));
    const tty = terminal(['', 'typoRole']);
    await expect(config({}, { ...world.ctx, io: tty.io })).rejects.toThrow('Role "typoRole" does not exist');
    expect(await world.store.readConfig()).toMatchObject({ defaultRole: 'defaultBamRole' });
  });

  it('saves the role with a warning when AWS cannot be asked (no credentials, or no region)', async () => {
    const noCredentials = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    iamMock.on(GetRoleCommand).rejects(noCredentials);
    const run = await runBam(world, 'config', '--role', 'offlineRole');
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).toContain('Could not ask AWS whether role "offlineRole" exists (GetRole failed: Could not load credentials from any providers); saved it anyway');
    expect(await world.store.readConfig()).toMatchObject({ defaultRole: 'offlineRole' });

    const saved = { region: process.env.AWS_REGION, config: process.env.AWS_CONFIG_FILE, profile: process.env.AWS_PROFILE };
    delete process.env.AWS_REGION;
    delete process.env.AWS_PROFILE;
    process.env.AWS_CONFIG_FILE = join(world.home, 'no-such-aws-config');
    try {
      await config({ role: 'noRegionRole' }, { ...world.ctx, aws: {} });
      expect(world.reporter.text('warn')).toContain('Could not ask AWS whether role "noRegionRole" exists (No AWS region is set');
      expect(await world.store.readConfig()).toMatchObject({ defaultRole: 'noRegionRole' });
    } finally {
      for (const [key, value] of [['AWS_REGION', saved.region], ['AWS_CONFIG_FILE', saved.config], ['AWS_PROFILE', saved.profile]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('prints JSON with --json', async () => {
    await config({ accountNumber: '123456789012', json: true }, world.ctx);
    expect(JSON.parse(world.reporter.text('result'))).toMatchObject({ accountNumber: '123456789012', defaultRole: 'defaultBamRole' });
  });

  it('reports a corrupt config.json by name instead of resetting it', async () => {
    await writeFile(world.store.paths.config(), 'not json');
    await expect(config({ role: 'x' }, world.ctx)).rejects.toThrow(/config\.json is not valid JSON/);
    expect(await readFile(world.store.paths.config(), 'utf8')).toBe('not json');
  });
});
