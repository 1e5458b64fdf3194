// A single-file function may import its own modules (`import { db } from './lib/db'`), as it does
// in bam dev: they are staged beside it, at their paths from its folder, so the bundle holds them
// (and --no-bundle ships them as they are).
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { BamError } from '../core/errors.js';
import { isSourceFile, relativeCandidates } from './dependencies.js';
import { displayPathOf } from './displayPath.js';
import { classifySpecifier, importedSpecifiers } from './imports.js';
import { statIfAny } from './smallFiles.js';
import type { FunctionSource } from './source.js';
import { parseSourceFile } from './typescript.js';

/** The staged names of the entry: a module of the same name beside it would take its place. */
const ENTRY_NAMES = /^index\.[mc]?[jt]sx?$/;

/**
 * A single-file function's module at `name` (its path from the folder, with `/`) would be staged
 * over the entry: the error saying so, else undefined.
 */
export function entryNameTaken(source: FunctionSource, name: string, displayPath: string, specifier: string): BamError | undefined {
  if (!ENTRY_NAMES.test(name)) return undefined;
  return new BamError(`${displayPath} imports '${specifier}', which would be staged as ${name}, the name of the function's own entry. Rename that file, or make the function a folder ${source.name}/ with an index file.`);
}

/**
 * The files a single-file function imports by relative path, and those they import in turn,
 * inside its folder (paths from it, with `/`, sorted). An import that names no file, or a file
 * outside the folder or in node_modules, is left out: the dependency check names it.
 */
export async function localImportsOf(source: FunctionSource, options: { cwd: string; compile: Record<string, string | boolean> }): Promise<string[]> {
  const folder = dirname(source.entryFile);
  const found = new Set<string>();
  const toRead = [source.entryFile];
  for (let file = toRead.pop(); file !== undefined; file = toRead.pop()) {
    const displayPath = displayPathOf(file, options.cwd);
    const { program } = await parseSourceFile(readFileSync(file, 'utf8'), file, displayPath, options.compile);
    for (const specifier of importedSpecifiers(program)) {
      if (classifySpecifier(specifier) !== 'relative' || specifier.startsWith('/')) continue;
      const target = resolveFile(resolve(dirname(file), specifier.split(/[?#]/)[0] ?? specifier));
      if (target === undefined || target === source.entryFile) continue;
      const path = relative(folder, target);
      if (path.startsWith('..') || isAbsolute(path) || path.split(sep).includes('node_modules')) continue;
      const name = path.split(sep).join('/');
      const taken = entryNameTaken(source, name, displayPath, specifier);
      if (taken) throw taken;
      if (found.has(name)) continue;
      found.add(name);
      if (isSourceFile(name)) toRead.push(target);
    }
  }
  return [...found].sort();
}

/** The file a relative import names, as Node (then TypeScript) resolves it. */
function resolveFile(target: string): string | undefined {
  return relativeCandidates(target).find((path) => statIfAny(path)?.isFile());
}
