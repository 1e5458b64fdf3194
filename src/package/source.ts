import { readdirSync, type Dirent } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { BamError } from '../core/errors.js';
import { statIfAny } from './smallFiles.js';

export type EntryName = `index${(typeof EXTENSIONS)[number]}`;

/** Where a function's code lives and how it is staged. */
export interface FunctionSource {
  name: string;
  /** Absolute path of the single file or of the function's folder. */
  sourcePath: string;
  kind: 'file' | 'dir';
  /** Absolute path of the entry file (the file itself, or the folder's index.*). */
  entryFile: string;
  /** The entry's name once staged; the handler is always index.handler. */
  entryName: EntryName;
}

/** The folder the function's code lives in: its own folder, or the folder holding the single file. */
export function sourceFolder(source: FunctionSource): string {
  return source.kind === 'dir' ? source.sourcePath : dirname(source.entryFile);
}

/** JavaScript first: a compiled hello.js beside hello.ts keeps meaning what it meant before. */
const EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'] as const;

/**
 * Finds a function's code: NAME.js|.mjs|.cjs|.ts|.mts|.cts or NAME/index.* in cwd, or --src PATH
 * (a file, a function folder with index.*, or a folder holding NAME.* / NAME/).
 */
export function findSource(name: string, options: { cwd: string; src?: string }): Promise<FunctionSource> {
  // A promise all the same: not finding it rejects. The stats are in line (see smallFiles.ts).
  return new Promise((settle) => settle(sourceOf(name, options)));
}

function sourceOf(name: string, options: { cwd: string; src?: string }): FunctionSource {
  const tried: string[] = [];
  if (options.src !== undefined) {
    const path = resolve(options.cwd, options.src);
    const kind = pathKind(path);
    tried.push(path);
    if (kind === 'file') return fileSource(name, path);
    if (kind === 'dir') {
      const found = findFolderEntry(name, path, tried) ?? findInFolder(name, path, tried);
      if (found) return found;
    }
  } else {
    const found = findInFolder(name, options.cwd, tried);
    if (found) return found;
  }
  const near = closestFunctionName(name, options.src === undefined ? options.cwd : resolve(options.cwd, options.src));
  const hint = near ? ` Did you mean ${near}?` : '';
  throw new BamError(`Could not find the code of "${name}".${hint} Tried: ${tried.join(', ')}. Create it with: bam create ${name}, or point to it with --src PATH.`);
}

/** A function in the folder whose name is one or two edits from `name` (a typo), if there is one. */
function closestFunctionName(name: string, folder: string): string | undefined {
  let entries: Dirent[];
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch {
    return undefined;
  }
  const names = entries.flatMap((entry) => {
    if (entry.isDirectory()) return EXTENSIONS.some((ext) => pathKind(join(folder, entry.name, `index${ext}`)) === 'file') ? [entry.name] : [];
    const ext = extname(entry.name);
    return isEntryExtension(ext) ? [basename(entry.name, ext)] : [];
  });
  const scored = names.map((candidate) => ({ candidate, distance: editDistance(name, candidate) })).filter(({ distance }) => distance > 0 && distance <= Math.min(2, name.length - 1));
  return scored.sort((a, b) => a.distance - b.distance || (a.candidate < b.candidate ? -1 : 1))[0]?.candidate;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/** NAME.js|mjs|cjs|ts|mts|cts, then NAME/index.*, inside a folder. */
function findInFolder(name: string, folder: string, tried: string[]): FunctionSource | undefined {
  for (const ext of EXTENSIONS) {
    const path = join(folder, `${name}${ext}`);
    tried.push(path);
    if (pathKind(path) === 'file') return fileSource(name, path);
  }
  const dir = join(folder, name);
  if (pathKind(dir) === 'dir') return findFolderEntry(name, dir, tried);
  tried.push(join(dir, 'index.js|mjs|cjs|ts|mts|cts'));
  return undefined;
}

/** A function folder: its index.js|mjs|cjs|ts|mts|cts is the entry. */
function findFolderEntry(name: string, dir: string, tried: string[]): FunctionSource | undefined {
  for (const ext of EXTENSIONS) {
    const entryFile = join(dir, `index${ext}`);
    tried.push(entryFile);
    if (pathKind(entryFile) === 'file') {
      return { name, sourcePath: dir, kind: 'dir', entryFile, entryName: `index${ext}` };
    }
  }
  return undefined;
}

function fileSource(name: string, path: string): FunctionSource {
  const ext = extname(path);
  if (!isEntryExtension(ext)) {
    throw new BamError(`${basename(path)} is not a JavaScript or TypeScript file; a function is a .js, .mjs, .cjs, .ts, .mts or .cts file (or a folder with index.js or index.ts).`);
  }
  return { name, sourcePath: path, kind: 'file', entryFile: path, entryName: `index${ext}` };
}

function isEntryExtension(ext: string): ext is (typeof EXTENSIONS)[number] {
  return (EXTENSIONS as readonly string[]).includes(ext);
}

function pathKind(path: string): 'file' | 'dir' | undefined {
  const info = statIfAny(path);
  return info?.isFile() ? 'file' : info?.isDirectory() ? 'dir' : undefined;
}
