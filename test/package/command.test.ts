import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli.js';
import { packageCommand } from '../../src/commands/package.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';

let world: TestWorld;
const savedRegion = { AWS_REGION: process.env.AWS_REGION, AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION };
beforeEach(async () => {
  world = await makeWorld();
  // bam package must not need AWS at all: no region, no credentials.
  delete process.env.AWS_REGION;
  delete process.env.AWS_DEFAULT_REGION;
});
afterEach(async () => {
  Object.assign(process.env, Object.fromEntries(Object.entries(savedRegion).filter(([, v]) => v !== undefined)));
  await world.cleanup();
});

async function runCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(['node', 'bam', ...args], { stdout, stderr, stdin: new PassThrough(), cwd: world.cwd, home: world.home, policy: world.policy });
  return { code, stdout: out, stderr: err };
}

describe('bam package', () => {
  it('prints the zip path, sizes, CodeSha256, description and dependencies', async () => {
    await writeFile(join(world.cwd, 'hi.js'), '// description: Hi there\nexports.handler = async () => ({ statusCode: 200 });\n');
    const result = await packageCommand('hi', {}, world.ctx);
    const out = world.reporter.text('result');
    expect(out).toContain(`Zip:          ${join(world.home, 'staging', 'hi', 'hi.zip')}`);
    expect(out).toMatch(new RegExp(`Size: +${result.zipSize} B zipped, \\d+ B unzipped\n`)); // small: no repeated byte count
    expect(out).toContain(`CodeSha256:   ${result.codeSha256}`);
    expect(out).toContain('Description:  Hi there');
    expect(out).toContain('Dependencies: (none)');
  });

  it('--json prints only JSON on stdout, from the CLI, with --src and no region', async () => {
    await writeFile(join(world.cwd, 'elsewhere.mjs'), 'export async function handler() { return 1; }\n');
    const run = await runCli('package', 'api', '--src', 'elsewhere.mjs', '--json');
    expect(run.stderr).toContain('Packaged api'); // progress goes to stderr in --json mode
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(printed).toMatchObject({
      name: 'api',
      source: join(world.cwd, 'elsewhere.mjs'),
      zipPath: join(world.home, 'staging', 'api', 'api.zip'),
      description: '',
      dependencies: {},
    });
    expect(printed.codeSha256).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it('exits 1 with one line naming the paths tried when the function is missing, and 2 on a bad name', async () => {
    const missing = await runCli('package', 'ghost');
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain(join(world.cwd, 'ghost.js'));
    expect((await runCli('package', 'bad name')).code).toBe(2);
  });
});
