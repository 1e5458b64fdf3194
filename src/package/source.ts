import { stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { BamError } from '../core/errors.js';

export type EntryName = 'index.js' | 'index.mjs' | 'index.cjs';

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

const EXTENSIONS = ['.js', '.mjs', '.cjs'] as const;

/**
 * Finds a function's code: NAME.js|.mjs|.cjs or NAME/index.js|.mjs|.cjs in cwd, or --src PATH
 * (a file, a function folder with index.*, or a folder holding NAME.* / NAME/).
 */
export async function findSource(name: string, options: { cwd: string; src?: string }): Promise<FunctionSource> {
  const tried: string[] = [];
  if (options.src !== undefined) {
    const path = resolve(options.cwd, options.src);
    const kind = await pathKind(path);
    tried.push(path);
    if (kind === 'file') return fileSource(name, path);
    if (kind === 'dir') {
      const found = (await findFolderEntry(name, path, tried)) ?? (await findInFolder(name, path, tried));
      if (found) return found;
    }
  } else {
    const found = await findInFolder(name, options.cwd, tried);
    if (found) return found;
  }
  const typescript = await findTypeScript(name, options.src === undefined ? options.cwd : resolve(options.cwd, options.src));
  if (typescript) throw new BamError(`Found ${typescript}, but bam deploys JavaScript: ${COMPILE_FIRST}`);
  throw new BamError(`Could not find the code of "${name}". Tried: ${tried.join(', ')}. Create it with: bam create ${name}, or point to it with --src PATH.`);
}

const COMPILE_FIRST = 'compile TypeScript to JavaScript first (e.g. npx tsc) and point bam at the .js output with --src PATH.';

/** NAME.ts or NAME/index.ts where the JavaScript was looked for (relative to that folder). */
async function findTypeScript(name: string, folder: string): Promise<string | undefined> {
  for (const candidate of [`${name}.ts`, `${name}.mts`, `${name}.cts`, join(name, 'index.ts'), join(name, 'index.mts'), join(name, 'index.cts')]) {
    if ((await pathKind(join(folder, candidate))) === 'file') return candidate;
  }
  return undefined;
}

/** NAME.js|mjs|cjs, then NAME/index.*, inside a folder. */
async function findInFolder(name: string, folder: string, tried: string[]): Promise<FunctionSource | undefined> {
  for (const ext of EXTENSIONS) {
    const path = join(folder, `${name}${ext}`);
    tried.push(path);
    if ((await pathKind(path)) === 'file') return fileSource(name, path);
  }
  const dir = join(folder, name);
  if ((await pathKind(dir)) === 'dir') return findFolderEntry(name, dir, tried);
  tried.push(join(dir, 'index.js|mjs|cjs'));
  return undefined;
}

/** A function folder: its index.js|mjs|cjs is the entry. */
async function findFolderEntry(name: string, dir: string, tried: string[]): Promise<FunctionSource | undefined> {
  for (const ext of EXTENSIONS) {
    const entryFile = join(dir, `index${ext}`);
    tried.push(entryFile);
    if ((await pathKind(entryFile)) === 'file') {
      return { name, sourcePath: dir, kind: 'dir', entryFile, entryName: `index${ext}` };
    }
  }
  return undefined;
}

function fileSource(name: string, path: string): FunctionSource {
  const ext = extname(path);
  if (!isEntryExtension(ext)) {
    if (/^\.[mc]?ts$/.test(ext)) throw new BamError(`${basename(path)} is not a JavaScript file: ${COMPILE_FIRST}`);
    throw new BamError(`${basename(path)} is not a JavaScript file; a function is a .js, .mjs or .cjs file (or a folder with index.js).`);
  }
  return { name, sourcePath: path, kind: 'file', entryFile: path, entryName: `index${ext}` };
}

function isEntryExtension(ext: string): ext is (typeof EXTENSIONS)[number] {
  return (EXTENSIONS as readonly string[]).includes(ext);
}

async function pathKind(path: string): Promise<'file' | 'dir' | undefined> {
  try {
    const info = await stat(path);
    if (info.isFile()) return 'file';
    if (info.isDirectory()) return 'dir';
    return undefined;
  } catch {
    return undefined;
  }
}
