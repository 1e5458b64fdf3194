import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAYERS, checkLayers, describeViolation, importsOf } from './helpers/layers.js';

const root = join(import.meta.dirname, '..');

function sourceFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(root, path).split('\\').join('/'), readFileSync(path, 'utf8'));
  }
  return files;
}

describe('the import direction', () => {
  it('no file under src/ imports a layer above its own (or another command)', () => {
    const files = sourceFiles();
    expect(files.size).toBeGreaterThan(50);
    expect(checkLayers(files).map(describeViolation)).toEqual([]);
  });

  it('names the file, the import and the rule when core imports a command', () => {
    const files = new Map([
      ['src/core/x.ts', "import { deploy } from '../commands/deploy.js';\nexport const x = deploy;\n"],
      ['src/commands/deploy.ts', "export const deploy = 1;\n"],
    ]);
    expect(checkLayers(files).map(describeViolation)).toEqual([
      "src/core/x.ts imports '../commands/deploy.js': core may import nothing else of bam's, not commands",
    ]);
  });

  it('sees dynamic and type-only imports, not words in comments', () => {
    const text = [
      "// import('../commands/deploy.js') in a comment is no import",
      "import type { LambdaRecord } from '../core/records.js';",
      "export * from './steps.js';",
      "const later = () => import('../tasks/account.js');",
    ].join('\n');
    expect(importsOf(text)).toEqual(['../core/records.js', './steps.js', '../tasks/account.js']);
    const violations = checkLayers(new Map([['src/aws/x.ts', text]])).map(describeViolation);
    expect(violations).toEqual([
      "src/aws/x.ts imports '../tasks/account.js': aws may import only core, not tasks",
    ]);
  });

  it('refuses an aws step that reads the store, a command that calls another, and I/O in core', () => {
    const files = new Map([
      ['src/aws/clients.ts', "import { readConfig } from '../store/records.js';"],
      ['src/commands/deploy.ts', "import { validateRoleName } from './config.js';"],
      ['src/core/facts.ts', "import { readFile } from 'node:fs/promises';"],
      ['src/dev/functions.ts', "import { applyEnv } from '../commands/settings.js';"],
    ]);
    expect(checkLayers(files).map(describeViolation)).toEqual([
      "src/aws/clients.ts imports '../store/records.js': aws may import only core, not store",
      "src/commands/deploy.ts imports './config.js': one commands module may not import another",
      "src/core/facts.ts imports 'node:fs/promises': core imports no package (no I/O, no SDK)",
      "src/dev/functions.ts imports '../commands/settings.js': dev may import only core, aws, store, package, not commands",
    ]);
  });

  it('puts every folder of src/ in a layer', () => {
    const folders = readdirSync(join(root, 'src'), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    expect(folders.filter((folder) => !(folder in LAYERS))).toEqual([]);
  });
});
