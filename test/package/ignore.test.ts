import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readIgnoreRule } from '../../src/package/ignore.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';

let world: TestWorld;
beforeEach(async () => {
  world = await makeWorld();
});
afterEach(async () => {
  await world.cleanup();
});

describe('.bamignore', () => {
  it('always skips .git, node_modules, .bam and .bamignore, with or without a .bamignore', () => {
    const ignored = readIgnoreRule(world.cwd);
    expect(ignored('.git', true)).toBe(true);
    expect(ignored('node_modules', true)).toBe(true);
    expect(ignored('lib/node_modules', true)).toBe(true);
    expect(ignored('.bam', true)).toBe(true);
    expect(ignored('.bamignore', false)).toBe(true);
    expect(ignored('index.js', false)).toBe(false);
    expect(ignored('lib/.gitignore', false)).toBe(false);
  });

  it('never packages dotenv files, which hold secrets (their values go in with --envFile)', () => {
    const ignored = readIgnoreRule(world.cwd);
    for (const file of ['.env', '.env.local', '.env.production', 'config/.env']) expect(ignored(file, false), file).toBe(true);
    for (const file of ['env.js', '.envrc.js', 'dotenv.js']) expect(ignored(file, false), file).toBe(false);
  });

  it('matches names at any depth, anchored paths, folders only, ? and **', async () => {
    await writeFile(join(world.cwd, '.bamignore'), [
      '# comments and blank lines are skipped',
      '',
      '*.log',
      'tmp/',
      '/secret.txt',
      'docs/*.md',
      'fixtures/**/big-?.bin',
      '**/cache',
    ].join('\n'));
    const ignored = readIgnoreRule(world.cwd);
    const cases: [string, boolean, boolean][] = [
      ['debug.log', false, true],
      ['lib/deep/trace.log', false, true],
      ['log.txt', false, false],
      ['tmp', true, true],
      ['lib/tmp', true, true],
      ['tmp', false, false], // a file named tmp is not the folder
      ['secret.txt', false, true],
      ['lib/secret.txt', false, false], // anchored at the folder's root
      ['docs/readme.md', false, true],
      ['docs/api/readme.md', false, false], // * stops at /
      ['fixtures/big-1.bin', false, true],
      ['fixtures/a/b/big-2.bin', false, true],
      ['fixtures/a/big-10.bin', false, false],
      ['cache', true, true],
      ['a/b/cache', false, true],
      ['# comments and blank lines are skipped', false, false],
    ];
    for (const [path, isDirectory, expected] of cases) expect(ignored(path, isDirectory), path).toBe(expected);
  });
});
