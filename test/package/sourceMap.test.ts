import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageFunction } from '../../src/package/index.js';
import { decodeMappings, deployedFrameMapper, frameMapper } from '../../src/package/sourceMap.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { readZipEntries } from './zipReader.js';

let world: TestWorld;
beforeEach(async () => {
  world = await makeWorld();
});
afterEach(async () => {
  await world.cleanup();
});

async function write(relativePath: string, text: string): Promise<void> {
  await mkdir(join(world.cwd, relativePath, '..'), { recursive: true });
  await writeFile(join(world.cwd, relativePath), text);
}

describe('source maps', () => {
  it('decodes Base64 VLQ mappings, fields relative across segments and lines', () => {
    // "AAAA" = [0,0,0,0]; "IAAI" = [4,0,0,4]; "AACA" = [0,0,1,0] on the next line; "GAAG" = [3,0,0,3].
    expect(decodeMappings('AAAA,IAAI;AACA,GAAG;;A')).toEqual([
      [[0, 0, 0, 0], [4, 0, 0, 4]],
      [[0, 0, 1, 4], [3, 0, 1, 7]],
      [],
      [[0]],
    ]);
  });

  it('maps a frame of the deployed bundle back to the .ts line that threw, when staging has the map of that CodeSha256', async () => {
    await write('boom/index.ts', "import { fail } from './lib/fail';\nexport const handler = async (event: { n: number }) => fail(event.n);\n");
    await write('boom/lib/fail.ts', 'type N = number;\nexport function fail(n: N): never {\n  throw new Error(`failed with ${n}`);\n}\n');
    const result = await packageFunction('boom', { cwd: world.cwd, store: world.store });

    // Run the bundle as Lambda would, from /var/task (here: a folder standing in for it).
    const task = join(world.home, 'task');
    await mkdir(task);
    for (const entry of await readZipEntries(result.zipPath)) await writeFile(join(task, entry.name), entry.content);
    const run = spawnSync(process.execPath, ['-e', `import(${JSON.stringify(join(task, 'index.mjs'))}).then((m) => m.handler({ n: 7 })).catch((e) => process.stdout.write(e.stack))`], { encoding: 'utf8' });
    const stack = run.stdout.split(`file://${task}/`).join('file:///var/task/');
    expect(stack).toMatch(/at fail \(file:\/\/\/var\/task\/index\.mjs:\d+:\d+\)/);

    const map = JSON.parse(await readFile(result.sourceMapPath!, 'utf8')) as { sources: string[]; mappings: string };
    expect(frameMapper(map, 'index.mjs')(stack)).toMatch(/at fail \(lib\/fail\.ts:3:9\)/);
    const deployed = await deployedFrameMapper(world.store.paths.staging('boom'), result.codeSha256);
    expect(deployed?.(stack)).toMatch(/at fail \(lib\/fail\.ts:3:9\)/);
    // Another CodeSha256 (code deployed from elsewhere, or built since): no mapping at all.
    expect(await deployedFrameMapper(world.store.paths.staging('boom'), 'another=')).toBeUndefined();
    expect(await deployedFrameMapper(world.store.paths.staging('boom'), undefined)).toBeUndefined();
  });
});
