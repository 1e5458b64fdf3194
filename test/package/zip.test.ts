import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkSizeLimits, codeSha256, listZipEntries, MAX_UNZIPPED_BYTES, MAX_ZIPPED_BYTES, writeDeterministicZip } from '../../src/package/zip.js';
import { formatSize } from '../../src/package/size.js';
import { packageFunction } from '../../src/package/index.js';
import { BamError } from '../../src/core/errors.js';
import { backdate } from '../helpers/backdate.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { readZipEntries } from './zipReader.js';

let world: TestWorld;
beforeEach(async () => {
  world = await makeWorld();
});
afterEach(async () => {
  await world.cleanup();
});

async function makeTree(root: string): Promise<void> {
  await mkdir(join(root, 'b', 'deep'), { recursive: true });
  await mkdir(join(root, 'a'), { recursive: true });
  await writeFile(join(root, 'index.js'), 'exports.handler = async () => 1;\n');
  await writeFile(join(root, 'b', 'deep', 'z.txt'), 'z'.repeat(5000));
  await writeFile(join(root, 'a', 'tool.sh'), '#!/bin/sh\necho hi\n');
  await chmod(join(root, 'a', 'tool.sh'), 0o775);
  await writeFile(join(root, 'B.txt'), 'upper case sorts before lower case');
  await writeFile(join(root, 'skip.zip'), 'not me');
  await symlink('../index.js', join(root, 'b', 'link.js'));
  await writeFile(join(root, 'b', 'deep', 'never.txt'), 'excluded by its path');
}

describe('deterministic zip', () => {
  it('stores entries in code-unit order with one fixed date, 0644/0755 modes and symlinks as links', async () => {
    const root = join(world.cwd, 'tree');
    await makeTree(root);
    const entries = await listZipEntries(root, new Set(['skip.zip', 'b/deep/never.txt']));
    expect(entries.map((e) => e.name)).toEqual(['B.txt', 'a/tool.sh', 'b/deep/z.txt', 'b/link.js', 'index.js']);

    const result = await writeDeterministicZip(entries, join(world.cwd, 'out.zip'));
    const read = await readZipEntries(result.zipPath);
    expect(read.map((e) => e.name)).toEqual(['B.txt', 'a/tool.sh', 'b/deep/z.txt', 'b/link.js', 'index.js']);
    // DOS date 1980-01-01 00:00:00: day 1, month 1, year 0.
    expect(new Set(read.map((e) => `${e.dosDate}/${e.dosTime}`))).toEqual(new Set([`${(1 << 5) | 1}/0`]));
    expect(read.map((e) => e.mode.toString(8))).toEqual(['100644', '100755', '100644', '120777', '100644']);
    expect(read.find((e) => e.name === 'b/link.js')!.content.toString()).toBe('../index.js');
    expect(read.find((e) => e.name === 'b/deep/z.txt')!.content.toString()).toBe('z'.repeat(5000));

    const bytes = await readFile(result.zipPath);
    expect(result.zipSize).toBe(bytes.length);
    expect(result.codeSha256).toBe(codeSha256(bytes));
    expect(result.codeSha256).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(result.unzippedSize).toBe(33 + 5000 + 18 + 34);
  });

  it('gives byte-identical zips for identical trees written at different times', async () => {
    const first = join(world.cwd, 'one');
    await makeTree(first);
    const second = join(world.cwd, 'two');
    await mkdir(second);
    await writeFile(join(second, 'skip.zip'), 'different but excluded');
    await makeTree(second);
    await backdate(second);
    const a = await writeDeterministicZip(await listZipEntries(first, new Set(['skip.zip'])), join(world.cwd, 'a.zip'));
    const b = await writeDeterministicZip(await listZipEntries(second, new Set(['skip.zip'])), join(world.cwd, 'b.zip'));
    expect(b.codeSha256).toBe(a.codeSha256);
    expect(await readFile(b.zipPath)).toEqual(await readFile(a.zipPath));
  });

  it('packaging the same source twice gives identical bytes; changing one file changes the hash', async () => {
    await mkdir(join(world.cwd, 'fn'));
    await writeFile(join(world.cwd, 'fn', 'index.js'), "exports.handler = require('./reply');\n");
    await writeFile(join(world.cwd, 'fn', 'reply.js'), 'module.exports = async () => "one";\n');
    const first = await packageFunction('fn', { cwd: world.cwd, store: world.store });
    const firstBytes = await readFile(first.zipPath);
    await backdate(join(world.cwd, 'fn'));
    const again = await packageFunction('fn', { cwd: world.cwd, store: world.store });
    expect(await readFile(again.zipPath)).toEqual(firstBytes);
    expect(again.codeSha256).toBe(first.codeSha256);

    await writeFile(join(world.cwd, 'fn', 'reply.js'), 'module.exports = async () => "two";\n');
    const changed = await packageFunction('fn', { cwd: world.cwd, store: world.store });
    expect(changed.codeSha256).not.toBe(first.codeSha256);
  });
});

describe('formatSize', () => {
  it('uses B, KB or MB', () => {
    expect([formatSize(812), formatSize(14540), formatSize(3565158)]).toEqual(['812 B', '14.2 KB', '3.4 MB']);
  });
});

describe('Lambda size limits', () => {
  it('accepts up to 50 MB zipped and 250 MB unzipped', () => {
    expect(MAX_ZIPPED_BYTES).toBe(52428800);
    expect(MAX_UNZIPPED_BYTES).toBe(262144000);
    expect(() => checkSizeLimits(MAX_ZIPPED_BYTES, MAX_UNZIPPED_BYTES)).not.toThrow();
  });

  it('refuses one byte over either limit, naming both sizes', () => {
    expect(() => checkSizeLimits(MAX_ZIPPED_BYTES + 1, 60 * 1024 * 1024)).toThrow(BamError);
    expect(() => checkSizeLimits(MAX_ZIPPED_BYTES + 1, 60 * 1024 * 1024)).toThrow('50.0 MB zipped (limit 50 MB) and 60.0 MB unzipped (limit 250 MB)');
    expect(() => checkSizeLimits(10 * 1024 * 1024, MAX_UNZIPPED_BYTES + 1)).toThrow('10.0 MB zipped (limit 50 MB) and 250.0 MB unzipped (limit 250 MB)');
  });
});
