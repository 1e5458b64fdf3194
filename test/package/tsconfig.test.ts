import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findTsConfig, isPathAlias, stripJsonComments, tsConfigFiles } from '../../src/package/tsconfig.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';

let world: TestWorld;
beforeEach(async () => {
  world = await makeWorld();
});
afterEach(async () => {
  await world.cleanup();
});

describe('tsconfig.json', () => {
  it('is found at or above the function, with comments and trailing commas, following a relative extends for paths and the options esbuild compiles a file with', async () => {
    await mkdir(join(world.cwd, 'api', 'deep'), { recursive: true });
    await writeFile(join(world.cwd, 'base.json'), '{ "compilerOptions": { "jsx": "react-jsx", "jsxImportSource": "preact", "experimentalDecorators": true, "strict": true } }');
    await writeFile(
      join(world.cwd, 'tsconfig.json'),
      '{\n  "extends": "./base", // shared\n  /* aliases */ "compilerOptions": { "paths": { "@lib/*": ["lib/*"], "~": ["src"], }, "useDefineForClassFields": false, "verbatimModuleSyntax": "yes" },\n}',
    );
    expect(await findTsConfig(join(world.cwd, 'api', 'deep'))).toEqual({
      path: join(world.cwd, 'tsconfig.json'),
      aliases: ['@lib/*', '~'],
      // Only what esbuild reads, of the type it takes ("yes" is no boolean); strict is tsc's.
      compile: { jsx: 'react-jsx', jsxImportSource: 'preact', experimentalDecorators: true, useDefineForClassFields: false },
      decoratorMetadata: false,
    });
  });

  it('lists itself and the files it extends, nearest first (what bam dev and redeploy --watch watch)', async () => {
    await mkdir(join(world.cwd, 'configs'), { recursive: true });
    await writeFile(join(world.cwd, 'configs', 'root.json'), '{ "extends": "@tsconfig/node20/tsconfig.json" }');
    await writeFile(join(world.cwd, 'configs', 'base.json'), '{ "extends": "./root", /* shared */ }');
    await writeFile(join(world.cwd, 'tsconfig.json'), '{ "extends": "./configs/base.json" }');
    expect(tsConfigFiles(join(world.cwd, 'tsconfig.json'))).toEqual([join(world.cwd, 'tsconfig.json'), join(world.cwd, 'configs', 'base.json'), join(world.cwd, 'configs', 'root.json')]);
  });

  it('keeps strings that look like comments, and matches paths patterns as TypeScript does', () => {
    expect(JSON.parse(stripJsonComments('{ "a": "http://x/*y*/", "b": [1, 2,], }'))).toEqual({ a: 'http://x/*y*/', b: [1, 2] });
    expect(isPathAlias('@lib/greet', ['@lib/*'])).toBe(true);
    expect(isPathAlias('@lib', ['@lib/*'])).toBe(false);
    expect(isPathAlias('~', ['~'])).toBe(true);
    expect(isPathAlias('lodash', ['@lib/*', '~'])).toBe(false);
  });
});
