import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyEnv } from '../../src/core/env.js';
import { parseCorsOrigin, readSettings, settingsChanges } from '../../src/tasks/settings.js';
import { UsageError } from '../../src/core/errors.js';
import { TODAY } from '../helpers/context.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bam-settings-'));
  await writeFile(join(dir, '.env'), 'export A=from file\nB=file\n');
  await writeFile(join(dir, 'reserved.env'), 'AWS_REGION=eu-west-1\n');
  await writeFile(join(dir, 'bad-key.env'), '1ABC=x\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const read = (flags: Parameters<typeof readSettings>[0]) => readSettings(flags, dir, new Date(TODAY));

describe('--envFile reads regular files of a sensible size only', () => {
  it('refuses a device at once (reading /dev/zero would never end)', async () => {
    await expect(read({ envFile: '/dev/zero' })).rejects.toThrow(/^--envFile: \/dev\/zero is not a regular file\./);
  });

  it('refuses a FIFO at once (opening one blocks until a writer comes)', async () => {
    const fifo = join(dir, 'pipe.env');
    execFileSync('mkfifo', [fifo]);
    await expect(read({ envFile: fifo })).rejects.toThrow(/is not a regular file/);
  });

  it('refuses a file far over what 4 KB of variables could need, before reading it', async () => {
    const big = join(dir, 'big.env');
    await writeFile(big, `A=${'x'.repeat(100 * 1024)}\n`);
    await expect(read({ envFile: big })).rejects.toThrow(/big\.env is 102403 bytes; Lambda allows 4096 bytes of variables/);
  });
});

describe('readSettings', () => {
  it('nothing asked: nothing set', async () => {
    expect(await read({})).toEqual({});
  });

  it('reads runtime, memory, timeout and the variables', async () => {
    expect(await read({ runtime: 'nodejs22.x', memory: '512', timeout: '30', env: ['K=v=1'] })).toEqual({ runtime: 'nodejs22.x', memory: 512, timeout: 30, env: { K: 'v=1' } });
  });

  it('runtime names are case-insensitive', async () => {
    expect(await read({ runtime: 'NODEJS24.X' })).toEqual({ runtime: 'nodejs24.x' });
  });

  it('--env wins over --envFile for the same key; --env KEY= asks to remove KEY', async () => {
    expect(await read({ envFile: '.env', env: ['B=flag', 'C=', 'D=1'] })).toEqual({ env: { A: 'from file', B: 'flag', D: '1' }, unsetEnv: ['C'] });
    expect(await read({ envFile: '.env', env: ['A='] })).toEqual({ env: { B: 'file' }, unsetEnv: ['A'] });
  });

  it.each([
    [{ runtime: 'nodejs20.x' }, /^--runtime nodejs20\.x: AWS blocked new functions on it on 2026-08-31 \(and updates on 2026-09-30\)\. Use --runtime nodejs24\.x\.$/],
    [{ runtime: 'nodejs18.x' }, /^--runtime nodejs18\.x: AWS retired it before nodejs20\.x; .* Use --runtime nodejs24\.x\.$/],
    [{ runtime: 'python3.13' }, /^--runtime "python3\.13" is not a Lambda Node\.js runtime bam knows\. Use one of nodejs24\.x, nodejs22\.x \(default nodejs24\.x\)\.$/],
    [{ memory: '127' }, /--memory "127" must be a whole number of MB from 128 to 10240/],
    [{ memory: '10241' }, /--memory/],
    [{ memory: '256.5' }, /--memory/],
    [{ memory: 'lots' }, /--memory/],
    [{ timeout: '0' }, /--timeout "0" must be a whole number of seconds from 1 to 900/],
    [{ timeout: '901' }, /--timeout/],
    [{ env: ['NOVALUE'] }, /--env "NOVALUE" must look like KEY=VALUE/],
    [{ env: ['=x'] }, /KEY=VALUE/],
    [{ env: ['my-key=x'] }, /"my-key" is not a valid variable name/],
    [{ env: ['_X=1'] }, /not a valid variable name/],
    [{ env: ['AWS_REGION=eu-west-1'] }, /AWS_REGION is reserved/],
    [{ env: ['AWS_ACCESS_KEY_ID=x'] }, /reserved/],
    [{ envFile: 'missing.env' }, /--envFile: cannot read missing\.env \(ENOENT\)/],
    [{ envFile: 'reserved.env' }, /reserved\.env: AWS_REGION is reserved/],
    [{ envFile: 'bad-key.env' }, /bad-key\.env: "1ABC" is not a valid variable name/],
    [{ env: [`BIG=${'x'.repeat(4096)}`] }, /take 4106 bytes; Lambda allows 4096/],
  ])('refuses %j', async (flags, message) => {
    const failure = read(flags);
    await expect(failure).rejects.toThrow(UsageError);
    await expect(failure).rejects.toThrow(message);
  });
});

describe('settingsChanges (redeploy)', () => {
  const current = { Runtime: 'nodejs22.x' as const, MemorySize: 128, Timeout: 3, Environment: { Variables: { A: '1', B: '2' } } };

  it('is empty when the function already has what the flags ask for', () => {
    expect(settingsChanges(current, { runtime: 'nodejs22.x', memory: 128, timeout: 3, env: { A: '1' } })).toEqual({});
  });

  it('lists only what differs, and merges variables into the current ones', () => {
    expect(settingsChanges(current, { memory: 256, env: { C: '3' }, unsetEnv: ['A'] })).toEqual({ memory: 256, env: { B: '2', C: '3' } });
    expect(settingsChanges({}, { runtime: 'nodejs24.x', timeout: 60 })).toEqual({ runtime: 'nodejs24.x', timeout: 60 });
  });

  it('removing the last variable sends an empty set', () => {
    expect(settingsChanges({ Environment: { Variables: { A: '1' } } }, { env: {}, unsetEnv: ['A'] })).toEqual({ env: {} });
    expect(applyEnv({ A: '1' }, { unsetEnv: ['Z'] })).toEqual({ A: '1' });
  });

  it('refuses a merge over Lambda\'s 4 KB', () => {
    expect(() => settingsChanges({ Environment: { Variables: { A: 'x'.repeat(3000) } } }, { env: { B: 'y'.repeat(1500) } })).toThrow(/Lambda allows 4096/);
  });
});

describe('parseCorsOrigin', () => {
  it('--cors alone or * means any origin', () => {
    expect(parseCorsOrigin(true)).toBe('*');
    expect(parseCorsOrigin('*')).toBe('*');
  });

  it('takes an http(s) origin, with a port, without a trailing slash', () => {
    expect(parseCorsOrigin('https://example.com')).toBe('https://example.com');
    expect(parseCorsOrigin('http://localhost:5173/')).toBe('http://localhost:5173');
  });

  it.each(['https://example.com/app', 'https://example.com?x=1', 'ftp://example.com', 'example.com', 'https://u:p@example.com', ''])('refuses %j', (origin) => {
    expect(() => parseCorsOrigin(origin)).toThrow(UsageError);
  });
});
