import { describe, expect, it } from 'vitest';
import { moduleTypeFor } from '../../src/package/moduleType.js';
import { parseJavaScript } from '../../src/package/parse.js';

const file = (relativePath: string, text: string) => ({ relativePath, program: parseJavaScript(text, relativePath).program });

describe('the "type" of the staging package.json', () => {
  it('keeps the user\'s own setting', () => {
    expect(moduleTypeFor('commonjs', 'index.js', [file('index.js', 'export const handler = 1;')])).toBe('commonjs');
    expect(moduleTypeFor('module', 'index.js', [file('index.js', 'exports.handler = 1;')])).toBe('module');
  });

  it('makes an ES module index.js a module, so Lambda loads it as one', () => {
    expect(moduleTypeFor(undefined, 'index.js', [file('index.js', "import x from './lib/x.js';\nexport const handler = x;"), file('lib/x.js', 'export default 1;'), file('lib/data.js', 'const a = 1;')])).toBe('module');
  });

  it('leaves CommonJS entries, .mjs/.cjs entries, and ESM entries next to CommonJS .js files alone', () => {
    expect(moduleTypeFor(undefined, 'index.js', [file('index.js', 'exports.handler = 1;')])).toBeUndefined();
    expect(moduleTypeFor(undefined, 'index.mjs', [file('index.mjs', 'export const handler = 1;')])).toBeUndefined();
    expect(moduleTypeFor(undefined, 'index.js', [file('index.js', "import x from './old.cjs';\nexport const handler = x;"), file('old.js', 'module.exports = 1;')])).toBeUndefined();
    expect(moduleTypeFor(undefined, 'index.js', [file('index.js', 'export const handler = 1;'), file('util.js', "const fs = require('fs');")])).toBeUndefined();
  });
});
