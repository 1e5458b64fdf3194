import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { devWorld, startDev, stopAll } from './devProcess.js';

// bam dev as a real process on TypeScript functions: compiled file by file as they load.

let world: Awaited<ReturnType<typeof devWorld>>;
beforeAll(async () => {
  world = await devWorld();
});
afterEach(async () => {
  await stopAll();
});
afterAll(async () => {
  await world.cleanup();
});

const HANDLER = `// description: shouts
import { shout } from './lib/shout';
import type { Word } from './lib/types.js';
export const handler = async (event: { queryStringParameters: Record<string, string> | null }) => {
  const word: Word = event.queryStringParameters?.word ?? 'hi';
  if (word === 'boom') throw new Error('boom');
  return { statusCode: 200, body: shout(word) };
};
`;

describe('bam dev runs TypeScript', () => {
  it('a .ts folder function with extensionless and .js-named imports of .ts files answers, reloads an edited import, and fails at its .ts line', async () => {
    const folder = join(world.cwd, 'loud');
    await mkdir(join(folder, 'lib'), { recursive: true });
    await writeFile(join(folder, 'index.ts'), HANDLER);
    await writeFile(join(folder, 'lib', 'types.ts'), 'export type Word = string;\n');
    await writeFile(join(folder, 'lib', 'shout.ts'), "export const shout = (word: string): string => `${word.toUpperCase()}!`;\n");
    const dev = await startDev(['loud'], world);
    await dev.waitForOutput(/bam dev compiles loud's TypeScript file by file/);

    expect(await (await fetch(`${dev.url}?word=hey`)).text()).toBe('HEY!');
    await writeFile(join(folder, 'lib', 'shout.ts'), "export const shout = (word: string): string => `${word}?`;\n");
    expect(await (await fetch(`${dev.url}?word=hey`)).text()).toBe('hey?');

    expect((await fetch(`${dev.url}?word=boom`)).status).toBe(502);
    // The inline source map puts the frame on index.ts's line 6, where the handler throws.
    await dev.waitForOutput(/at handler \(.*loud[\\/]index\.ts:6:\d+\)/);
  });

  it('a single .cts file (CommonJS) answers', async () => {
    await writeFile(join(world.cwd, 'plain.cts'), "const greeting: string = 'hello';\nmodule.exports.handler = async () => ({ statusCode: 200, body: greeting });\n");
    const dev = await startDev(['plain'], world);
    expect(await (await fetch(dev.url)).text()).toBe('hello');
  });
});
