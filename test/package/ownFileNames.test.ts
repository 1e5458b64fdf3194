import { describe, expect, it } from 'vitest';
import { withOwnFileNames } from '../../src/package/ownFileNames.js';

describe("a module's own file names in the bundle", () => {
  it('leaves top-level modules and modules that name no place of their own as they are', () => {
    expect(withOwnFileNames("module.exports = require('path').join(__dirname, 'a.txt');", 'index.js')).toBeUndefined();
    expect(withOwnFileNames('module.exports = 1; // not __dirname', 'lib/a.js')).toBeUndefined();
    expect(withOwnFileNames("throw new Error('__filename and import.meta.url are named here only');", 'lib/a.js')).toBeUndefined();
  });

  it('declares __dirname and __filename from the bundle folder on the first line, after a hashbang or "use strict"', () => {
    expect(withOwnFileNames("const p = require('path').join(__dirname, 'a.txt');\nmodule.exports = p;", 'lib/db/read.js')).toBe(
      'var __dirname = (__bamDirname + "/lib/db"), __filename = (__bamDirname + "/lib/db/read.js"); ' + "const p = require('path').join(__dirname, 'a.txt');\nmodule.exports = p;",
    );
    expect(withOwnFileNames("'use strict';\nmodule.exports = __filename;", 'lib/a.js')).toBe(
      `'use strict'; var __dirname = (__bamDirname + "/lib"), __filename = (__bamDirname + "/lib/a.js"); \nmodule.exports = __filename;`,
    );
    expect(withOwnFileNames('#!/usr/bin/env node\n// about it\n"use strict"\nmodule.exports = __dirname;', 'bin/a.js')).toBe(
      '#!/usr/bin/env node\n// about it\n"use strict" var __dirname = (__bamDirname + "/bin"), __filename = (__bamDirname + "/bin/a.js"); \nmodule.exports = __dirname;',
    );
  });

  it("replaces import.meta's url, dirname and filename in code, not in strings or comments", () => {
    const code = "// import.meta.url\nexport const u = new URL('./x.txt', import.meta.url);\nexport const d = import.meta.dirname, f = import.meta.filename, s = 'import.meta.url';\n";
    expect(withOwnFileNames(code, 'lib/x.mjs')).toBe(
      "// import.meta.url\nexport const u = new URL('./x.txt', process.getBuiltinModule('node:url').pathToFileURL(__bamDirname + \"/lib/x.mjs\").href);\n" +
        "export const d = (__bamDirname + \"/lib\"), f = (__bamDirname + \"/lib/x.mjs\"), s = 'import.meta.url';\n",
    );
  });

  it('leaves __dirname alone in a module that declares its own (the ES module idiom), and replaces the import.meta it is made from', () => {
    const code = "import { dirname } from 'node:path';\nimport { fileURLToPath } from 'node:url';\nconst __dirname = dirname(fileURLToPath(import.meta.url));\nexport default __dirname;\n";
    // A TypeScript module by its JavaScript name, as --no-bundle ships it.
    expect(withOwnFileNames(code, 'lib/where.mts')).toBe(code.replace('import.meta.url', "process.getBuiltinModule('node:url').pathToFileURL(__bamDirname + \"/lib/where.mjs\").href"));
  });
});
