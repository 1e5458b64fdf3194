import { describe, expect, it } from 'vitest';
import { classifySpecifier, computedImports, importedSpecifiers, packageName } from '../../src/package/imports.js';
import { parseJavaScript } from '../../src/package/parse.js';

const specifiersOf = (text: string, file = 'f.js'): string[] => importedSpecifiers(parseJavaScript(text, file).program).sort();

describe('importedSpecifiers', () => {
  it('finds every ES module form', () => {
    const text = [
      "import a from 'default-import';",
      "import * as ns from 'namespace-import';",
      "import { x, y as z } from 'named-import';",
      "import 'side-effect';",
      "export { q } from 'reexport-named';",
      "export * from 'reexport-all';",
      "export * as all from 'reexport-namespace';",
      "import data from './data.json' with { type: 'json' };",
      "const lazy = await import('dynamic-literal');",
      'const tpl = await import(`dynamic-template`);',
      'export const handler = async () => a;',
    ].join('\n');
    expect(specifiersOf(text, 'f.mjs')).toEqual([
      './data.json', 'default-import', 'dynamic-literal', 'dynamic-template', 'named-import', 'namespace-import',
      'reexport-all', 'reexport-named', 'reexport-namespace', 'side-effect',
    ]);
  });

  it('finds require() anywhere in a CommonJS file, also after the exports and inside functions', () => {
    const text = [
      "const top = require('top-level');",
      "exports.handler = async () => require('inside-handler');",
      "function later() { return require(\"double-quoted\"); }",
      "if (true) { require('in-block'); }",
      "const p = import('dynamic-in-cjs');",
      'return;',
    ].join('\n');
    expect(specifiersOf(text)).toEqual(['double-quoted', 'dynamic-in-cjs', 'in-block', 'inside-handler', 'top-level']);
  });

  it('finds require.resolve(\'x\'): the package must be installed for it to resolve', () => {
    expect(specifiersOf("const bin = require.resolve('resolved-pkg/bin.js'); const b = require.resolve(`tpl-resolved`);")).toEqual([
      'resolved-pkg/bin.js',
      'tpl-resolved',
    ]);
  });

  it('ignores specifiers that are not literal and calls that are not require, and counts the computed ones', () => {
    const text = "const name = 'x'; require(name); import(name + 'y'); require(`a${name}`); other('not-me'); obj.require('nor-me'); require('a', 'b'); other.resolve('no');";
    expect(specifiersOf(text)).toEqual([]);
    expect(computedImports(parseJavaScript(text, 'f.js').program)).toBe(3);
    expect(computedImports(parseJavaScript("require('x'); import(`y`); require.resolve(z);", 'f.js').program)).toBe(1);
  });
});

describe('classifySpecifier and packageName', () => {
  it('skips Node built-ins with and without node:', () => {
    for (const builtin of ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'path', 'crypto', 'node:test', 'stream/web', 'util']) {
      expect(classifySpecifier(builtin), builtin).toBe('builtin');
    }
  });

  it('tells relative paths, package imports and URLs from npm packages', () => {
    expect(classifySpecifier('./x')).toBe('relative');
    expect(classifySpecifier('../x')).toBe('relative');
    expect(classifySpecifier('/abs/x')).toBe('relative');
    expect(classifySpecifier('#internal')).toBe('ignored');
    expect(classifySpecifier('data:text/javascript,1')).toBe('ignored');
    expect(classifySpecifier('lodash')).toBe('package');
    expect(classifySpecifier('@scope/pkg')).toBe('package');
    expect(classifySpecifier('fs-extra')).toBe('package');
  });

  it('reduces sub-paths to the package name, scoped or not', () => {
    expect(packageName('lodash')).toBe('lodash');
    expect(packageName('lodash/fp')).toBe('lodash');
    expect(packageName('lodash/fp/map.js')).toBe('lodash');
    expect(packageName('@scope/pkg')).toBe('@scope/pkg');
    expect(packageName('@scope/pkg/sub/deep')).toBe('@scope/pkg');
  });
});
