import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageFunction } from '../../src/package/index.js';
import { UNUSED_CACHE_DAYS } from '../../src/package/install.js';
import { BamError } from '../../src/core/errors.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { readZipEntries } from './zipReader.js';

const DEPS = fileURLToPath(new URL('../fixtures/package/deps/', import.meta.url));

// npm must never reach a registry in these tests: every dependency is a local file: package,
// and an unreachable registry makes any slip fail loudly instead of going online.
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

async function zippedText(zipPath: string, name: string): Promise<string> {
  const entry = (await readZipEntries(zipPath)).find((e) => e.name === name);
  if (!entry) throw new Error(`${name} is not in ${zipPath}`);
  return entry.content.toString('utf8');
}

async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map(String).sort();
}

describe('packageFunction', () => {
  it('--no-bundle installs the imported file: packages with a real npm install and zips them with the code', async () => {
    await write('package.json', JSON.stringify({
      dependencies: { 'left-pad-local': `file:${DEPS}left-pad-local`, unused: '^1.0.0' },
      devDependencies: { '@bam-fixture/greet': `file:${DEPS}scoped-greet` },
    }));
    await write('hello.js', [
      '// description: Says hello, padded',
      "const pad = require('left-pad-local');",
      "const { shout } = require('@bam-fixture/greet/loud');",
      "const fs = require('node:fs'); const path = require('path');",
      "exports.handler = async () => ({ statusCode: 200, body: pad(shout('x'), 10) });",
    ].join('\n'));
    const before = await listTree(world.cwd);

    const result = await packageFunction('hello', { cwd: world.cwd, store: world.store, reporter: world.reporter, bundle: false });

    expect(result.dependencies).toEqual({
      '@bam-fixture/greet': `file:${DEPS}scoped-greet`,
      'left-pad-local': `file:${DEPS}left-pad-local`,
    });
    expect(result.description).toBe('Says hello, padded');
    expect(result.stagingDir).toBe(join(world.home, 'staging', 'hello'));
    expect(result.zipPath).toBe(join(world.home, 'staging', 'hello', 'hello.zip'));
    const names = (await readZipEntries(result.zipPath)).map((e) => e.name);
    expect(names).toContain('index.js');
    expect(names).toContain('package.json');
    expect(names).toContain('node_modules/left-pad-local/index.js');
    expect(names).toContain('node_modules/@bam-fixture/greet/loud.js');
    expect(names).not.toContain('hello.zip');
    expect(names).not.toContain('.bam-install.json');
    expect(names).not.toContain('node_modules/.package-lock.json');
    // Installed as copies, not symlinks to the user's disk.
    expect((await stat(join(result.stagingDir, 'node_modules', 'left-pad-local'))).isDirectory()).toBe(true);
    expect(result.zipSize).toBe((await stat(result.zipPath)).size);
    // The user's folder is only read.
    expect(await listTree(world.cwd)).toEqual(before);

    // What Lambda would do: unzip somewhere else and call index.handler.
    const unpacked = join(world.home, 'unpacked');
    for (const entry of await readZipEntries(result.zipPath)) {
      await mkdir(join(unpacked, entry.name, '..'), { recursive: true });
      await writeFile(join(unpacked, entry.name), entry.content);
    }
    const run = spawnSync(process.execPath, ['-e', "require('./index.js').handler().then((r) => process.stdout.write(r.body))"], { cwd: unpacked, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('   HELLO X');
  });

  it('--no-bundle writes a package.json with only the imported packages, absolute file: paths and the user\'s "type"', async () => {
    await mkdir(join(world.cwd, 'deps'));
    await write('package.json', JSON.stringify({ type: 'module', dependencies: { 'left-pad-local': 'file:./vendor/left-pad-local', other: '1.0.0' } }));
    await write('vendor/left-pad-local/package.json', await readFile(join(DEPS, 'left-pad-local', 'package.json'), 'utf8'));
    await write('vendor/left-pad-local/index.js', await readFile(join(DEPS, 'left-pad-local', 'index.js'), 'utf8'));
    await write('esm.js', "import pad from 'left-pad-local';\nexport const handler = async () => pad('a', 3);\n");

    const result = await packageFunction('esm', { cwd: world.cwd, store: world.store, bundle: false });

    expect(JSON.parse(await zippedText(result.zipPath, 'package.json'))).toEqual({
      name: 'esm',
      version: '1.0.0',
      private: true,
      type: 'module',
      dependencies: { 'left-pad-local': `file:${join(world.cwd, 'vendor', 'left-pad-local')}` },
    });
    expect(await readFile(join(result.stagingDir, 'node_modules', 'left-pad-local', 'index.js'), 'utf8')).toContain('padStart');
  });

  it('--no-bundle marks an ES module NAME.js as "type": "module" when there is no package.json', async () => {
    await write('modern.js', 'export const handler = async () => 1;\n');
    const result = await packageFunction('modern', { cwd: world.cwd, store: world.store, bundle: false });
    expect(JSON.parse(await zippedText(result.zipPath, 'package.json'))).toEqual({ name: 'modern', version: '1.0.0', private: true, type: 'module', dependencies: {} });
  });

  it('skips @aws-sdk/* packages unless package.json pins them', async () => {
    await write('unpinned.mjs', "import { S3Client } from '@aws-sdk/client-s3';\nexport const handler = async () => S3Client.name;\n");
    expect((await packageFunction('unpinned', { cwd: world.cwd, store: world.store })).dependencies).toEqual({});

    await write('package.json', JSON.stringify({ dependencies: { '@aws-sdk/client-bam-fixture': `file:${DEPS}aws-sdk-client-fake` } }));
    await write('pinned.mjs', "import { FakeClient } from '@aws-sdk/client-bam-fixture';\nimport { S3Client } from '@aws-sdk/client-s3';\nexport const handler = async () => [FakeClient, S3Client];\n");
    const result = await packageFunction('pinned', { cwd: world.cwd, store: world.store });
    expect(result.dependencies).toEqual({ '@aws-sdk/client-bam-fixture': `file:${DEPS}aws-sdk-client-fake` });
    // The pinned one is bundled; the runtime's SDK stays an import.
    expect((await readZipEntries(result.zipPath)).map((e) => e.name)).toEqual(['index.mjs']);
    const bundle = await zippedText(result.zipPath, 'index.mjs');
    expect(bundle).toContain('class FakeClient');
    expect(bundle).toMatch(/from ?"@aws-sdk\/client-s3"/);
    const unbundled = await packageFunction('pinned', { cwd: world.cwd, store: world.store, bundle: false });
    expect((await readZipEntries(unbundled.zipPath)).map((e) => e.name)).toContain('node_modules/@aws-sdk/client-bam-fixture/index.js');
  });

  it('an npm install removes the cached installs no build used for 30 days; a reuse renews an install\'s date', async () => {
    const cache = join(world.home, 'cache', 'modules');
    const day = 24 * 60 * 60 * 1000;
    for (const [name, age] of [['old', UNUSED_CACHE_DAYS + 1], ['recent', UNUSED_CACHE_DAYS - 1]] as const) {
      await mkdir(join(cache, name, 'node_modules', 'x'), { recursive: true });
      const date = new Date(Date.now() - age * day);
      await utimes(join(cache, name), date, date);
    }
    await write('package.json', JSON.stringify({ dependencies: { 'left-pad-local': `file:${DEPS}left-pad-local` } }));
    await write('fn.js', "exports.handler = async () => require('left-pad-local')('a', 2);\n");
    const first = await packageFunction('fn', { cwd: world.cwd, store: world.store, reporter: world.reporter });
    expect(world.reporter.text('info')).toContain('Running npm install');
    const installed = (await readdir(cache)).filter((name) => name !== 'recent');
    expect(installed).toHaveLength(1); // 'old' is gone, the new install stays
    expect(existsSync(join(cache, 'recent', 'node_modules', 'x'))).toBe(true);

    const key = installed[0]!;
    const longAgo = new Date(Date.now() - 10 * day);
    await utimes(join(cache, key), longAgo, longAgo);
    await write('fn.js', "exports.handler = async () => require('left-pad-local')('b', 2);\n");
    await packageFunction('fn', { cwd: world.cwd, store: world.store, bundle: first.bundled });
    expect((await stat(join(cache, key))).mtimeMs).toBeGreaterThan(longAgo.getTime() + day);
  });

  it('reuses node_modules when the dependency set is unchanged, and reinstalls when it changes', async () => {
    await write('package.json', JSON.stringify({ dependencies: { 'left-pad-local': `file:${DEPS}left-pad-local`, '@bam-fixture/greet': `file:${DEPS}scoped-greet` } }));
    await write('fn.js', "const pad = require('left-pad-local');\nexports.handler = async () => pad('a', 2);\n");
    const first = await packageFunction('fn', { cwd: world.cwd, store: world.store, reporter: world.reporter });
    const installedAt = (await stat(join(first.stagingDir, 'node_modules', 'left-pad-local'))).ino;

    await write('fn.js', "const pad = require('left-pad-local');\nexports.handler = async () => pad('b', 2);\n");
    world.reporter.events.length = 0;
    await packageFunction('fn', { cwd: world.cwd, store: world.store, reporter: world.reporter });
    expect(world.reporter.text('info')).toContain('reusing node_modules');
    expect((await stat(join(first.stagingDir, 'node_modules', 'left-pad-local'))).ino).toBe(installedAt);

    // A local package whose files changed is copied in again, though its spec did not change.
    await cp(join(DEPS, 'left-pad-local'), join(world.cwd, 'pad'), { recursive: true });
    await write('package.json', JSON.stringify({ dependencies: { 'left-pad-local': 'file:./pad', '@bam-fixture/greet': `file:${DEPS}scoped-greet` } }));
    await packageFunction('fn', { cwd: world.cwd, store: world.store });
    await write('pad/index.js', 'module.exports = () => "changed";\n');
    const changedLocal = await packageFunction('fn', { cwd: world.cwd, store: world.store });
    expect(await readFile(join(changedLocal.stagingDir, 'node_modules', 'left-pad-local', 'index.js'), 'utf8')).toContain('changed');

    await write('fn.js', "const pad = require('left-pad-local');\nconst { greet } = require('@bam-fixture/greet');\nexports.handler = async () => pad(greet('b'), 2);\n");
    world.reporter.events.length = 0;
    const third = await packageFunction('fn', { cwd: world.cwd, store: world.store, reporter: world.reporter });
    expect(world.reporter.text('info')).not.toContain('reusing node_modules');
    expect(Object.keys(third.dependencies)).toEqual(['left-pad-local', '@bam-fixture/greet']);
    expect(await readdir(join(third.stagingDir, 'node_modules', '@bam-fixture'))).toEqual(['greet']);
  });

  it('shows npm\'s error when an install fails (here: a package only the unreachable registry could give)', async () => {
    await write('net.js', "const x = require('surely-not-installed-bam-test');\nexports.handler = async () => x;\n");
    const err = await packageFunction('net', { cwd: world.cwd, store: world.store, reporter: world.reporter }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BamError);
    expect((err as BamError).message).toMatch(/^npm install failed: /);
    expect(world.reporter.text('warn')).toMatch(/127\.0\.0\.1:9|ECONNREFUSED/);
  });

  it('installs with --ignore-scripts: a dependency\'s postinstall script runs only once package.json opts in', async () => {
    const marker = () => join(world.home, 'staging', 'fn', 'node_modules', 'postinstall-marker', 'postinstall-ran.txt');
    const dependencies = { 'postinstall-marker': `file:${DEPS}postinstall-marker` };
    await write('package.json', JSON.stringify({ dependencies }));
    await write('fn.js', "const marker = require('postinstall-marker');\nexports.handler = async () => marker();\n");

    const plain = await packageFunction('fn', { cwd: world.cwd, store: world.store, reporter: world.reporter });
    expect(await readFile(join(plain.stagingDir, 'node_modules', 'postinstall-marker', 'index.js'), 'utf8')).toContain("'marker'");
    expect(existsSync(marker())).toBe(false);

    // Same dependencies, scripts now allowed: node_modules is rebuilt and the script runs.
    await write('package.json', JSON.stringify({ dependencies, bam: { installScripts: true } }));
    await packageFunction('fn', { cwd: world.cwd, store: world.store, reporter: world.reporter });
    expect(world.reporter.events.filter((e) => e.text.startsWith('Running npm install'))).toHaveLength(2);
    expect(await readFile(marker(), 'utf8')).toBe('the postinstall script ran');
  });

  it('warns, before npm runs, about a package the code names but package.json and the lockfile do not', async () => {
    await write('package.json', JSON.stringify({ dependencies: { 'left-pad-local': `file:${DEPS}left-pad-local` } }));
    await write('fn.js', "const pad = require('left-pad-local');\nconst leftPad = require('left-pad');\nexports.handler = async () => leftPad(pad('a', 2), 3);\n");
    // The registry is unreachable here, so npm then fails: what matters is the warning came first.
    await expect(packageFunction('fn', { cwd: world.cwd, store: world.store, reporter: world.reporter })).rejects.toThrow('npm install failed');
    const warning = 'left-pad is not in your package.json; installing its latest version. Add it to package.json to pin it.';
    const texts = world.reporter.events.map((e) => e.text);
    expect(world.reporter.events.find((e) => e.text === warning)?.type).toBe('warn');
    expect(texts.indexOf(warning)).toBeLessThan(texts.findIndex((t) => t.startsWith('Running npm install')));
    expect(world.reporter.text('warn')).not.toContain('left-pad-local is not');
  });

  it('names every undeclared package in one warning, and says when there is no package.json at all', async () => {
    await write('fn.js', "require('left-pad'); require('@scope/thing/sub');\nexports.handler = async () => 1;\n");
    await expect(packageFunction('fn', { cwd: world.cwd, store: world.store, reporter: world.reporter })).rejects.toThrow('npm install failed');
    expect(world.reporter.text('warn')).toContain(
      'left-pad and @scope/thing are not in a package.json (bam found none above the function); installing their latest versions. Add them to package.json to pin them.',
    );
  });

  it('stages a folder function whole, minus .git, node_modules and .bamignore matches, and removes stale files', async () => {
    await write('site/index.js', "const page = require('./lib/page');\nexports.handler = async () => page;\n");
    await write('site/lib/page.js', "module.exports = require('./page.json');\n");
    await write('site/lib/page.json', '{"title":"x"}');
    await write('site/public/style.css', 'body{}');
    await write('site/notes/draft.md', 'secret');
    await write('site/big.log', 'log');
    await write('site/.git/HEAD', 'ref');
    await write('site/node_modules/x/index.js', '');
    await write('site/.bamignore', '# not shipped\nnotes/\n*.log\n');

    await symlink('..', join(world.cwd, 'site', 'lib', 'loop')); // a cycle is not followed forever

    const first = await packageFunction('site', { cwd: world.cwd, store: world.store, bundle: false });
    const names = (await readZipEntries(first.zipPath)).map((e) => e.name);
    expect(names).toEqual(['index.js', 'lib/page.js', 'lib/page.json', 'package.json', 'public/style.css']);

    await write('site/.bamignore', '# not shipped\nnotes/\n*.log\npublic/\n');
    const second = await packageFunction('site', { cwd: world.cwd, store: world.store, bundle: false });
    expect((await readZipEntries(second.zipPath)).map((e) => e.name)).toEqual(['index.js', 'lib/page.js', 'lib/page.json', 'package.json']);
    expect(await listTree(second.stagingDir)).not.toContain('public');
  });

  it('finds require.resolve and says which files load a module by a computed name', async () => {
    await write('package.json', JSON.stringify({ dependencies: { 'left-pad-local': `file:${DEPS}left-pad-local` } }));
    await write('dyn/index.js', "const p = require.resolve('left-pad-local');\nexports.handler = async (e) => require(`./locales/${e.lang}.json`);\n");
    await write('dyn/locales/en.json', '{}');
    const result = await packageFunction('dyn', { cwd: world.cwd, store: world.store, reporter: world.reporter });
    expect(result.dependencies).toEqual({ 'left-pad-local': `file:${DEPS}left-pad-local` });
    expect(world.reporter.text('info')).toContain("dyn/index.js: one require()/import() names its module with an expression; bam installs only packages named by a plain string");
  });

  it('refuses a folder whose .bamignore leaves out the entry file', async () => {
    await write('hidden/index.js', 'exports.handler = 1;');
    await write('hidden/.bamignore', 'index.js\n');
    await expect(packageFunction('hidden', { cwd: world.cwd, store: world.store })).rejects.toThrow(/index\.js is the function's entry but \.bamignore leaves it out/);
  });

  it('refuses a relative import that is not among the staged files (missing, or outside the folder), naming the file and the specifier', async () => {
    await write('lonely.js', "const helper = require('./helper');\nexports.handler = helper;\n");
    await expect(packageFunction('lonely', { cwd: world.cwd, store: world.store })).rejects.toThrow("lonely.js imports './helper', which is not among the function's files");
    await write('shared.js', 'module.exports = 1;');
    await write('boxed/index.js', "exports.handler = require('../shared');\n");
    await expect(packageFunction('boxed', { cwd: world.cwd, store: world.store })).rejects.toThrow("boxed/index.js imports '../shared', which is not among the function's files");
  });

  it('refuses an entry without a handler export and reports syntax errors as file:line:column', async () => {
    await write('nohandler.mjs', 'export const main = async () => 1;\n');
    await expect(packageFunction('nohandler', { cwd: world.cwd, store: world.store })).rejects.toThrow(/^nohandler\.mjs does not export a function named handler.*export const handler/);

    await write('broken/index.js', 'exports.handler = async () => 1;\n');
    await write('broken/util.js', 'const a = 1;\nconst b = (;\n');
    await expect(packageFunction('broken', { cwd: world.cwd, store: world.store })).rejects.toThrow(/^broken\/util\.js:2:12: Unexpected token/);
  });
});
