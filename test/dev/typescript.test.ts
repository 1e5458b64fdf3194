import { describe, expect, it } from 'vitest';
import { cp, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runBam } from '../helpers/bamProcess.js';
import { root, startDev, useDevWorld } from './devProcess.js';

// bam dev (a real process, real esbuild, real HTTP) runs deploy's bundle: built in memory,
// rebuilt when a file of its import graph changes, a build error answered 502 until fixed.

const world = useDevWorld();

/** A function folder NAME/ with index.ts, and a fixture package copied into its node_modules. */
async function functionWithPackage(name: string, fixture: string, index: string): Promise<void> {
  const folder = join(world.cwd, name);
  await mkdir(join(folder, 'node_modules'), { recursive: true });
  await cp(join(root, 'test/fixtures/package/deps', fixture), join(folder, 'node_modules', fixture), { recursive: true });
  await writeFile(join(folder, 'package.json'), JSON.stringify({ name, type: 'module', dependencies: { [fixture]: '1.0.0' } }));
  await writeFile(join(folder, 'index.ts'), index);
}

const HANDLER = `// description: shouts
import { shout } from './lib/shout';
import type { Word } from './lib/types.js';
export const handler = async (event: { queryStringParameters: Record<string, string> | null }) => {
  const word: Word = event.queryStringParameters?.word ?? 'hi';
  if (word === 'boom') throw new Error('boom');
  return { statusCode: 200, body: shout(word) };
};
`;

const text = async (url: string): Promise<string> => (await fetch(url)).text();

describe('bam dev runs the bundle deploy builds', () => {
  it('a .ts folder function with extensionless and .js-named imports of .ts files answers, reloads an edited import, and fails at its .ts line', async () => {
    const folder = join(world.cwd, 'loud');
    await mkdir(join(folder, 'lib'), { recursive: true });
    await writeFile(join(folder, 'index.ts'), HANDLER);
    await writeFile(join(folder, 'lib', 'types.ts'), 'export type Word = string;\n');
    await writeFile(join(folder, 'lib', 'shout.ts'), "export const shout = (word: string): string => `${word.toUpperCase()}!`;\n");
    const dev = await startDev(['loud'], world);

    expect(await text(`${dev.url}?word=hey`)).toBe('HEY!');
    await writeFile(join(folder, 'lib', 'shout.ts'), "export const shout = (word: string): string => `${word}?`;\n");
    expect(await text(`${dev.url}?word=hey`)).toBe('hey?');

    expect((await fetch(`${dev.url}?word=boom`)).status).toBe(502);
    // The inline source map puts the frame on index.ts's line 6, where the handler throws.
    await dev.waitForOutput(/at handler \(.*loud[\\/]index\.ts:6:\d+\)/);
    expect(dev.output()).not.toMatch(/file by file/);
  });

  it('a single-file .ts function reloads when a file it imports from a subfolder is saved, and not for a file it does not import', async () => {
    await mkdir(join(world.cwd, 'parts'), { recursive: true });
    await writeFile(join(world.cwd, 'parts', 'word.ts'), "export const word: string = 'one';\n");
    await writeFile(join(world.cwd, 'parts', 'unused.ts'), "export const unused = 'x';\n");
    await writeFile(join(world.cwd, 'solo.ts'), "import { word } from './parts/word';\nexport const handler = async () => ({ statusCode: 200, body: word });\n");
    const dev = await startDev(['solo'], world);
    expect(await text(dev.url)).toBe('one');

    // Not in the bundle's inputs: no reload (the OS reported the save before this request was read).
    await writeFile(join(world.cwd, 'parts', 'unused.ts'), "export const unused = 'y';\n");
    expect(await text(dev.url)).toBe('one');
    expect(dev.output()).not.toMatch(/Reloaded solo/);
    await writeFile(join(world.cwd, 'parts', 'word.ts'), "export const word: string = 'two';\n");
    expect(await text(dev.url)).toBe('two');
    await dev.waitForOutput(/Reloaded solo: files changed\./);
  });

  it("applies tsconfig paths aliases, and a save of the alias's target reloads", async () => {
    const folder = join(world.cwd, 'aliased');
    await mkdir(join(folder, 'src', 'lib'), { recursive: true });
    await writeFile(join(folder, 'tsconfig.json'), '{\n  // comments are allowed\n  "compilerOptions": { "baseUrl": ".", "paths": { "@lib/*": ["src/lib/*"] } }\n}\n');
    await writeFile(join(folder, 'src', 'lib', 'greet.ts'), 'export const greet = (name: string): string => `hello ${name}`;\n');
    await writeFile(join(folder, 'index.ts'), "import { greet } from '@lib/greet';\nexport const handler = async () => ({ statusCode: 200, body: greet('ada') });\n");
    const dev = await startDev(['aliased'], world);
    expect(await text(dev.url)).toBe('hello ada');
    await writeFile(join(folder, 'src', 'lib', 'greet.ts'), 'export const greet = (name: string): string => `bye ${name}`;\n');
    expect(await text(dev.url)).toBe('bye ada');
    // tsconfig.json is watched too: pointing the alias elsewhere rebuilds with the new paths.
    await mkdir(join(folder, 'other'), { recursive: true });
    await writeFile(join(folder, 'other', 'greet.ts'), 'export const greet = (name: string): string => `hi ${name}`;\n');
    await writeFile(join(folder, 'tsconfig.json'), '{ "compilerOptions": { "baseUrl": ".", "paths": { "@lib/*": ["other/*"] } } }\n');
    expect(await text(dev.url)).toBe('hi ada');
  });

  it('a build error is said once as file:line:column: message and answered 502 until a save fixes it', async () => {
    await writeFile(join(world.cwd, 'broken.ts'), "export const handler = async () => ({ statusCode: 200, body: 'first' });\n");
    const dev = await startDev(['broken'], world);
    expect(await text(dev.url)).toBe('first');

    await writeFile(join(world.cwd, 'broken.ts'), "const x: number = ;\nexport const handler = async () => ({ statusCode: 200, body: 'second' });\n");
    const first = await fetch(dev.url);
    expect(first.status).toBe(502);
    expect(await first.json()).toEqual({ message: 'Internal server error' });
    expect((await fetch(dev.url)).status).toBe(502);
    await dev.waitForOutput(/broken does not build: broken\.ts:1:19: Unexpected ";"\. bam dev answers 502 until a save fixes it\./);
    await dev.waitForOutput(/GET \/ 502 .*\n(.*\n)*GET \/ 502 /);
    expect(dev.output().match(/broken\.ts:1:19/g)).toHaveLength(1);
    expect(dev.output()).toMatch(/ERROR Init failed: broken does not build/);

    await writeFile(join(world.cwd, 'broken.ts'), "import { part } from './missing';\nexport const handler = async () => ({ statusCode: 200, body: part });\n");
    expect((await fetch(dev.url)).status).toBe(502);
    await dev.waitForOutput(/broken does not build: broken\.ts:1:22: Could not resolve "\.\/missing"/);

    // Creating the missing file is a fix too: after a failed build any new script beside its files rebuilds.
    await writeFile(join(world.cwd, 'missing.ts'), "export const part = 'fixed';\n");
    expect(await text(dev.url)).toBe('fixed');
  });

  it("an import of a file deploy would not ship (outside the function's folder, or left out by .bamignore) is answered 502 with deploy's words until fixed", async () => {
    await mkdir(join(world.cwd, 'fold', 'lib'), { recursive: true });
    await writeFile(join(world.cwd, 'outside.ts'), "export const word = 'outside';\n");
    await writeFile(join(world.cwd, 'fold', 'lib', 'word.ts'), "export const word = 'inside';\n");
    await writeFile(join(world.cwd, 'fold', 'index.ts'), "import { word } from '../outside';\nexport const handler = async () => ({ statusCode: 200, body: word });\n");
    const dev = await startDev(['fold'], world);
    expect((await fetch(dev.url)).status).toBe(502);
    await dev.waitForOutput(/fold does not build: fold\/index\.ts imports '\.\.\/outside', which is not among the function's files: a function ships files of its own folder only \(minus \.bamignore\)\. Check the path, or move that file into the function's folder\. bam dev answers 502/);

    await writeFile(join(world.cwd, 'fold', 'index.ts'), "import { word } from './lib/word';\nexport const handler = async () => ({ statusCode: 200, body: word });\n");
    expect(await text(dev.url)).toBe('inside');

    await writeFile(join(world.cwd, 'fold', '.bamignore'), 'lib/\n');
    await writeFile(join(world.cwd, 'fold', 'index.ts'), "import { word } from './lib/word';\nexport const handler = async () => ({ statusCode: 200, body: word + '!' });\n");
    expect((await fetch(dev.url)).status).toBe(502);
    await dev.waitForOutput(/fold does not build: fold\/index\.ts imports '\.\/lib\/word', which is not among/);
  });

  it("a single-file function's import of a module named index.* beside it (the entry's staged name) is refused as deploy refuses it", async () => {
    await writeFile(join(world.cwd, 'index.ts'), "export const word = 'shadow';\n");
    await writeFile(join(world.cwd, 'named.ts'), "import { word } from './index';\nexport const handler = async () => ({ statusCode: 200, body: word });\n");
    const dev = await startDev(['named'], world);
    expect((await fetch(dev.url)).status).toBe(502);
    await dev.waitForOutput(/named does not build: named\.ts imports '\.\/index', which would be staged as index\.ts, the name of the function's own entry\. Rename that file, or make the function a folder named\/ with an index file\. bam dev answers 502/);
  });

  it('bam invoke NAME (local) with a build error prints the one line and exits 1', async () => {
    await writeFile(join(world.cwd, 'typo.ts'), 'export const handler = async () => ({ statusCode: 200, body: ) });\n');
    const run = await runBam(['invoke', 'typo'], { cwd: world.cwd, home: world.home, endpoint: 'http://127.0.0.1:9', timeoutMs: 60_000 });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Error: typo\.ts:1:62: Unexpected "\)"\. Fix it and run bam invoke again \(or try --no-bundle\)\.$/)]);
  });

  it('packages that cannot be bundled load from the function\'s own node_modules, and module-relative reads find the function\'s files', async () => {
    const folder = join(world.cwd, 'nativeish');
    const deps = join(root, 'test/fixtures/package/deps');
    await mkdir(join(folder, 'node_modules'), { recursive: true });
    await cp(join(deps, 'native-fixture'), join(folder, 'node_modules', 'native-fixture'), { recursive: true });
    await cp(join(deps, 'left-pad-local'), join(folder, 'node_modules', 'left-pad-local'), { recursive: true });
    await writeFile(join(folder, 'package.json'), JSON.stringify({ name: 'nativeish', type: 'module', dependencies: { 'native-fixture': '1.0.0' } }));
    await writeFile(join(folder, 'data.txt'), 'beside');
    await writeFile(
      join(folder, 'index.ts'),
      "import native from 'native-fixture';\nimport { readFileSync } from 'node:fs';\n" +
        "const data = readFileSync(new URL('./data.txt', import.meta.url), 'utf8');\n" +
        'export const handler = async () => ({ statusCode: 200, body: `${native().trim()} ${data}` });\n',
    );
    const dev = await startDev(['nativeish'], world);
    // Bundled, the fixture would look for its binary beside the bundle and say "missing".
    expect(await text(dev.url)).toBe('native beside');
    // Nothing was written into the user's folder.
    expect((await readdir(folder)).sort()).toEqual(['data.txt', 'index.ts', 'node_modules', 'package.json']);
  });

  it("CommonJS modules in an ES module function get __dirname and __filename, ES modules in a CommonJS one import.meta, naming the function's folder as deploy's name /var/task", async () => {
    const esm = join(world.cwd, 'dirs');
    await mkdir(esm, { recursive: true });
    await writeFile(join(esm, 'package.json'), JSON.stringify({ name: 'dirs', type: 'module' }));
    await writeFile(join(esm, 'where.cjs'), "const path = require('node:path');\nexports.where = path.join(__dirname, 'data.txt');\nexports.file = __filename;\n");
    await writeFile(
      join(esm, 'index.ts'),
      "import { relative } from 'node:path';\nimport { where, file } from './where.cjs';\n" +
        `export const handler = async () => ({ statusCode: 200, body: [relative(${JSON.stringify(esm)}, where), relative(${JSON.stringify(esm)}, file)].join() });\n`,
    );
    const dev = await startDev(['dirs'], world);
    expect(await text(dev.url)).toBe('data.txt,index.mjs');
    await dev.stop();

    const cjs = join(world.cwd, 'metas');
    await mkdir(cjs, { recursive: true });
    await writeFile(join(cjs, 'meta.mjs'), "import { fileURLToPath } from 'node:url';\nexport const here = fileURLToPath(import.meta.url);\nexport const dir = import.meta.dirname;\nexport const file = import.meta.filename;\n");
    await writeFile(
      join(cjs, 'index.js'),
      "const { relative } = require('node:path');\nconst meta = require('./meta.mjs');\n" +
        `exports.handler = async () => ({ statusCode: 200, body: [meta.here, meta.dir, meta.file].map((path) => relative(${JSON.stringify(cjs)}, path)).join() });\n`,
    );
    const metas = await startDev(['metas'], world);
    expect(await text(metas.url)).toBe('index.js,,index.js');
  });

  it("modules in subfolders name their own folder, so bam dev finds the files beside them as deploy's bundle does", async () => {
    const folder = join(world.cwd, 'nested');
    await mkdir(join(folder, 'lib'), { recursive: true });
    await writeFile(join(folder, 'lib', 'page.txt'), 'beside lib');
    await writeFile(join(folder, 'lib', 'read.ts'), "import { readFileSync } from 'node:fs';\nimport { join } from 'node:path';\nexport const read = (): string => readFileSync(join(__dirname, 'page.txt'), 'utf8') + ' ' + readFileSync(new URL('./page.txt', import.meta.url), 'utf8');\n");
    await writeFile(join(folder, 'index.ts'), "import { read } from './lib/read';\nexport const handler = async () => ({ statusCode: 200, body: read() });\n");
    const dev = await startDev(['nested'], world);
    expect(await text(dev.url)).toBe('beside lib beside lib');
  });

  it("runs a function whose package imports a package that is not installed, as deploy's bundle leaves that import to run time", async () => {
    await functionWithPackage('driver', 'optional-driver', "import driver from 'optional-driver';\nexport const handler = async () => ({ statusCode: 200, body: driver.name });\n");
    const dev = await startDev(['driver'], world);
    expect(await text(dev.url)).toBe('optional-driver');
  });

  it("writes decorator metadata with the project's TypeScript when tsconfig asks for it, as deploy does", async () => {
    const folder = join(world.cwd, 'meta');
    await mkdir(join(folder, 'node_modules'), { recursive: true });
    await symlink(join(root, 'node_modules', 'typescript'), join(folder, 'node_modules', 'typescript'), 'dir');
    await writeFile(join(folder, 'tsconfig.json'), '{ "compilerOptions": { "experimentalDecorators": true, "emitDecoratorMetadata": true } }');
    await writeFile(join(folder, 'greeter.ts'), 'export class Greeter {}\n');
    await writeFile(
      join(folder, 'index.ts'),
      "import { Greeter } from './greeter';\nconst recorded = new Map<unknown, unknown>();\n" +
        "(Reflect as unknown as { metadata: unknown }).metadata = (key: string, value: unknown) => (target: unknown) => { if (key === 'design:paramtypes') recorded.set(target, value); };\n" +
        'const Injectable = (): ClassDecorator => () => {};\n@Injectable() class Controller { constructor(readonly greeter: Greeter) {} }\n' +
        'export const handler = async () => ({ statusCode: 200, body: (recorded.get(Controller) as Function[]).map((type) => type.name).join() });\n',
    );
    const dev = await startDev(['meta'], world);
    expect(await text(dev.url)).toBe('Greeter');
  });

  it('a package whose code finds files beside itself loads from node_modules, as deploy ships it', async () => {
    await functionWithPackage('beside', 'reads-own-file', "import greeting from 'reads-own-file';\nexport const handler = async () => ({ statusCode: 200, body: greeting() });\n");
    const dev = await startDev(['beside'], world);
    // Bundled, __dirname would name the function's folder, where greeting.txt is not.
    expect(await text(dev.url)).toBe('hello from beside');
  });

  it('--no-bundle runs the files as they are (TypeScript compiled file by file as it loads); without it the bundle runs', async () => {
    await writeFile(join(world.cwd, 'plain.cts'), "const greeting: string = 'hello';\nmodule.exports.handler = async () => ({ statusCode: 200, body: `${greeting} ${require('node:path').basename(__filename)}` });\n");
    const unbundled = await startDev(['plain', '--no-bundle'], world);
    expect(await text(unbundled.url)).toBe('hello plain.cts');
    await unbundled.stop();
    // Bundled, the code sits in index.js in the function's folder, as deployed.
    const bundled = await startDev(['plain'], world);
    expect(await text(bundled.url)).toBe('hello index.js');
  });
});
