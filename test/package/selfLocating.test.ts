import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { namesOwnLocation, outermostPackage, selfLocatingPackages } from '../../src/package/selfLocating.js';

describe('which bundled packages find files beside their code', () => {
  it('names the package a bare import names: the outermost, scoped ones whole', () => {
    expect(outermostPackage('node_modules/swagger-ui-dist/absolute-path.js')).toBe('swagger-ui-dist');
    expect(outermostPackage('node_modules/logform/node_modules/@colors/colors/lib/colors.js')).toBe('logform');
    expect(outermostPackage('../node_modules/@scope/pkg/dist/index.mjs')).toBe('@scope/pkg');
    expect(outermostPackage('lib/node_modules.js')).toBeUndefined();
    expect(outermostPackage('src/index.ts')).toBeUndefined();
  });

  it('counts __dirname, __filename and import.meta.url/.dirname/.filename in code, not in comments', () => {
    expect(namesOwnLocation("const p = require('path').join(__dirname, 'x.wasm');")).toBe(true);
    expect(namesOwnLocation('module.exports = __filename;')).toBe(true);
    expect(namesOwnLocation("const u = new URL('./x.wasm', import.meta.url);")).toBe(true);
    expect(namesOwnLocation('const d = import.meta.dirname;')).toBe(true);
    expect(namesOwnLocation('const f = import.meta.filename;')).toBe(true);
    expect(namesOwnLocation('// uses __dirname in a comment only\nconst a = 1;')).toBe(false);
    expect(namesOwnLocation('/* __filename\n import.meta.url */ const a = 1;')).toBe(false);
    // A URL's // is no comment: what follows it on the line still counts.
    expect(namesOwnLocation("const u = 'https://example.com'; const d = __dirname;")).toBe(true);
    // In a message it is no use; in a template's ${} it is.
    expect(namesOwnLocation("throw new Error('looked like colors.setTheme(__dirname + ' + name);")).toBe(false);
    expect(namesOwnLocation('const m = "it names __filename \\" and import.meta.url";')).toBe(false);
    expect(namesOwnLocation('const p = `${__dirname}/x.wasm`;')).toBe(true);
    expect(namesOwnLocation("const q = '/*'; const d = __dirname; // */")).toBe(true);
    // A relative require.resolve finds a file beside the code; a package name's does not.
    expect(namesOwnLocation('const worker = require.resolve ? require.resolve("./xhr-sync-worker.js") : null;')).toBe(true);
    expect(namesOwnLocation("const up = require.resolve( '../lib/x.js');")).toBe(true);
    expect(namesOwnLocation("const u = import.meta.resolve('./x.wasm');")).toBe(true);
    expect(namesOwnLocation("try { require.resolve('pg-native'); } catch {}")).toBe(false);
    expect(namesOwnLocation("require('./local.js'); const r = require.resolve;")).toBe(false);
    expect(namesOwnLocation('const my__dirname = 1; const meta = import.meta.resolve;')).toBe(false);
  });

  it("reads the bundle's inputs from node_modules and lists the packages whose code names its place, once each and sorted", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bam-self-locating-'));
    try {
      const files: Record<string, string> = {
        'node_modules/zeta/index.js': "module.exports = require('path').join(__dirname, 'data.bin');",
        'node_modules/zeta/other.js': 'module.exports = __filename;',
        'node_modules/alpha/index.mjs': "export const u = new URL('./a.wasm', import.meta.url);",
        'node_modules/plain/index.js': 'module.exports = 1; // __dirname',
        'node_modules/data/table.json': '{"__dirname": 1}',
        'lib/local.js': 'module.exports = __dirname;',
      };
      for (const [path, text] of Object.entries(files)) {
        await mkdir(join(dir, path, '..'), { recursive: true });
        await writeFile(join(dir, path), text);
      }
      // The user's own modules are not packages; a JSON file is no code; a missing file counts as nothing.
      expect(await selfLocatingPackages([...Object.keys(files), 'node_modules/gone/index.js'], dir)).toEqual(['alpha', 'zeta']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
