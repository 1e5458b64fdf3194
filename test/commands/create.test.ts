import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, templateFor, type CreateOptions } from '../../src/commands/create.js';
import { BamError, UsageError } from '../../src/core/errors.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const templates = join(root, 'templates');

let world: TestWorld;
beforeEach(async () => {
  world = await makeWorld();
});
afterEach(async () => {
  await world.cleanup();
});

/** Runs create and returns the error it threw (fails the test when it threw none). */
async function refusal(name: string, options: CreateOptions = {}): Promise<BamError> {
  const error: unknown = await create(name, options, world.ctx).then(() => undefined, (err: unknown) => err);
  expect(error).toBeInstanceOf(BamError);
  return error as BamError;
}

describe('bam create: which template', () => {
  it.each([
    [{}, 'basic'],
    [{ invoker: true }, 'invoker'],
    [{ html: true }, 'html'],
    [{ invoker: true, html: true }, 'invokerHtml'],
    [{ db: true }, 'db'],
    [{ db: true, html: true }, 'dbHtml'],
  ] as const)('%o gives the %s template', (options, template) => {
    expect(templateFor(options)).toBe(template);
  });

  it.each([['t5', { db: true }], ['ab', { db: true, html: true }]] as const)('refuses %s for %o: its table would be named %s, and DynamoDB needs 3 characters (exit 2)', async (name, options) => {
    const error = await refusal(name, options);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(`"${name}" cannot name a --db function: its table is named after it, and DynamoDB table names have 3 to 255 characters. Pick a longer name.`);
    expect(await readdir(world.cwd)).toEqual([]);
    // Other templates have no table: a short name is theirs to take.
    await create(name, {}, world.ctx);
  });

  it('writes the template file as NAME.js with the name filled in', async () => {
    const written = await create('hello', {}, world.ctx);
    expect(written).toEqual([join(world.cwd, 'hello.js')]);
    const expected = (await readFile(join(templates, 'basic', 'index.js'), 'utf8')).replaceAll('{{name}}', 'hello');
    expect(await readFile(join(world.cwd, 'hello.js'), 'utf8')).toBe(expected);
    expect(await readdir(world.cwd)).toEqual(['hello.js']);
    expect(world.reporter.events).toContainEqual({ type: 'succeed', text: 'Created hello.js from the basic template.' });
  });

  it('--verbose takes the -verbose folder; --html writes NAME/ with the four files', async () => {
    await create('page', { html: true, verbose: true }, world.ctx);
    expect((await readdir(join(world.cwd, 'page'))).sort()).toEqual(['application.js', 'index.html', 'index.js', 'main.css']);
    const expected = (await readFile(join(templates, 'html-verbose', 'index.js'), 'utf8')).replaceAll('{{name}}', 'page');
    expect(await readFile(join(world.cwd, 'page', 'index.js'), 'utf8')).toBe(expected);
  });

  it('below a package.json with "type": "module" writes the CommonJS handler as .cjs', async () => {
    await writeFile(join(world.cwd, 'package.json'), '{ "type": "module" }');
    await mkdir(join(world.cwd, 'functions'));
    const nested = { ...world.ctx, cwd: join(world.cwd, 'functions') };
    expect(await create('hello', {}, nested)).toEqual([join(world.cwd, 'functions', 'hello.cjs')]);
    const html = await create('page', { html: true }, nested);
    expect(html).toContain(join(world.cwd, 'functions', 'page', 'index.cjs'));
    expect(html).not.toContain(join(world.cwd, 'functions', 'page', 'index.js'));
    // A nearer package.json without "type" means CommonJS again, as Node reads it.
    await writeFile(join(world.cwd, 'functions', 'package.json'), '{ "private": true }');
    expect(await create('plain', {}, nested)).toEqual([join(world.cwd, 'functions', 'plain.js')]);
  });
});

describe('bam create: refusals', () => {
  it('--db --invoker is a usage error (exit 2) that lists the valid combinations, and writes nothing', async () => {
    const error = await refusal('both', { db: true, invoker: true });
    expect(error).toBeInstanceOf(UsageError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('--db and --invoker cannot be combined. Valid templates: none (basic), --invoker, --html, --invoker --html, --db, --db --html.');
    expect(await readdir(world.cwd)).toEqual([]);
  });

  it.each(['bad name', 'a'.repeat(65), 'a/b', '../escape', '', 'héllo'])('refuses the name %j (exit 2) and writes nothing', async (name) => {
    const error = await refusal(name, { html: true });
    expect(error).toBeInstanceOf(UsageError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('is not a valid function name: use 1 to 64 letters, digits, - and _');
    expect(await readdir(world.cwd)).toEqual([]);
    expect(await readdir(join(world.cwd, '..'))).not.toContain('escape');
  });

  it('accepts a 64-character name with - and _', async () => {
    const name = `a-_${'b'.repeat(61)}`;
    await create(name, {}, world.ctx);
    expect(await readdir(world.cwd)).toEqual([`${name}.js`]);
  });

  it.each(['hello.js', 'hello.mjs', 'hello.cjs'])('never overwrites an existing %s (exit 1), for any template', async (file) => {
    await writeFile(join(world.cwd, file), 'my own code\n');
    for (const options of [{}, { html: true }, { db: true, verbose: true }]) {
      const error = await refusal('hello', options);
      expect(error).not.toBeInstanceOf(UsageError);
      expect(error.exitCode).toBe(1);
      expect(error.message).toBe(`${join(world.cwd, file)} already exists; bam create never overwrites. Pick another name or move it away.`);
    }
    expect(await readFile(join(world.cwd, file), 'utf8')).toBe('my own code\n');
    expect(await readdir(world.cwd)).toEqual([file]);
  });

  it.each(['hello.js', 'hello.cjs', 'hello.ts', 'hello.mts', 'hello.cts'])('--ts never overwrites an existing %s either, and a JavaScript create minds a .ts (exit 1)', async (file) => {
    await writeFile(join(world.cwd, file), 'my own code\n');
    for (const options of [{ ts: true }, { ts: true, html: true }, { ts: true, db: true, verbose: true }, {}]) {
      const error = await refusal('hello', options);
      expect(error.exitCode).toBe(1);
      expect(error.message).toBe(`${join(world.cwd, file)} already exists; bam create never overwrites. Pick another name or move it away.`);
    }
    expect(await readFile(join(world.cwd, file), 'utf8')).toBe('my own code\n');
    expect(await readdir(world.cwd)).toEqual([file]);
  });

  it('--ts writes NAME.ts from the template\'s index.ts, even below "type": "module" (it is an ES module)', async () => {
    await writeFile(join(world.cwd, 'package.json'), '{ "type": "module" }\n');
    const written = await create('hello', { ts: true, invoker: true }, world.ctx);
    expect(written).toEqual([join(world.cwd, 'hello.ts')]);
    const expected = (await readFile(join(templates, 'invoker', 'index.ts'), 'utf8')).replaceAll('{{name}}', 'hello');
    expect(await readFile(join(world.cwd, 'hello.ts'), 'utf8')).toBe(expected);
    expect(world.reporter.events).toContainEqual({ type: 'succeed', text: 'Created hello.ts from the invoker (TypeScript) template.' });
    expect(world.reporter.events).toContainEqual({ type: 'info', text: 'bam deploys TypeScript as written, without type checking: run npx tsc --noEmit for that (see the README).' });
    expect((await readdir(world.cwd)).sort()).toEqual(['hello.ts', 'package.json']);
  });

  it('--ts --html writes NAME/index.ts and the page files, not index.js; without --ts no index.ts', async () => {
    await create('page', { ts: true, html: true, verbose: true }, world.ctx);
    expect((await readdir(join(world.cwd, 'page'))).sort()).toEqual(['application.js', 'index.html', 'index.ts', 'main.css']);
    expect(await readFile(join(world.cwd, 'page', 'index.ts'), 'utf8')).toBe((await readFile(join(templates, 'html-verbose', 'index.ts'), 'utf8')).replaceAll('{{name}}', 'page'));
    expect(world.reporter.events).toContainEqual({ type: 'succeed', text: 'Created page/ from the html (TypeScript, verbose) template.' });
    await create('plain', { html: true }, world.ctx);
    expect((await readdir(join(world.cwd, 'plain'))).sort()).toEqual(['application.js', 'index.html', 'index.js', 'main.css']);
  });

  it('never writes into an existing NAME/ folder', async () => {
    await mkdir(join(world.cwd, 'site'));
    await writeFile(join(world.cwd, 'site', 'index.html'), '<p>mine</p>');
    for (const options of [{ html: true }, {}]) {
      const error = await refusal('site', options);
      expect(error.exitCode).toBe(1);
      expect(error.message).toContain(`${join(world.cwd, 'site')} already exists`);
    }
    expect(await readdir(join(world.cwd, 'site'))).toEqual(['index.html']);
    expect(await readFile(join(world.cwd, 'site', 'index.html'), 'utf8')).toBe('<p>mine</p>');
    expect(await readdir(world.cwd)).toEqual(['site']);
  });
});

// Through the built CLI (npm run build first, as .ci/run does): exit codes and one-line errors.
describe('bam create (built CLI)', () => {
  function bam(...args: string[]) {
    return spawnSync(process.execPath, [join(root, 'bin/bam.js'), 'create', ...args], {
      cwd: world.cwd,
      encoding: 'utf8',
      env: { ...process.env, BAM_HOME: world.home, NO_COLOR: '1', CI: 'true' },
      input: '',
    });
  }

  it('exit 0 and the file; exit 1 when it exists; exit 2 for a bad name or --db --invoker', async () => {
    const made = bam('hello', '--db', '--html');
    expect(made.status, made.stderr).toBe(0);
    expect(made.stdout).toContain('Created hello/ from the dbHtml template.');
    expect((await readdir(join(world.cwd, 'hello'))).sort()).toEqual(['application.js', 'index.html', 'index.js', 'main.css']);

    const again = bam('hello', '--html');
    expect(again.status).toBe(1);
    expect(again.stderr.trim().split('\n')).toEqual([`Error: ${join(world.cwd, 'hello')} already exists; bam create never overwrites. Pick another name or move it away.`]);

    const badName = bam('bad name');
    expect(badName.status).toBe(2);
    expect(badName.stderr).toContain('"bad name" is not a valid function name');

    const typed = bam('typed', '--ts');
    expect(typed.status, typed.stderr).toBe(0);
    expect(typed.stdout).toContain('Created typed.ts from the basic (TypeScript) template.');
    expect(bam('typed').status).toBe(1);
    const help = bam('--help');
    expect(help.stdout).toMatch(/--ts +write it in TypeScript, the handler and its event typed/);

    const both = bam('x', '--db', '--invoker');
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('Valid templates: none (basic), --invoker, --html, --invoker --html, --db, --db --html.');
    expect((await readdir(world.cwd)).sort()).toEqual(['hello', 'typed.ts']);
  });
});
