import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { checkFitsClassicZip, listZipEntries, tableCrc32, windowBitsFor, writeDeterministicZip } from '../../src/package/zip.js';
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

const hasUnzip = spawnSync('unzip', ['-v'], { stdio: 'ignore' }).status === 0;
const NOISE = randomBytes(4096); // does not deflate smaller

/** A function folder as staging leaves it, with every case the writer distinguishes. */
async function makeFunction(root: string, modes: { tool: number; other: number } = { tool: 0o755, other: 0o644 }): Promise<Record<string, Buffer>> {
  const files: Record<string, Buffer> = {
    'index.js': Buffer.from('exports.handler = async () => ({ statusCode: 200, body: "ok" });\n'.repeat(20)),
    'empty.txt': Buffer.alloc(0),
    'noise.bin': NOISE,
    'données/élan ü.txt': Buffer.from('utf-8 name\n'),
    'node_modules/.bin/tool': Buffer.from('#!/usr/bin/env node\nconsole.log(1);\n'),
    'node_modules/other/run.sh': Buffer.from('#!/bin/sh\necho run\n'),
  };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), content);
  }
  await chmod(join(root, 'node_modules/.bin/tool'), modes.tool);
  await chmod(join(root, 'node_modules/other/run.sh'), modes.other);
  await symlink('../index.js', join(root, 'node_modules', 'link.js'));
  return files;
}

describe('the zip writer', () => {
  it('deflates a small file with a window that reaches all of it: the same bytes as the default window', async () => {
    // Text that repeats at every distance, at sizes on both sides of each window's edge.
    const bam = await readFile(new URL('../../src/package/zip.ts', import.meta.url));
    const text = Buffer.concat([bam, bam, bam, bam]);
    const sizes = [1, 100, 250, 251, 262, 511 - 262, 512 - 262, 1000, 4096 - 262, 4096 - 261, 4096, 16_384 - 262, 16_385, 32_768 - 262, 32_768, 70_000];
    for (const size of sizes) {
      const data = text.subarray(0, size);
      expect(windowBitsFor(size)).toBeLessThanOrEqual(15);
      expect(deflateRawSync(data, { level: 6, windowBits: windowBitsFor(size) }).equals(deflateRawSync(data, { level: 6 })), `size ${size}`).toBe(true);
    }
    expect(windowBitsFor(100)).toBe(9);
    expect(windowBitsFor(70_000)).toBe(15);
  });

  it('round-trips names, contents, modes and CRCs; stores what does not deflate smaller', async () => {
    const root = join(world.cwd, 'fn');
    const files = await makeFunction(root, { tool: 0o744, other: 0o645 }); // owner-only and others-only exec bits
    const result = await writeDeterministicZip(await listZipEntries(root), join(world.cwd, 'fn.zip'));
    const read = await readZipEntries(result.zipPath);

    expect(read.map((e) => e.name)).toEqual(['donn\u00e9es/\u00e9lan \u00fc.txt', 'empty.txt', 'index.js', 'node_modules/.bin/tool', 'node_modules/link.js', 'node_modules/other/run.sh', 'noise.bin']);
    const byName = new Map(read.map((e) => [e.name, e]));
    for (const [name, content] of Object.entries(files)) expect(byName.get(name)!.content).toEqual(content);
    for (const entry of read) {
      expect(entry.crc32).toBe(crc32(entry.content));
      expect([entry.versionMadeBy, entry.versionNeeded, entry.flags]).toEqual([(3 << 8) | 20, 20, 1 << 11]);
    }
    expect(Object.fromEntries(read.map((e) => [e.name, e.mode.toString(8)]))).toEqual({
      'donn\u00e9es/\u00e9lan \u00fc.txt': '100644',
      'empty.txt': '100644',
      'index.js': '100644',
      'node_modules/.bin/tool': '100755',
      'node_modules/link.js': '120777',
      'node_modules/other/run.sh': '100755',
      'noise.bin': '100644',
    });
    expect(byName.get('node_modules/link.js')!.content.toString()).toBe('../index.js');

    const index = byName.get('index.js')!;
    expect([index.method, index.compressedSize < index.content.length]).toEqual([8, true]);
    const noise = byName.get('noise.bin')!;
    expect([noise.method, noise.compressedSize]).toEqual([0, NOISE.length]);
    const empty = byName.get('empty.txt')!;
    expect([empty.method, empty.compressedSize]).toEqual([0, 0]);
    expect(result.unzippedSize).toBe(Object.values(files).reduce((sum, content) => sum + content.length, 0));
  });

  it.skipIf(!hasUnzip)('writes a zip Info-ZIP unzip tests clean and extracts with the handler at the root and exec bits kept (skipped without `unzip`)', async () => {
    const root = join(world.cwd, 'fn');
    await makeFunction(root);
    const { zipPath } = await writeDeterministicZip(await listZipEntries(root), join(world.cwd, 'fn.zip'));
    const test = spawnSync('unzip', ['-t', zipPath], { encoding: 'utf8' });
    expect(test.stdout).toContain('No errors detected');
    expect(test.status).toBe(0);

    const out = join(world.cwd, 'out');
    expect(spawnSync('unzip', ['-q', zipPath, '-d', out]).status).toBe(0);
    expect(await readFile(join(out, 'index.js'), 'utf8')).toContain('exports.handler');
    const run = spawnSync(join(out, 'node_modules/.bin/tool'), { encoding: 'utf8' });
    expect(run.stdout).toBe('1\n');
  });

  it('gives identical bytes when only mtimes and equivalent modes differ', async () => {
    const first = join(world.cwd, 'one');
    await makeFunction(first);
    const second = join(world.cwd, 'two');
    await makeFunction(second, { tool: 0o700, other: 0o664 });
    await backdate(second);
    const a = await writeDeterministicZip(await listZipEntries(first), join(world.cwd, 'a.zip'));
    const b = await writeDeterministicZip(await listZipEntries(second), join(world.cwd, 'b.zip'));
    expect(await readFile(b.zipPath)).toEqual(await readFile(a.zipPath));
    expect(b.codeSha256).toBe(a.codeSha256);
  });

  it('writes a valid empty zip', async () => {
    const { zipPath, zipSize } = await writeDeterministicZip([], join(world.cwd, 'empty.zip'));
    expect(zipSize).toBe(22);
    expect(await readZipEntries(zipPath)).toEqual([]);
  });

  it('refuses what would need ZIP64', () => {
    expect(() => checkFitsClassicZip(0xffff, 0xffffffff)).not.toThrow();
    expect(() => checkFitsClassicZip(0x10000, 0)).toThrow(BamError);
    expect(() => checkFitsClassicZip(1, 0x100000000)).toThrow('The package needs ZIP64 (1 files, 4096.0 MB)');
  });

  it('computes the same CRC-32 without zlib.crc32', () => {
    expect(tableCrc32(Buffer.from('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    for (const data of [Buffer.alloc(0), NOISE, Buffer.from('é')]) expect(tableCrc32(data)).toBe(crc32(data));
  });
});
