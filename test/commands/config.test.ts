import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { readFile, writeFile } from 'node:fs/promises';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { config } from '../../src/commands/config.js';
import { readConfig } from '../../src/store/records.js';
import { storePaths } from '../../src/store/paths.js';
import { UsageError } from '../../src/ui/errors.js';

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

let world: TestWorld;
beforeEach(async () => {
  world = await makeWorld();
});
afterEach(async () => {
  await world.cleanup();
});

describe('bam config', () => {
  it('shows the defaults without changing anything', async () => {
    await config({}, world.ctx);
    expect(world.reporter.text('result')).toContain('Default role:   defaultBamRole');
    await expect(readFile(storePaths.config(), 'utf8')).rejects.toThrow(); // nothing written
  });

  it('updates the account number, role and endpoint type from flags', async () => {
    await config({ accountNumber: '123456789012', role: 'myRole', endpointType: 'regional' }, world.ctx);
    expect(await readConfig()).toMatchObject({ accountNumber: '123456789012', defaultRole: 'myRole', endpointType: 'REGIONAL' });
    expect(world.reporter.text('result')).toContain('Account number: 123456789012');
  });

  it('refuses a bad account number, role or endpoint type and leaves config alone', async () => {
    await config({ accountNumber: '111111111111' }, world.ctx);
    const before = await readFile(storePaths.config(), 'utf8');
    await expect(config({ accountNumber: '12345' }, world.ctx)).rejects.toThrow(/12 digits/);
    await expect(config({ role: 'bad role!' }, world.ctx)).rejects.toBeInstanceOf(UsageError);
    await expect(config({ endpointType: 'private' }, world.ctx)).rejects.toThrow(/edge or regional/);
    expect(await readFile(storePaths.config(), 'utf8')).toBe(before);
  });

  it('prompts on a terminal, re-asks after a bad answer, and keeps a default on Enter', async () => {
    await config({ role: 'keptRole' }, world.ctx);
    const tty = terminal(['12', '210987654321', '']);
    await config({}, { ...world.ctx, io: tty.io });
    expect(tty.shown()).toContain('exactly 12 digits'); // the bad answer was explained
    expect(await readConfig()).toMatchObject({ accountNumber: '210987654321', defaultRole: 'keptRole' });
  });

  it('keeps an account number not known yet on Enter, so only the role can be changed', async () => {
    const tty = terminal(['', 'otherRole']);
    await config({}, { ...world.ctx, io: tty.io });
    expect(tty.shown()).not.toContain('12 digits');
    const saved = await readConfig();
    expect(saved).toMatchObject({ defaultRole: 'otherRole' });
    expect(saved).not.toHaveProperty('accountNumber');
  });

  it('quits the prompts on q without saving', async () => {
    const tty = terminal(['q']);
    await config({}, { ...world.ctx, io: tty.io });
    await expect(readFile(storePaths.config(), 'utf8')).rejects.toThrow();
    expect(world.reporter.text()).toContain('unchanged');
  });

  it('prints JSON with --json', async () => {
    await config({ accountNumber: '123456789012', json: true }, world.ctx);
    expect(JSON.parse(world.reporter.text('result'))).toMatchObject({ accountNumber: '123456789012', defaultRole: 'defaultBamRole' });
  });

  it('reports a corrupt config.json by name instead of resetting it', async () => {
    await writeFile(storePaths.config(), 'not json');
    await expect(config({ role: 'x' }, world.ctx)).rejects.toThrow(/config\.json is not valid JSON/);
    expect(await readFile(storePaths.config(), 'utf8')).toBe('not json');
  });
});
