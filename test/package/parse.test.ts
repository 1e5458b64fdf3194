import { describe, expect, it } from 'vitest';
import { parseJavaScript } from '../../src/package/parse.js';
import { BamError } from '../../src/core/errors.js';

const errorOf = (text: string, file: string): BamError => {
  try {
    parseJavaScript(text, file);
  } catch (err) {
    return err as BamError;
  }
  throw new Error('expected a syntax error');
};

describe('parseJavaScript', () => {
  it('reports a syntax error as file:line:column with the parser message (1-based column)', () => {
    const err = errorOf('const a = 1;\nconst b = {\n  c: 1,,\n};\n', 'src/api.js');
    expect(err).toBeInstanceOf(BamError);
    expect(err.message).toMatch(/^src\/api\.js:3:8: Unexpected token\. /);
  });

  it('reports the error of the mode that got further (a module with a typo is not blamed on its import)', () => {
    const err = errorOf("import x from 'x';\nexport const handler = () => x +;\n", 'index.js');
    expect(err.message).toMatch(/^index\.js:2:33: Unexpected token/);
  });

  it('falls back to a CommonJS script: top-level return and sloppy-mode syntax parse', () => {
    expect(parseJavaScript('if (!process.env.X) return;\nexports.handler = 1;', 'index.js').program.body).toHaveLength(2);
    expect(parseJavaScript('with (Math) { exports.handler = max; }', 'index.js').program.body).toHaveLength(1);
  });

  it('parses .mjs only as a module and .cjs only as a script', () => {
    expect(errorOf('return 1;', 'a.mjs').message).toMatch(/^a\.mjs:1:1: 'return' outside of function/);
    expect(errorOf("import x from 'x';", 'a.cjs').message).toMatch(/^a\.cjs:1:1: 'import' and 'export' may appear only with 'sourceType: module'/);
  });

  it('accepts a hashbang, top-level await and modern syntax', () => {
    expect(() => parseJavaScript('#!/usr/bin/env node\nconst v = await Promise.resolve(a?.b ?? 1);\nexport const handler = () => v;', 'x.mjs')).not.toThrow();
  });
});
