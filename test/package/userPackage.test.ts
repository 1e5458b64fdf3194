import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { absoluteFileSpec, readUserPackage, undeclaredPackages, versionFor } from '../../src/package/userPackage.js';
import { detectDependencies } from '../../src/package/dependencies.js';
import { parseJavaScript } from '../../src/package/parse.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';

let world: TestWorld;
beforeEach(async () => {
  world = await makeWorld();
});
afterEach(async () => {
  await world.cleanup();
});

describe('versions from the user\'s package.json and lockfile', () => {
  it('reads the nearest package.json above the function: dependencies first, then optional, peer and dev', async () => {
    await writeFile(join(world.cwd, 'package.json'), JSON.stringify({ dependencies: { outer: '1.0.0' } }));
    await mkdir(join(world.cwd, 'fn', 'lib'), { recursive: true });
    await writeFile(join(world.cwd, 'fn', 'package.json'), JSON.stringify({
      type: 'module',
      dependencies: { lodash: '^4.17.21', both: '2.0.0' },
      optionalDependencies: { opt: '~1.1.0' },
      peerDependencies: { peer: '>=3' },
      devDependencies: { both: '1.0.0', 'dev-only': '5.0.0' },
    }));
    const pkg = await readUserPackage(join(world.cwd, 'fn', 'lib'));
    expect(pkg.dir).toBe(join(world.cwd, 'fn'));
    expect(pkg.type).toBe('module');
    expect(pkg.specs).toEqual({ lodash: '^4.17.21', both: '2.0.0', opt: '~1.1.0', peer: '>=3', 'dev-only': '5.0.0' });
    expect(versionFor(pkg, 'outer')).toBe('latest'); // only the nearest package.json counts
  });

  it('takes the exact version the lockfile installed for a range, then the declared spec, then latest', async () => {
    await writeFile(join(world.cwd, 'package.json'), JSON.stringify({ dependencies: { declared: '^1.0.0', tagged: 'next' } }));
    await writeFile(join(world.cwd, 'package-lock.json'), JSON.stringify({
      lockfileVersion: 3,
      packages: {
        '': { dependencies: { declared: '^1.0.0' } },
        'node_modules/declared': { version: '1.4.0' },
        'node_modules/transitive': { version: '2.3.4' },
        'node_modules/@scope/pkg': { version: '0.0.7' },
        'node_modules/declared/node_modules/nested': { version: '9.9.9' },
        'node_modules/linked': { link: true },
        'node_modules/tagged': { version: '3.0.0-rc.1' },
      },
    }));
    const pkg = await readUserPackage(world.cwd);
    expect(versionFor(pkg, 'declared')).toBe('1.4.0'); // what the user tested, not the newest ^1
    expect(versionFor(pkg, 'tagged')).toBe('next'); // a dist-tag is not a range: the spec stands
    expect(versionFor(pkg, 'transitive')).toBe('2.3.4');
    expect(versionFor(pkg, '@scope/pkg')).toBe('0.0.7');
    expect(versionFor(pkg, 'nested')).toBe('latest');
    expect(versionFor(pkg, 'linked')).toBe('latest');
    expect(versionFor(pkg, 'unknown')).toBe('latest');
  });

  it('reads a lockfile v1 (npm 6: a nested "dependencies" tree) too, top level only', async () => {
    await writeFile(join(world.cwd, 'package.json'), '{}');
    await writeFile(join(world.cwd, 'package-lock.json'), JSON.stringify({
      lockfileVersion: 1,
      dependencies: {
        old: { version: '1.2.3', dependencies: { nested: { version: '3.0.0' } } },
        '@scope/old': { version: '0.1.0' },
        local: { version: 'file:../local' },
      },
    }));
    const pkg = await readUserPackage(world.cwd);
    expect(pkg.locked).toEqual({ old: '1.2.3', '@scope/old': '0.1.0' });
  });

  it('makes relative file: specs absolute (npm resolves them from the staging folder otherwise)', async () => {
    expect(absoluteFileSpec('file:../deps/x', '/home/u/project')).toBe('file:/home/u/deps/x');
    expect(absoluteFileSpec('file:vendor/x.tgz', '/home/u/project')).toBe('file:/home/u/project/vendor/x.tgz');
    expect(absoluteFileSpec('file:/abs/x', '/home/u/project')).toBe('file:/abs/x');
    expect(absoluteFileSpec('^1.2.3', '/home/u/project')).toBe('^1.2.3');
    await writeFile(join(world.cwd, 'package.json'), JSON.stringify({ dependencies: { x: 'file:./x' } }));
    expect(versionFor(await readUserPackage(world.cwd), 'x')).toBe(`file:${join(world.cwd, 'x')}`);
  });

  it('without any package.json every package is latest', async () => {
    const pkg = await readUserPackage(world.cwd);
    expect(pkg).toMatchObject({ dir: undefined, type: undefined, specs: {}, installScripts: false });
  });

  it('names the packages found only in the code: in neither package.json nor the lockfile', async () => {
    await writeFile(join(world.cwd, 'package.json'), JSON.stringify({ dependencies: { declared: '^1.0.0', tagged: 'latest' } }));
    await writeFile(join(world.cwd, 'package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/locked-only': { version: '2.0.0' } } }));
    const pkg = await readUserPackage(world.cwd);
    expect(undeclaredPackages(pkg, ['declared', 'tagged', 'locked-only', 'left-pad', '@scope/new'])).toEqual(['left-pad', '@scope/new']);
  });

  it('install scripts are off unless package.json says "bam": { "installScripts": true }', async () => {
    const optIn = async (json: unknown) => {
      await writeFile(join(world.cwd, 'package.json'), JSON.stringify(json));
      return (await readUserPackage(world.cwd)).installScripts;
    };
    expect(await optIn({})).toBe(false);
    expect(await optIn({ bam: {} })).toBe(false);
    expect(await optIn({ bam: { installScripts: false } })).toBe(false);
    expect(await optIn({ bam: { installScripts: true } })).toBe(true);
    expect(await optIn({ scripts: { postinstall: 'x' }, installScripts: true })).toBe(false); // only bam's own key counts
    await expect(optIn({ bam: { installScripts: 'yes' } })).rejects.toThrow(`${join(world.cwd, 'package.json')}: "bam": { "installScripts" } must be true or false, not "yes".`);
    await writeFile(join(world.cwd, 'package.json'), JSON.stringify({ bam: { external: ['sharp', '@scope/x'] } }));
    expect((await readUserPackage(world.cwd)).external).toEqual(['sharp', '@scope/x']);
    await writeFile(join(world.cwd, 'package.json'), JSON.stringify({ bam: { external: 'sharp' } }));
    await expect(readUserPackage(world.cwd)).rejects.toThrow('"bam": { "external" } must be a list of package names, not "sharp".');
  });

  it('refuses a broken package.json, naming it', async () => {
    await writeFile(join(world.cwd, 'package.json'), '{ nope');
    await expect(readUserPackage(world.cwd)).rejects.toThrow(`${join(world.cwd, 'package.json')} is not valid JSON`);
  });
});

describe('detectDependencies', () => {
  const file = (relativePath: string, text: string) => ({ relativePath, displayPath: `fn/${relativePath}`, program: parseJavaScript(text, relativePath).program });
  const pkg = { dir: '/p', type: undefined, specs: { lodash: '^4.0.0', '@scope/pkg': '1.2.3', '@aws-sdk/client-dynamodb': '3.500.0' }, locked: {}, installScripts: false, external: [], integrity: {} };

  it('maps every imported package to its version and skips built-ins and unpinned @aws-sdk', () => {
    const files = [
      file('index.js', "const fp = require('lodash/fp'); const fs = require('node:fs'); const os = require('os');\nconst { S3 } = require('@aws-sdk/client-s3');\nconst { Dyn } = require('@aws-sdk/client-dynamodb');\nexports.handler = require('./lib/a');"),
      file('lib/a.mjs', "import sub from '@scope/pkg/sub/deep.js'; import x from 'undeclared'; import './b.cjs'; export default 1;"),
      file('lib/b.cjs', "require('../index.js'); require('../data.json');"),
    ];
    const staged = new Set(['index.js', 'lib/a.mjs', 'lib/b.cjs', 'data.json']);
    expect(detectDependencies(files, staged, pkg)).toEqual({
      lodash: '^4.0.0',
      '@aws-sdk/client-dynamodb': '3.500.0',
      '@scope/pkg': '1.2.3',
      undeclared: 'latest',
    });
  });

  it('refuses relative imports that leave the function or name no staged file', () => {
    const staged = new Set(['index.js', 'lib/a.js', 'lib/index.js']);
    expect(detectDependencies([file('index.js', "require('./lib'); require('./lib/a'); require('./lib/a.js');")], staged, pkg)).toEqual({});
    expect(() => detectDependencies([file('index.js', "require('./missing');")], staged, pkg)).toThrow("fn/index.js imports './missing'");
    expect(() => detectDependencies([file('lib/a.js', "require('../../outside.js');")], staged, pkg)).toThrow("fn/lib/a.js imports '../../outside.js'");
    expect(() => detectDependencies([file('index.js', "require('/etc/passwd');")], staged, pkg)).toThrow("imports '/etc/passwd'");
  });

  it('treats tsconfig paths aliases as the user\'s files and finds TypeScript behind the .js names TypeScript imports', () => {
    const staged = new Set(['index.ts', 'lib/greet.ts', 'lib/view.tsx']);
    const files = [file('index.ts', "import { greet } from './lib/greet.js'; import './lib/greet'; import './lib/view'; import { x } from '@app/config'; import 'lodash';")];
    expect(detectDependencies(files, staged, pkg, ['@app/*'])).toEqual({ lodash: '^4.0.0' });
  });
});
