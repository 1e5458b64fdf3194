import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findSource } from '../../src/package/source.js';
import { BamError } from '../../src/core/errors.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';

let world: TestWorld;
beforeEach(async () => {
  world = await makeWorld();
});
afterEach(async () => {
  await world.cleanup();
});

describe('findSource', () => {
  it('finds NAME.js, NAME.mjs and NAME.cjs in the current folder and stages them as index.*', async () => {
    for (const ext of ['js', 'mjs', 'cjs']) {
      await writeFile(join(world.cwd, `f${ext}.${ext}`), 'exports.handler = 1;');
      const source = await findSource(`f${ext}`, { cwd: world.cwd });
      expect(source).toEqual({
        name: `f${ext}`,
        sourcePath: join(world.cwd, `f${ext}.${ext}`),
        kind: 'file',
        entryFile: join(world.cwd, `f${ext}.${ext}`),
        entryName: `index.${ext}`,
      });
    }
  });

  it('finds a folder NAME/ with index.mjs (one folder per function)', async () => {
    await mkdir(join(world.cwd, 'api'));
    await writeFile(join(world.cwd, 'api', 'index.mjs'), 'export const handler = 1;');
    const source = await findSource('api', { cwd: world.cwd });
    expect(source).toMatchObject({ kind: 'dir', sourcePath: join(world.cwd, 'api'), entryFile: join(world.cwd, 'api', 'index.mjs'), entryName: 'index.mjs' });
  });

  it('prefers the single file over a folder of the same name', async () => {
    await mkdir(join(world.cwd, 'both'));
    await writeFile(join(world.cwd, 'both', 'index.js'), '');
    await writeFile(join(world.cwd, 'both.js'), '');
    expect((await findSource('both', { cwd: world.cwd })).kind).toBe('file');
  });

  it('follows --src to a file, a function folder, or a folder holding NAME.js', async () => {
    await mkdir(join(world.cwd, 'lib', 'fn'), { recursive: true });
    await writeFile(join(world.cwd, 'lib', 'main.cjs'), '');
    await writeFile(join(world.cwd, 'lib', 'fn', 'index.js'), '');
    await writeFile(join(world.cwd, 'lib', 'other.js'), '');

    expect(await findSource('x', { cwd: world.cwd, src: 'lib/main.cjs' })).toMatchObject({ kind: 'file', entryName: 'index.cjs' });
    expect(await findSource('x', { cwd: world.cwd, src: 'lib/fn' })).toMatchObject({ kind: 'dir', sourcePath: join(world.cwd, 'lib', 'fn') });
    expect(await findSource('other', { cwd: world.cwd, src: 'lib' })).toMatchObject({ kind: 'file', entryFile: join(world.cwd, 'lib', 'other.js') });
  });

  it('lists every path tried when nothing is found', async () => {
    await mkdir(join(world.cwd, 'empty'));
    const err = await findSource('empty', { cwd: world.cwd }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BamError);
    const message = (err as BamError).message;
    for (const tried of ['empty.js', 'empty.mjs', 'empty.cjs', join('empty', 'index.js'), join('empty', 'index.cjs')]) {
      expect(message).toContain(join(world.cwd, tried));
    }
  });

  it('suggests the function one or two typos away (a file or a folder), and nothing for a name far from any', async () => {
    await writeFile(join(world.cwd, 'hello.ts'), 'export const handler = 1;');
    await mkdir(join(world.cwd, 'orders'));
    await writeFile(join(world.cwd, 'orders', 'index.js'), 'exports.handler = 1;');
    await writeFile(join(world.cwd, 'notes.txt'), '');
    await expect(findSource('helo', { cwd: world.cwd })).rejects.toThrow(/^Could not find the code of "helo"\. Did you mean hello\? Tried: /);
    await expect(findSource('ordres', { cwd: world.cwd })).rejects.toThrow(/Did you mean orders\?/);
    await expect(findSource('note', { cwd: world.cwd })).rejects.not.toThrow(/Did you mean/);
    await expect(findSource('zzz', { cwd: world.cwd })).rejects.not.toThrow(/Did you mean/);
  });

  it('finds TypeScript like JavaScript: NAME.ts|mts|cts and NAME/index.ts, also through --src', async () => {
    for (const ext of ['ts', 'mts', 'cts']) {
      await writeFile(join(world.cwd, `t${ext}.${ext}`), 'export const handler = 1;');
      expect(await findSource(`t${ext}`, { cwd: world.cwd })).toMatchObject({ kind: 'file', entryName: `index.${ext}` });
    }
    await mkdir(join(world.cwd, 'g'));
    await writeFile(join(world.cwd, 'g', 'index.mts'), '');
    expect(await findSource('g', { cwd: world.cwd })).toMatchObject({ kind: 'dir', entryFile: join(world.cwd, 'g', 'index.mts'), entryName: 'index.mts' });
    expect(await findSource('x', { cwd: world.cwd, src: 'tts.ts' })).toMatchObject({ kind: 'file', entryName: 'index.ts' });
    // A compiled hello.js beside hello.ts keeps winning, as before TypeScript was found.
    await writeFile(join(world.cwd, 'tts.js'), '');
    expect((await findSource('tts', { cwd: world.cwd })).entryName).toBe('index.js');
  });

  it('refuses a --src file that is neither JavaScript nor TypeScript', async () => {
    await writeFile(join(world.cwd, 'f.py'), '');
    await expect(findSource('f', { cwd: world.cwd, src: 'f.py' })).rejects.toThrow('f.py is not a JavaScript or TypeScript file; a function is a .js, .mjs, .cjs, .ts, .mts or .cts file');
  });
});
