import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { cp, lstat, mkdir, mkdtemp, readFile, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageFunction } from '../../src/package/index.js';
import { openStore } from '../../src/store/store.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { readZipEntries } from './zipReader.js';

// Real esbuild builds and real npm installs, offline: every package is a local file: one and the
// registry is unreachable, so a slip fails loudly instead of going online.
const DEPS = fileURLToPath(new URL('../fixtures/package/deps/', import.meta.url));
const TEMPLATES = fileURLToPath(new URL('../../templates/', import.meta.url));
const NPM_OFFLINE = { npm_config_registry: 'http://127.0.0.1:9', npm_config_fetch_retries: '0' };
const savedEnv = Object.fromEntries(Object.keys(NPM_OFFLINE).map((key) => [key, process.env[key]]));
beforeAll(() => {
  Object.assign(process.env, NPM_OFFLINE);
});
afterAll(() => {
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

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

async function zipNames(zipPath: string): Promise<string[]> {
  return (await readZipEntries(zipPath)).map((entry) => entry.name);
}

/** A sample API Gateway (REST, proxy integration) event. */
const EVENT = {
  resource: '/{proxy+}',
  path: '/hello',
  httpMethod: 'GET',
  headers: { Accept: 'text/html' },
  queryStringParameters: { name: 'bam' },
  pathParameters: { proxy: 'hello' },
  requestContext: { stage: 'bam', requestId: 'test-request' },
  body: null,
  isBase64Encoded: false,
};

/**
 * What Lambda does: unzip elsewhere, load index.* in a fresh Node from an ES module (the runtime's
 * own; `node -e` would lend the bundle its global __dirname), call handler with an event.
 */
async function runUnzipped(zipPath: string, entry: string): Promise<{ statusCode: number; body: string }> {
  const dir = join(world.home, `unpacked-${Math.random().toString(36).slice(2)}`);
  for (const file of await readZipEntries(zipPath)) {
    await mkdir(join(dir, file.name, '..'), { recursive: true });
    await writeFile(join(dir, file.name), file.content);
  }
  const runner = `${dir}-runtime.mjs`;
  await writeFile(runner, `const m = await import(${JSON.stringify(join(dir, entry))});\nprocess.stdout.write(JSON.stringify(await m.handler(${JSON.stringify(EVENT)})));\n`);
  const run = spawnSync(process.execPath, [runner], { cwd: world.home, encoding: 'utf8', env: { PATH: process.env.PATH } });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as { statusCode: number; body: string };
}

describe('packageFunction bundles with esbuild', () => {
  it('bundles a .ts handler with a local import, an npm package and a tsconfig paths alias into one index.mjs that answers an API Gateway event', async () => {
    await write('package.json', JSON.stringify({ dependencies: { 'left-pad-local': `file:${DEPS}left-pad-local` } }));
    // Above the function's folder, with a comment and a trailing comma as tsconfig allows.
    await write('tsconfig.json', '{\n  // shared settings\n  "compilerOptions": { "strict": true, "baseUrl": ".", "paths": { "@shared/*": ["./api/shared/*"] }, },\n}\n');
    await write('api/index.ts', [
      '// description: Greets, typed',
      "import pad from 'left-pad-local';",
      "import { greet } from './lib/greet';",
      "import { shout } from '@shared/shout';",
      'interface ApiEvent { queryStringParameters: { name?: string } | null }',
      'export const handler = async (event: ApiEvent): Promise<{ statusCode: number; body: string }> =>',
      "  ({ statusCode: 200, body: pad(shout(greet(event.queryStringParameters?.name ?? 'nobody')), 12) });",
    ].join('\n'));
    await write('api/lib/greet.ts', 'export const greet = (name: string): string => `hi ${name}`;\n');
    await write('api/shared/shout.ts', 'export const shout = (text: string): string => text.toUpperCase();\n');

    const result = await packageFunction('api', { cwd: world.cwd, store: world.store, reporter: world.reporter });

    expect(result.bundled).toBe(true);
    expect(result.description).toBe('Greets, typed');
    expect(result.dependencies).toEqual({ 'left-pad-local': `file:${DEPS}left-pad-local` });
    // One file: the TypeScript, the helper, the alias target and the package are all inside it.
    expect(await zipNames(result.zipPath)).toEqual(['index.mjs']);
    expect(await runUnzipped(result.zipPath, 'index.mjs')).toEqual({ statusCode: 200, body: '      HI BAM' });
    // The map stays beside the zip in staging, names the .ts sources, and the bundle does not point at it.
    expect(result.sourceMapPath).toBe(join(result.stagingDir, 'api.map'));
    const map = JSON.parse(await readFile(result.sourceMapPath!, 'utf8')) as { sources: string[] };
    expect(map.sources).toEqual(expect.arrayContaining(['../index.ts', '../lib/greet.ts', '../shared/shout.ts']));
    const bundle = (await readZipEntries(result.zipPath))[0]!.content.toString('utf8');
    expect(bundle).not.toContain('sourceMappingURL');
    expect(bundle).not.toContain(world.cwd); // bundled from the staged copy, alias included
  });

  it('writes index.js (CommonJS) for CommonJS and .cts sources, index.mjs for ES modules, and each runs', async () => {
    await write('package.json', JSON.stringify({ dependencies: { 'left-pad-local': `file:${DEPS}left-pad-local`, 'uses-builtin': `file:${DEPS}uses-builtin` } }));
    await write('cjs.js', "const pad = require('left-pad-local');\nexports.handler = async (event) => ({ statusCode: 200, body: pad(event.path, 7) });\n");
    await write('cts.cts', "import pad = require('left-pad-local');\nexport const handler = async (event: { path: string }) => ({ statusCode: 200, body: pad(event.path, 8) });\n");
    await write('esm.mjs', "import pad from 'left-pad-local';\nimport usesBuiltin from 'uses-builtin';\nexport const handler = async (event) => ({ statusCode: 200, body: pad(event.path, 9) + usesBuiltin() });\n");

    const cjs = await packageFunction('cjs', { cwd: world.cwd, store: world.store });
    expect(await zipNames(cjs.zipPath)).toEqual(['index.js']);
    expect((await runUnzipped(cjs.zipPath, 'index.js')).body).toBe(' /hello');
    const cts = await packageFunction('cts', { cwd: world.cwd, store: world.store });
    expect(await zipNames(cts.zipPath)).toEqual(['index.js']);
    expect((await runUnzipped(cts.zipPath, 'index.js')).body).toBe('  /hello');
    const esm = await packageFunction('esm', { cwd: world.cwd, store: world.store });
    expect(await zipNames(esm.zipPath)).toEqual(['index.mjs']);
    expect((await runUnzipped(esm.zipPath, 'index.mjs')).body).toBe('   /hellofunction');
    // What bam get then bam redeploy do: the deployed bundle, bundled again, still runs.
    await write('again/index.mjs', (await readZipEntries(esm.zipPath))[0]!.content.toString('utf8'));
    const again = await packageFunction('again', { cwd: world.cwd, store: world.store });
    expect((await runUnzipped(again.zipPath, 'index.mjs')).body).toBe('   /hellofunction');
  });

  it("gives CommonJS code in an ES module bundle __dirname and __filename, and ES modules in a CommonJS bundle import.meta: the bundle's folder and file", async () => {
    // What each handler reports: a local module's names for its own place, relative to the bundle's folder as the handler sees it.
    await write('esmfn/where.cjs', "const path = require('node:path');\nexports.where = path.join(__dirname, 'data.txt');\nexports.file = __filename;\n");
    await write('esmfn/index.mjs', [
      "import { dirname, relative } from 'node:path';",
      "import { fileURLToPath } from 'node:url';",
      "import { where, file } from './where.cjs';",
      "const __dirname = 'mine';",
      'const folder = dirname(fileURLToPath(import.meta.url));',
      'export const handler = async () => ({ statusCode: 200, body: [relative(folder, where), relative(folder, file), __dirname].join() });',
    ].join('\n'));
    await write('cjsfn/meta.mjs', "import { fileURLToPath } from 'node:url';\nexport const here = fileURLToPath(import.meta.url);\nexport const dir = import.meta.dirname;\nexport const file = import.meta.filename;\n");
    await write('cjsfn/index.js', [
      "const { relative } = require('node:path');",
      "const meta = require('./meta.mjs');",
      'exports.handler = async () => ({ statusCode: 200, body: [meta.here, meta.dir, meta.file].map((path) => relative(__dirname, path)).join() });',
    ].join('\n'));

    const esm = await packageFunction('esmfn', { cwd: world.cwd, store: world.store });
    expect(await zipNames(esm.zipPath)).toEqual(['index.mjs']);
    expect(await runUnzipped(esm.zipPath, 'index.mjs')).toEqual({ statusCode: 200, body: 'data.txt,index.mjs,mine' });
    const cjs = await packageFunction('cjsfn', { cwd: world.cwd, store: world.store });
    expect(await zipNames(cjs.zipPath)).toEqual(['index.js']);
    expect(await runUnzipped(cjs.zipPath, 'index.js')).toEqual({ statusCode: 200, body: 'index.js,,index.js' });
    // A fetched ES module bundle bundled again (bam get, then bam redeploy) keeps them.
    await write('again/index.mjs', (await readZipEntries(esm.zipPath))[0]!.content.toString('utf8'));
    const again = await packageFunction('again', { cwd: world.cwd, store: world.store });
    expect(await runUnzipped(again.zipPath, 'index.mjs')).toEqual({ statusCode: 200, body: 'data.txt,index.mjs,mine' });
  });

  it("resolves a package's exports as Node does, so the bundle runs the file --no-bundle runs (not the bundlers' \"module\" one)", async () => {
    await write('package.json', JSON.stringify({ dependencies: { 'conditions-pick': `file:${DEPS}conditions-pick` } }));
    await write('pick.mjs', "import picked from 'conditions-pick';\nexport const handler = async () => ({ statusCode: 200, body: picked });\n");
    const bundled = await packageFunction('pick', { cwd: world.cwd, store: world.store });
    expect(await runUnzipped(bundled.zipPath, 'index.mjs')).toEqual({ statusCode: 200, body: 'node' });
    const plain = await packageFunction('pick', { cwd: world.cwd, store: world.store, bundle: false });
    expect(await runUnzipped(plain.zipPath, 'index.mjs')).toEqual({ statusCode: 200, body: 'node' });
  });

  it('lists in node_modules only the packages it ships: an optional one the code only tries to load, not installed, is not', async () => {
    await write('package.json', JSON.stringify({ dependencies: { 'left-pad-local': `file:${DEPS}left-pad-local`, 'tries-optional': `file:${DEPS}tries-optional` } }));
    await write('optional.js', "const pad = require('left-pad-local');\nconst extra = require('tries-optional');\nexports.handler = async () => ({ statusCode: 200, body: pad(extra(), 6) });\n");
    const result = await packageFunction('optional', { cwd: world.cwd, store: world.store });
    expect(result.external).toEqual([]);
    expect(await zipNames(result.zipPath)).toEqual(['index.js']);
    expect(await runUnzipped(result.zipPath, 'index.js')).toEqual({ statusCode: 200, body: '  null' });
  });

  it('gives modules in subfolders their own __dirname, __filename and import.meta, so their files beside them are found as with --no-bundle', async () => {
    await write('site/lib/cjs/read.js', "const { readFileSync } = require('node:fs');\nconst { join } = require('node:path');\nmodule.exports = () => readFileSync(join(__dirname, 'page.txt'), 'utf8').trim();\n");
    await write('site/lib/cjs/page.txt', 'from cjs');
    await write('site/lib/esm/read.ts', [
      "import { readFileSync } from 'node:fs';",
      "import { dirname, join } from 'node:path';",
      "import { fileURLToPath } from 'node:url';",
      'const here = dirname(fileURLToPath(import.meta.url));',
      "export const read = (): string => [readFileSync(new URL('./page.txt', import.meta.url), 'utf8'), readFileSync(join(here, 'page.txt'), 'utf8'), import.meta.filename.endsWith('/lib/esm/read.js')].join(' ');",
    ].join('\n'));
    await write('site/lib/esm/page.txt', 'from esm');
    await write('site/index.mjs', "import readCjs from './lib/cjs/read.js';\nimport { read } from './lib/esm/read.ts';\nexport const handler = async () => ({ statusCode: 200, body: `${readCjs()} | ${read()}` });\n");

    const result = await packageFunction('site', { cwd: world.cwd, store: world.store });
    expect(await zipNames(result.zipPath)).toEqual(['index.mjs', 'lib/cjs/page.txt', 'lib/esm/page.txt']);
    expect(await runUnzipped(result.zipPath, 'index.mjs')).toEqual({ statusCode: 200, body: 'from cjs | from esm from esm true' });

    // In a CommonJS bundle too.
    await write('cjsite/lib/read.js', await readFile(join(world.cwd, 'site/lib/cjs/read.js'), 'utf8'));
    await write('cjsite/lib/page.txt', 'from a commonjs bundle');
    await write('cjsite/index.js', "const read = require('./lib/read.js');\nexports.handler = async () => ({ statusCode: 200, body: read() });\n");
    const cjs = await packageFunction('cjsite', { cwd: world.cwd, store: world.store });
    expect(await zipNames(cjs.zipPath)).toEqual(['index.js', 'lib/page.txt']);
    expect(await runUnzipped(cjs.zipPath, 'index.js')).toEqual({ statusCode: 200, body: 'from a commonjs bundle' });
  });

  it("compiles TypeScript's legacy decorators when tsconfig turns experimentalDecorators on (NestJS, TypeORM), parameter decorators too", async () => {
    await write('deco/tsconfig.json', '{ "compilerOptions": { "experimentalDecorators": true } }');
    await write('deco/index.ts', [
      'const seen: string[] = [];',
      'function Tag(name: string) { return (target: object, key?: string | symbol, index?: number | PropertyDescriptor) => { seen.push(`${name}:${typeof target}:${String(key)}:${typeof index}`); }; }',
      "@Tag('class') class Greeter { greet(@Tag('param') name: string) { return `hi ${name}`; } }",
      "export const handler = async () => ({ statusCode: 200, body: `${new Greeter().greet('bam')} ${seen.join(' ')}` });",
    ].join('\n'));
    const result = await packageFunction('deco', { cwd: world.cwd, store: world.store });
    // Legacy semantics: a parameter decorator gets (prototype, method, index); a class one, (constructor).
    expect(await runUnzipped(result.zipPath, 'index.mjs')).toEqual({ statusCode: 200, body: 'hi bam param:object:greet:number class:function:undefined:undefined' });
  });

  it("writes decorator metadata (emitDecoratorMetadata, which NestJS injects by) with the project's own TypeScript, bundled and with --no-bundle; without TypeScript it says to install it", async () => {
    await write('meta/tsconfig.json', '{ "compilerOptions": { "experimentalDecorators": true, "emitDecoratorMetadata": true } }');
    await write('meta/greeter.ts', 'export class Greeter { greet(name: string) { return `hi ${name}`; } }\n');
    await write('meta/index.ts', [
      "import { Greeter } from './greeter';",
      '// What reflect-metadata records, kept small: the constructor parameter types TypeScript wrote.',
      'const recorded = new Map<unknown, unknown>();',
      "(Reflect as unknown as { metadata: unknown }).metadata = (key: string, value: unknown) => (target: unknown) => { if (key === 'design:paramtypes') recorded.set(target, value); };",
      'const Injectable = (): ClassDecorator => () => {};',
      '@Injectable() class Controller { constructor(readonly greeter: Greeter, readonly times: number) {} }',
      'export const handler = async () => ({ statusCode: 200, body: (recorded.get(Controller) as Function[]).map((type) => type.name).join() });',
    ].join('\n'));
    const failed = await packageFunction('meta', { cwd: world.cwd, store: world.store }).then(() => '', (err: Error) => err.message);
    expect(failed).toBe(`${join(world.cwd, 'meta', 'tsconfig.json')} sets emitDecoratorMetadata, which esbuild cannot write (NestJS and TypeORM need it), and bam found no TypeScript in your project to write it. Install it (npm install -D typescript) and try again.`);

    // The project's TypeScript (here, bam's own).
    await mkdir(join(world.cwd, 'node_modules'), { recursive: true });
    await symlink(fileURLToPath(new URL('../../node_modules/typescript', import.meta.url)), join(world.cwd, 'node_modules', 'typescript'), 'dir');
    const bundled = await packageFunction('meta', { cwd: world.cwd, store: world.store });
    expect(await runUnzipped(bundled.zipPath, 'index.mjs')).toEqual({ statusCode: 200, body: 'Greeter,Number' });
    const plain = await packageFunction('meta', { cwd: world.cwd, store: world.store, bundle: false });
    expect(await runUnzipped(plain.zipPath, 'index.js')).toEqual({ statusCode: 200, body: 'Greeter,Number' });
  });

  it("leaves a package's import of a package that is not installed to run time, as Node does, and says so", async () => {
    await write('package.json', JSON.stringify({ dependencies: { 'optional-driver': `file:${DEPS}optional-driver` } }));
    await write('driver.mjs', "import driver from 'optional-driver';\nexport const handler = async () => { let failed = ''; try { driver.connect(); } catch (err) { failed = err.code; } return { statusCode: 200, body: `${driver.name} ${failed}` }; };\n");

    const result = await packageFunction('driver', { cwd: world.cwd, store: world.store, reporter: world.reporter });

    expect(result.external).toEqual([]);
    expect(await zipNames(result.zipPath)).toEqual(['index.mjs']);
    // Reached, the require fails as it would with --no-bundle.
    expect(await runUnzipped(result.zipPath, 'index.mjs')).toEqual({ statusCode: 200, body: 'optional-driver MODULE_NOT_FOUND' });
    expect(world.reporter.text('info')).toContain('Left to load at run time (imported by packages, not installed): not-installed-driver');
  });

  it('keeps a package whose code finds files beside itself out of the bundle: it ships in node_modules with its files, and says so', async () => {
    await write('package.json', JSON.stringify({ dependencies: { 'reads-own-file': `file:${DEPS}reads-own-file`, 'left-pad-local': `file:${DEPS}left-pad-local` } }));
    await write('beside.mjs', "import greeting from 'reads-own-file';\nimport pad from 'left-pad-local';\nexport const handler = async () => ({ statusCode: 200, body: pad(greeting(), 20) });\n");

    const result = await packageFunction('beside', { cwd: world.cwd, store: world.store, reporter: world.reporter });

    expect(result.external).toEqual(['reads-own-file']);
    expect(await zipNames(result.zipPath)).toEqual(['index.mjs', 'node_modules/reads-own-file/greeting.txt', 'node_modules/reads-own-file/index.js', 'node_modules/reads-own-file/package.json']);
    expect(await runUnzipped(result.zipPath, 'index.mjs')).toEqual({ statusCode: 200, body: '   hello from beside' });
    expect(world.reporter.text('info')).toContain('Kept in node_modules, not bundled (their code finds files beside itself): reads-own-file');
  });

  it('keeps a native addon out of the bundle: it and its dependencies ship in node_modules, and the bundle requires it from there', async () => {
    await write('package.json', JSON.stringify({ dependencies: { 'native-fixture': `file:${DEPS}native-fixture` } }));
    await write('addon.mjs', "import native from 'native-fixture';\nexport const handler = async () => ({ statusCode: 200, body: native() });\n");

    const result = await packageFunction('addon', { cwd: world.cwd, store: world.store });

    expect(result.external).toEqual(['native-fixture']);
    expect(await zipNames(result.zipPath)).toEqual([
      'index.mjs',
      'node_modules/left-pad-local/index.js',
      'node_modules/left-pad-local/package.json',
      'node_modules/native-fixture/index.js',
      'node_modules/native-fixture/package.json',
      'node_modules/native-fixture/prebuilds/linux-x64/fixture.node',
    ]);
    expect((await readZipEntries(result.zipPath))[0]!.content.toString('utf8')).toMatch(/from ?"native-fixture"/);
    if (process.platform === 'linux' && process.arch === 'x64') expect((await runUnzipped(result.zipPath, 'index.mjs')).body).toBe('  native');
  });

  it('installs for Lambda\'s platform: a package with per-platform optional dependencies ships the linux one of the function\'s architecture, whatever the host', async () => {
    await write('package.json', JSON.stringify({ dependencies: { '@bam-fixture/plat': `file:${DEPS}plat` } }));
    await write('plat.js', "const plat = require('@bam-fixture/plat');\nexports.handler = async () => ({ statusCode: 200, body: plat() });\n");

    const x64 = await packageFunction('plat', { cwd: world.cwd, store: world.store });
    expect(x64.external).toEqual(['@bam-fixture/plat']);
    expect((await zipNames(x64.zipPath)).filter((name) => name.endsWith('index.js'))).toEqual([
      'index.js',
      'node_modules/@bam-fixture/plat-linux-x64/index.js',
      'node_modules/@bam-fixture/plat/index.js',
    ]);
    // arm64 is not this machine's architecture (nor is darwin ever installed): npm was told Lambda's.
    const arm64 = await packageFunction('plat', { cwd: world.cwd, store: world.store, cpu: 'arm64' });
    expect((await zipNames(arm64.zipPath)).filter((name) => name.includes('plat-'))).toEqual([
      'node_modules/@bam-fixture/plat-linux-arm64/index.js',
      'node_modules/@bam-fixture/plat-linux-arm64/package.json',
    ]);
  });

  it('ships the html template\'s index.html, main.css and application.js beside the bundle, and the page is served', async () => {
    // The JavaScript template: its typed twin index.ts stays behind (test/templates/typescript.test.ts packages that one).
    await cp(join(TEMPLATES, 'html'), join(world.cwd, 'page'), { recursive: true, filter: (path) => !path.endsWith('.ts') });

    const result = await packageFunction('page', { cwd: world.cwd, store: world.store });

    expect(await zipNames(result.zipPath)).toEqual(['application.js', 'index.html', 'index.js', 'main.css']);
    const answer = await runUnzipped(result.zipPath, 'index.js');
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toContain(await readFile(join(TEMPLATES, 'html', 'main.css'), 'utf8'));
    expect(answer.body).toContain('<code>/hello</code>');
  });

  it('--external and "bam": { "external" } ship the named packages in node_modules instead of the bundle', async () => {
    await write('package.json', JSON.stringify({
      dependencies: { 'left-pad-local': `file:${DEPS}left-pad-local`, '@bam-fixture/greet': `file:${DEPS}scoped-greet` },
      bam: { external: ['@bam-fixture/greet'] },
    }));
    // Node's own modules, bare or node:, are external too but never listed or shipped.
    await write('ext.ts', "import pad from 'left-pad-local';\nimport { greet } from '@bam-fixture/greet';\nimport { EOL } from 'os';\nimport { sep } from 'node:path';\nexport const handler = async () => ({ statusCode: 200, body: pad(greet('x'), 9) + EOL.trim() + sep.replace('/', '') });\n");

    const result = await packageFunction('ext', { cwd: world.cwd, store: world.store, external: ['left-pad-local'] });

    expect(result.external).toEqual(['@bam-fixture/greet', 'left-pad-local']);
    const names = await zipNames(result.zipPath);
    expect(names.filter((name) => /^node_modules\/(os|path)\//.test(name))).toEqual([]);
    expect(names).toContain('node_modules/left-pad-local/index.js');
    expect(names).toContain('node_modules/@bam-fixture/greet/index.js');
    const bundle = (await readZipEntries(result.zipPath)).find((e) => e.name === 'index.mjs')!.content.toString('utf8');
    expect(bundle).toMatch(/from ?"left-pad-local"/);
    expect(bundle).toMatch(/from ?"@bam-fixture\/greet"/);
    expect((await runUnzipped(result.zipPath, 'index.mjs')).body).toBe('  hello x');
  });

  it('--no-bundle compiles TypeScript file by file, ships package.json and node_modules, and runs', async () => {
    await write('package.json', JSON.stringify({ dependencies: { 'left-pad-local': `file:${DEPS}left-pad-local` } }));
    await write('plain/index.ts', "import pad from 'left-pad-local';\nimport { twice } from './twice';\nexport const handler = async (event: { path: string }) => ({ statusCode: 200, body: pad(twice(event.path), 14) });\n");
    await write('plain/twice.ts', 'export const twice = (text: string): string => text + text;\n');
    await write('plain/data.txt', 'read at run time');

    const result = await packageFunction('plain', { cwd: world.cwd, store: world.store, bundle: false });

    expect(result.bundled).toBe(false);
    expect(result.sourceMapPath).toBeUndefined();
    expect(await zipNames(result.zipPath)).toEqual([
      'data.txt',
      'index.js',
      'node_modules/left-pad-local/index.js',
      'node_modules/left-pad-local/package.json',
      'package.json',
      'twice.js',
    ]);
    expect((await runUnzipped(result.zipPath, 'index.js')).body).toBe('  /hello/hello');
  });

  it('a single-file function ships the modules it imports from its folder (and theirs, with their packages): bundled, and as files with --no-bundle', async () => {
    await write('package.json', JSON.stringify({ dependencies: { 'left-pad-local': `file:${DEPS}left-pad-local` } }));
    await write('solo.ts', "import { label } from './parts/label';\nexport const handler = async (event: { path: string }) => ({ statusCode: 200, body: label(event.path) });\n");
    await write('parts/label.ts', "import pad from 'left-pad-local';\nimport { twice } from '../util/twice.js';\nexport const label = (text: string): string => pad(twice(text), 14);\n");
    await write('util/twice.ts', 'export const twice = (text: string): string => text + text;\n');
    await write('util/unused.ts', 'export const unused = 1;\n');

    const bundled = await packageFunction('solo', { cwd: world.cwd, store: world.store });
    expect(bundled.dependencies).toEqual({ 'left-pad-local': `file:${DEPS}left-pad-local` });
    expect(await zipNames(bundled.zipPath)).toEqual(['index.mjs']);
    expect((await runUnzipped(bundled.zipPath, 'index.mjs')).body).toBe('  /hello/hello');

    const plain = await packageFunction('solo', { cwd: world.cwd, store: world.store, bundle: false });
    expect((await zipNames(plain.zipPath)).filter((name) => !name.startsWith('node_modules/'))).toEqual(['index.js', 'package.json', 'parts/label.js', 'util/twice.js']);
    expect((await runUnzipped(plain.zipPath, 'index.js')).body).toBe('  /hello/hello');
  });

  it("a single-file function rebuilds when a module it imports changes, and picks up a module newly imported; an import outside its folder, or of its own entry's staged name, is refused", async () => {
    await write('solo.mjs', "import { word } from './lib/word.mjs';\nexport const handler = async () => ({ statusCode: 200, body: word });\n");
    await write('lib/word.mjs', "export const word = 'one';\n");
    const first = await packageFunction('solo', { cwd: world.cwd, store: world.store, reporter: world.reporter });
    expect((await runUnzipped(first.zipPath, 'index.mjs')).body).toBe('one');

    world.reporter.events.length = 0;
    await packageFunction('solo', { cwd: world.cwd, store: world.store, reporter: world.reporter });
    expect(world.reporter.text('info')).toContain('reusing its zip');

    // Only the imported module changes (same size: its date tells).
    await write('lib/word.mjs', "export const word = 'two';\n");
    await utimes(join(world.cwd, 'lib/word.mjs'), new Date(), new Date(Date.now() + 5000));
    world.reporter.events.length = 0;
    const second = await packageFunction('solo', { cwd: world.cwd, store: world.store, reporter: world.reporter });
    expect(world.reporter.text('info')).not.toContain('reusing its zip');
    expect((await runUnzipped(second.zipPath, 'index.mjs')).body).toBe('two');

    // The module now imports another one: found, bundled, and watched by the next stamp.
    await write('lib/other.mjs', "export const other = '!';\n");
    await write('lib/word.mjs', "import { other } from './other.mjs';\nexport const word = 'three' + other;\n");
    const third = await packageFunction('solo', { cwd: world.cwd, store: world.store });
    expect((await runUnzipped(third.zipPath, 'index.mjs')).body).toBe('three!');
    await write('lib/other.mjs', "export const other = '?';\n");
    await utimes(join(world.cwd, 'lib/other.mjs'), new Date(), new Date(Date.now() + 10000));
    const fourth = await packageFunction('solo', { cwd: world.cwd, store: world.store });
    expect((await runUnzipped(fourth.zipPath, 'index.mjs')).body).toBe('three?');

    await mkdir(join(world.cwd, 'app'));
    await write('shared.mjs', 'export const shared = 1;\n');
    await write('app/away.mjs', "import { shared } from '../shared.mjs';\nexport const handler = async () => shared;\n");
    await expect(packageFunction('away', { cwd: world.cwd, store: world.store, src: 'app/away.mjs' })).rejects.toThrow("app/away.mjs imports '../shared.mjs', which is not among the function's files");

    await write('named.mjs', "import { x } from './index.mjs';\nexport const handler = async () => x;\n");
    await write('index.mjs', 'export const x = 1;\n');
    await expect(packageFunction('named', { cwd: world.cwd, store: world.store })).rejects.toThrow("named.mjs imports './index.mjs', which would be staged as index.mjs, the name of the function's own entry. Rename that file, or make the function a folder named/ with an index file.");
  });

  it('is deterministic: a rebuild from scratch (new staging, new install) gives the same bytes', async () => {
    await write('package.json', JSON.stringify({ dependencies: { 'native-fixture': `file:${DEPS}native-fixture`, 'left-pad-local': `file:${DEPS}left-pad-local` } }));
    await write('same/index.ts', "import pad from 'left-pad-local';\nimport native from 'native-fixture';\nexport const handler = async () => pad(native(), 3);\n");
    await write('same/style.css', 'body{}');

    const first = await packageFunction('same', { cwd: world.cwd, store: world.store });
    const bytes = await readFile(first.zipPath);
    const again = await packageFunction('same', { cwd: world.cwd, store: world.store });
    expect(again.codeSha256).toBe(first.codeSha256);
    await rm(join(world.home, 'staging'), { recursive: true });
    await rm(join(world.home, 'cache'), { recursive: true });
    const rebuilt = await packageFunction('same', { cwd: world.cwd, store: world.store });
    expect((await readFile(rebuilt.zipPath)).equals(bytes)).toBe(true);
  });

  it('reports a build error as file:line:column in the user\'s folder', async () => {
    await write('bad/index.ts', "import { missing } from './nowhere.js';\nexport const handler = async () => missing;\n");
    await write('bad/nowhere.ts', 'export const other = 1;\n');
    await expect(packageFunction('bad', { cwd: world.cwd, store: world.store })).rejects.toThrow(/^bad\/index\.ts:1:10: No matching export in "nowhere\.ts" for import "missing"/);

    await write('typo.ts', 'export const handler = async (event: { a: number ) => 1;\n');
    await expect(packageFunction('typo', { cwd: world.cwd, store: world.store })).rejects.toThrow(/^typo\.ts:1:50: Unexpected "\)"\. Fix the syntax error/);
  });
});

describe('fast packaging', () => {
  it('staging copies only what changed and removes what is gone', async () => {
    await write('site/index.js', "exports.handler = async () => require('./lib/a');\n");
    await write('site/lib/a.js', 'module.exports = 1;\n');
    await write('site/lib/b.txt', 'bbb');
    const first = await packageFunction('site', { cwd: world.cwd, store: world.store });
    const staged = (path: string) => stat(join(first.stagingDir, path));
    const before = { a: await staged('lib/a.js'), b: await staged('lib/b.txt') };

    await write('site/lib/b.txt', 'ccc'); // same size, new content
    await rm(join(world.cwd, 'site', 'lib', 'a.js'));
    await write('site/index.js', 'exports.handler = async () => 2;\n');
    await packageFunction('site', { cwd: world.cwd, store: world.store });
    expect(await readFile(join(first.stagingDir, 'lib', 'b.txt'), 'utf8')).toBe('ccc');
    await expect(staged('lib/a.js')).rejects.toThrow(/ENOENT/);

    // Unchanged files are not written again (their inode change time would move).
    const quiet = await staged('lib/b.txt');
    await packageFunction('site', { cwd: world.cwd, store: world.store });
    expect((await staged('lib/b.txt')).ctimeMs).toBe(quiet.ctimeMs);
    expect(before.b.ino).toBe(quiet.ino);
  });

  it('ships a package\'s large required JSON beside the bundle, read only when required; an ES import of one as text; the user\'s own JSON as code', async () => {
    const table = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`type/${i}`, { extensions: [`e${i}`], compressible: i % 2 === 0 }]));
    await write('tables/package.json', JSON.stringify({ name: 'bam-tables', version: '1.0.0', main: 'index.js' }));
    // rare.json is required only when asked for, like iconv-lite's code pages: a broken one harms no one until then.
    await write('tables/index.js', "module.exports = { table: require('./table.json'), small: require('./small.json'), rare: () => require('./rare.json') };\n");
    await write('tables/table.json', `\uFEFF${JSON.stringify(table, null, 2)}`);
    await write('tables/rare.json', `{ "rare": "${'r'.repeat(11 * 1024)}" }`);
    await write('tables/small.json', '{ "small": true }');
    await write('esm-table/package.json', JSON.stringify({ name: 'bam-esm-table', version: '1.0.0', type: 'module', exports: './index.js' }));
    await write('esm-table/index.js', "import table from './table.json' with { type: 'json' };\nexport const count = Object.keys(table).length;\n");
    await write('esm-table/table.json', JSON.stringify(Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`esm${i}`, i]))));
    await write('package.json', JSON.stringify({ type: 'module', dependencies: { 'bam-tables': 'file:./tables', 'bam-esm-table': 'file:./esm-table' } }));
    await write('json/mine.json', JSON.stringify({ mine: 'x'.repeat(12 * 1024) }));
    await write('json/index.mjs', [
      "import tables from 'bam-tables';",
      "import { count } from 'bam-esm-table';",
      "import { mine } from './mine.json';",
      'export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify([Object.keys(tables.table).length, tables.table[\'type/599\'].extensions[0], tables.small.small, mine.length, count, event.queryStringParameters.name === \'rare\' ? tables.rare().rare.length : 0]) });',
      '',
    ].join('\n'));
    const result = await packageFunction('json', { cwd: world.cwd, store: world.store });
    const entries = await readZipEntries(result.zipPath);
    expect(entries.map((entry) => entry.name)).toEqual(['index.mjs', 'node_modules/bam-tables/rare.json', 'node_modules/bam-tables/table.json']);
    expect(entries[2]!.content.toString('utf8')).toBe(await readFile(join(world.cwd, 'tables', 'table.json'), 'utf8'));
    const bundle = entries[0]!.content.toString('utf8');
    expect(bundle).not.toContain('"extensions":["e599"]'); // table.json is beside it
    expect(bundle).not.toContain(world.home); // named by its path in node_modules, wherever staging is
    expect(bundle.match(/JSON\.parse\(/g)).toHaveLength(1); // the ES import's table as text; small.json and mine.json are code
    expect(bundle).toContain('"./node_modules/bam-tables/table.json"');
    expect((await runUnzipped(result.zipPath, 'index.mjs')).body).toBe(JSON.stringify([600, 'e599', true, 12 * 1024, 1500, 0]));

    // Read only when required: without rare.json the function still starts and answers, until the code asks for it.
    const dir = join(world.home, 'no-rare');
    for (const file of entries.filter((entry) => entry.name !== 'node_modules/bam-tables/rare.json')) {
      await mkdir(join(dir, file.name, '..'), { recursive: true });
      await writeFile(join(dir, file.name), file.content);
    }
    const answer = (name: string) => spawnSync(process.execPath, ['-e', `import(${JSON.stringify(join(dir, 'index.mjs'))}).then((m) => m.handler({ queryStringParameters: { name: ${JSON.stringify(name)} } })).then((r) => process.stdout.write(r.body), (e) => process.stdout.write(e.code))`], { cwd: world.home, encoding: 'utf8' }).stdout;
    expect(answer('common')).toBe(JSON.stringify([600, 'e599', true, 12 * 1024, 1500, 0]));
    expect(answer('rare')).toBe('MODULE_NOT_FOUND');

    // bam get, then deploy: the fetched folder holds the bundle and, in node_modules, the JSON it
    // requires; bundled again, the zip still ships them (and runs), and a missing one is named.
    for (const file of entries) await write(join('fetched', file.name), file.content.toString('utf8'));
    const again = await packageFunction('fetched', { cwd: world.cwd, store: world.store });
    expect(await zipNames(again.zipPath)).toEqual(['index.mjs', 'node_modules/bam-tables/rare.json', 'node_modules/bam-tables/table.json']);
    expect((await runUnzipped(again.zipPath, 'index.mjs')).body).toBe(JSON.stringify([600, 'e599', true, 12 * 1024, 1500, 0]));
    const plain = await packageFunction('fetched', { cwd: world.cwd, store: world.store, bundle: false });
    expect(await zipNames(plain.zipPath)).toEqual(['index.mjs', 'node_modules/bam-tables/rare.json', 'node_modules/bam-tables/table.json', 'package.json']);
    await rm(join(world.cwd, 'fetched', 'node_modules', 'bam-tables', 'rare.json'));
    await expect(packageFunction('fetched', { cwd: world.cwd, store: world.store })).rejects.toThrow(
      `requires ./node_modules/bam-tables/rare.json (a package's JSON that bam ships beside a bundle), and ${join(world.cwd, 'fetched', 'node_modules', 'bam-tables', 'rare.json')} is missing. Fetch the function again with bam get fetched, or deploy it from its sources.`,
    );
  });

  it('ships a CommonJS bundle\'s large JSON beside it too, required relative to the bundle wherever it is loaded from', async () => {
    const table = Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`key${i}`, i]));
    await write('tables/package.json', JSON.stringify({ name: 'bam-tables', version: '1.0.0', main: 'index.js' }));
    await write('tables/index.js', "module.exports = require('./data/table.json');\n");
    await write('tables/data/table.json', JSON.stringify(table));
    await write('package.json', JSON.stringify({ dependencies: { 'bam-tables': 'file:./tables' } }));
    await write('cjs.js', "const table = require('bam-tables');\nexports.handler = async () => ({ statusCode: 200, body: String(table.key1499) });\n");
    const result = await packageFunction('cjs', { cwd: world.cwd, store: world.store });
    expect(await zipNames(result.zipPath)).toEqual(['index.js', 'node_modules/bam-tables/data/table.json']);
    expect((await runUnzipped(result.zipPath, 'index.js')).body).toBe('1499');
  });

  it('stages hard links to the user\'s files, never writes through one, and ships what a symlink points to', async () => {
    await write('site/index.js', "exports.handler = async () => ({ statusCode: 200, body: require('fs').readFileSync(__dirname + '/page.txt', 'utf8') });\n");
    await write('site/page.txt', 'one');
    await write('shared/note.txt', 'linked');
    await symlink(join(world.cwd, 'shared', 'note.txt'), join(world.cwd, 'site', 'note.txt'));
    const first = await packageFunction('site', { cwd: world.cwd, store: world.store });
    const user = await stat(join(world.cwd, 'site', 'page.txt'));
    expect((await stat(join(first.stagingDir, 'page.txt'))).ino).toBe(user.ino);
    expect((await stat(join(first.stagingDir, 'note.txt'))).ino).toBe((await stat(join(world.cwd, 'shared', 'note.txt'))).ino);
    expect((await lstat(join(first.stagingDir, 'note.txt'))).isSymbolicLink()).toBe(false);
    expect((await readZipEntries(first.zipPath)).find((entry) => entry.name === 'note.txt')?.content.toString()).toBe('linked');

    // An editor that saves by renaming: the old file lives on elsewhere (a backup), and bam must not touch it.
    const backup = join(world.home, 'page.txt~');
    await rename(join(world.cwd, 'site', 'page.txt'), backup);
    await write('site/page.txt', 'two'); // same size, new file
    await utimes(join(world.cwd, 'site', 'page.txt'), user.atime, new Date(user.mtimeMs + 5000));
    const second = await packageFunction('site', { cwd: world.cwd, store: world.store });
    expect((await runUnzipped(second.zipPath, 'index.js')).body).toBe('two');
    expect(await readFile(backup, 'utf8')).toBe('one');
    expect((await stat(backup)).mtimeMs).toBe(user.mtimeMs);
    expect((await stat(join(second.stagingDir, 'page.txt'))).ino).toBe((await stat(join(world.cwd, 'site', 'page.txt'))).ino);
  });

  // tmpfs is another file system than the temporary folder's on most Linux machines: no hard links across.
  const otherDevice = existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(tmpdir()).dev;
  it.skipIf(!otherDevice)('copies into staging on another file system, and only what changed', async () => {
    const home = await mkdtemp(join('/dev/shm', 'bam-home-'));
    try {
      const store = openStore(home);
      await write('site/index.js', "exports.handler = async () => ({ statusCode: 200, body: require('fs').readFileSync(__dirname + '/page.txt', 'utf8') });\n");
      await write('site/page.txt', 'one');
      const first = await packageFunction('site', { cwd: world.cwd, store });
      const copy = await stat(join(first.stagingDir, 'page.txt'));
      expect(copy.ino).not.toBe((await stat(join(world.cwd, 'site', 'page.txt'))).ino);
      expect(copy.mtimeMs).toBeCloseTo((await stat(join(world.cwd, 'site', 'page.txt'))).mtimeMs, 0);
      await write('site/page.txt', 'two');
      const second = await packageFunction('site', { cwd: world.cwd, store });
      expect((await runUnzipped(second.zipPath, 'index.js')).body).toBe('two');
      expect((await stat(join(second.stagingDir, 'index.js'))).ctimeMs).toBe((await stat(join(first.stagingDir, 'index.js'))).ctimeMs);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('installs a dependency set once: a second function with the same set, and a package after the staging is gone, reuse bam\'s cache', async () => {
    await write('package.json', JSON.stringify({ dependencies: { 'left-pad-local': `file:${DEPS}left-pad-local` } }));
    await write('one.js', "exports.handler = async () => require('left-pad-local')('1', 2);\n");
    await write('two.js', "exports.handler = async () => require('left-pad-local')('2', 2);\n");

    await packageFunction('one', { cwd: world.cwd, store: world.store, reporter: world.reporter });
    await packageFunction('two', { cwd: world.cwd, store: world.store, reporter: world.reporter });
    await rm(join(world.home, 'staging'), { recursive: true }); // what bam delete does
    await packageFunction('one', { cwd: world.cwd, store: world.store, reporter: world.reporter });

    const npmRuns = world.reporter.events.filter((event) => event.text.startsWith('Running npm install'));
    expect(npmRuns).toHaveLength(1);
    expect(npmRuns[0]!.text).toContain(join(world.home, 'cache', 'modules'));
    expect(world.reporter.events.filter((event) => event.text.includes('reusing node_modules'))).toHaveLength(2);
  });

  it('reuses the last zip when nothing it was built from changed, and rebuilds when a file outside the folder that the bundle read (a paths target) changes', async () => {
    await write('tsconfig.json', '{ "compilerOptions": { "paths": { "@shared/*": ["./shared/*"] } } }');
    await write('shared/word.ts', "export const word = 'one';\n");
    await write('fn/index.ts', "import { word } from '@shared/word';\nexport const handler = async () => ({ statusCode: 200, body: word });\n");
    const first = await packageFunction('fn', { cwd: world.cwd, store: world.store, reporter: world.reporter });
    const zipInode = (await stat(first.zipPath)).ino;

    world.reporter.events.length = 0;
    const again = await packageFunction('fn', { cwd: world.cwd, store: world.store, reporter: world.reporter });
    expect(world.reporter.text('info')).toContain('Nothing changed since the last packaging: reusing its zip.');
    expect(again).toEqual(first);
    expect((await stat(again.zipPath)).ino).toBe(zipInode);

    await write('shared/word.ts', "export const word = 'two';\n");
    world.reporter.events.length = 0;
    const changed = await packageFunction('fn', { cwd: world.cwd, store: world.store, reporter: world.reporter });
    expect(world.reporter.text('info')).not.toContain('reusing its zip');
    expect(changed.codeSha256).not.toBe(first.codeSha256);
    expect((await runUnzipped(changed.zipPath, 'index.mjs')).body).toBe('two');
    // Another option is another build.
    expect((await packageFunction('fn', { cwd: world.cwd, store: world.store, bundle: false })).bundled).toBe(false);
  });

  it('rebuilds when the bam or esbuild that made the last zip is another version, and notices an edit that keeps the size through its date', async () => {
    await write('fn.mjs', "export const handler = async () => ({ statusCode: 200, body: 'one' });\n");
    const first = await packageFunction('fn', { cwd: world.cwd, store: world.store, reporter: world.reporter });
    const stampPath = join(first.stagingDir, '.bam-build', 'stamp.json');
    const stamp = JSON.parse(await readFile(stampPath, 'utf8')) as { tools: { bam: string; esbuild: string } };
    const bamVersion = (JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    expect(stamp.tools.bam).toBe(bamVersion);
    expect(stamp.tools.esbuild).toMatch(/^\d+\.\d+\.\d+/);

    for (const tools of [{ ...stamp.tools, esbuild: '0.0.1' }, { ...stamp.tools, bam: '0.0.1' }]) {
      await writeFile(stampPath, JSON.stringify({ ...stamp, tools }));
      world.reporter.events.length = 0;
      const rebuilt = await packageFunction('fn', { cwd: world.cwd, store: world.store, reporter: world.reporter });
      expect(world.reporter.text('info')).not.toContain('reusing its zip');
      expect(rebuilt.codeSha256).toBe(first.codeSha256); // same inputs, same bytes
    }
    world.reporter.events.length = 0;
    await packageFunction('fn', { cwd: world.cwd, store: world.store, reporter: world.reporter });
    expect(world.reporter.text('info')).toContain('reusing its zip');

    // Same size, new content and a new date: the stat says it changed.
    const before = await stat(join(world.cwd, 'fn.mjs'));
    await write('fn.mjs', "export const handler = async () => ({ statusCode: 200, body: 'two' });\n");
    await utimes(join(world.cwd, 'fn.mjs'), before.atime, new Date(before.mtimeMs + 2000));
    expect((await stat(join(world.cwd, 'fn.mjs'))).size).toBe(before.size);
    world.reporter.events.length = 0;
    const edited = await packageFunction('fn', { cwd: world.cwd, store: world.store, reporter: world.reporter });
    expect(world.reporter.text('info')).not.toContain('reusing its zip');
    expect((await runUnzipped(edited.zipPath, 'index.mjs')).body).toBe('two');

    // Same size and the same date as recorded: an accepted miss (the README says so); touching it rebuilds.
    const dated = await stat(join(world.cwd, 'fn.mjs'));
    await write('fn.mjs', "export const handler = async () => ({ statusCode: 200, body: 'six' });\n");
    await utimes(join(world.cwd, 'fn.mjs'), dated.atime, dated.mtime);
    world.reporter.events.length = 0;
    await packageFunction('fn', { cwd: world.cwd, store: world.store, reporter: world.reporter });
    expect(world.reporter.text('info')).toContain('reusing its zip');
  });
});
