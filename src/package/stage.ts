import { chmod, open, rm, stat, utimes } from 'node:fs/promises';
import { copyFileSync, linkSync, lstatSync, readdirSync, realpathSync, statSync, utimesSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FunctionSource } from './source.js';
import { readIgnoreRule } from './ignore.js';
import { makePrivateFolder } from '../store/paths.js';

/** Where bam writes the bundle (or, with --no-bundle, the compiled TypeScript) inside staging. */
export const BUILD_DIR = '.bam-build';

/** One file of the function as staged. */
export interface StagedFile {
  /** Path inside staging, with `/` (also its name in the zip). */
  relativePath: string;
  /** Where it came from in the user's folder. */
  sourcePath: string;
  /** The source's size and date when staged (what says, next time, that nothing changed). */
  size: number;
  mtimeMs: number;
}

/** The name the zip has inside staging; never part of the package itself. */
export function zipFileName(name: string): string {
  return `${name}.zip`;
}

/** The bundle's source map, beside the zip: for the developer's tools, never shipped. */
export function sourceMapFileName(name: string): string {
  return `${name}.map`;
}

/** bam's own names at staging's root: never the user's files, never removed as stale. */
function reservedNames(name: string): Set<string> {
  return new Set([zipFileName(name), sourceMapFileName(name), 'node_modules', BUILD_DIR]);
}

/**
 * The function's files as its source has them (a single file becomes index.*; a folder is taken
 * whole, minus skipped paths), found with stat calls only: enough for the build stamp to say
 * nothing changed before staging is touched at all. A single file's `localImports` (paths from
 * its folder) are staged with it; one that is gone is left out.
 */
export async function findFunctionFiles(source: FunctionSource, localImports: string[] = []): Promise<FunctionFile[]> {
  if (source.kind === 'dir') return listFunctionFiles(source.sourcePath, reservedNames(source.name));
  const entry = functionFile(source.entryName, source.entryFile, await stat(source.entryFile), lstatSync(source.entryFile).isSymbolicLink());
  const folder = dirname(source.entryFile);
  const locals = localImports.flatMap((relativePath) => {
    const sourcePath = join(folder, relativePath);
    const info = statSync(sourcePath, { throwIfNoEntry: false });
    return info?.isFile() ? [functionFile(relativePath, sourcePath, info, lstatSync(sourcePath).isSymbolicLink())] : [];
  });
  return [entry, ...locals];
}

/**
 * Brings staging in line with the function's files. Each staged file is a hard link to the
 * user's file where the file system allows (one directory entry instead of a whole copy: a
 * function of thousands of small files stages in a fraction of the time), a copy otherwise (on
 * another file system). Only what changed is replaced: a link to the same file, or a copy whose
 * size and date match, is left alone; files gone from the source are removed. bam never writes
 * into a staged file (a link's content is the user's file): it replaces it. Staging's folders are
 * 0700: the code and its settings are the user's alone.
 */
export async function stageFiles(source: FunctionSource, stagingDir: string, found?: FunctionFile[]): Promise<StagedFile[]> {
  const files = found ?? (await findFunctionFiles(source));
  await makePrivateFolder(stagingDir);
  await removeStaleFiles(stagingDir, new Set(files.map((file) => file.relativePath)), reservedNames(source.name));
  // Folders first, one by one: each is 0700 before a file lands in it.
  for (const folder of new Set(files.map((file) => dirname(join(stagingDir, file.relativePath))))) await makePrivateFolder(folder);
  const place = filePlacer();
  await Promise.all(files.map((file) => syncFile(file, join(stagingDir, file.relativePath), place)));
  return files;
}

/** Removes what staging holds beyond `wanted` (and bam's reserved names at the root). */
async function removeStaleFiles(stagingDir: string, wanted: Set<string>, reserved: Set<string>): Promise<void> {
  const wantedFolders = new Set<string>();
  for (const path of wanted) for (let dir = path; dir.includes('/'); ) wantedFolders.add((dir = dir.slice(0, dir.lastIndexOf('/'))));
  const stale: string[] = [];
  const visit = (relativeDir: string): void => {
    for (const entry of readdirSync(join(stagingDir, relativeDir), { withFileTypes: true })) {
      if (relativeDir === '' && reserved.has(entry.name)) continue;
      const relativePath = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      if (entry.isDirectory() && wantedFolders.has(relativePath)) visit(relativePath);
      else if (entry.isDirectory() || !wanted.has(relativePath)) stale.push(join(stagingDir, relativePath));
    }
  };
  visit('');
  await Promise.all(stale.map((path) => rm(path, { recursive: true, force: true })));
}

/** Replaces a staged file only when it differs from the user's. */
async function syncFile(file: FunctionFile, stagedPath: string, place: FilePlacer): Promise<void> {
  const from = file;
  const to = statSync(stagedPath, { throwIfNoEntry: false });
  if (to && to.ino === from.ino && to.dev === from.dev) return; // a link to the file itself: nothing can differ
  // A copy of bam's own (one link) may get the source's date and mode; a file with other links may be the user's.
  if (to?.isFile() && to.nlink === 1 && to.size === from.size) {
    // utimes keeps about a millisecond (seconds as a double): closer than that is the date bam set.
    if (Math.abs(to.mtimeMs - from.mtimeMs) >= 1) {
      if (!(await sameContent(file.sourcePath, stagedPath, from.size))) {
        await rm(stagedPath, { force: true });
        return place(file, stagedPath);
      }
      await utimes(stagedPath, from.atimeMs / 1000, from.mtimeMs / 1000);
    }
    // zip reads the exec bit, so a chmod +x alone must reach staging too.
    if ((to.mode & 0o777) !== (from.mode & 0o777)) await chmod(stagedPath, from.mode & 0o777);
    return;
  }
  if (to) await rm(stagedPath, { recursive: true, force: true });
  place(file, stagedPath);
}

type FilePlacer = (file: FunctionFile, stagedPath: string) => void;

/** What link(2) answers when this file system (or this pair of them) cannot hard-link: copy instead. */
const NO_HARD_LINKS = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'EACCES', 'ENOSYS']);

/**
 * Links, or copies once linking is refused (then for the rest of the run). Synchronous, like the
 * listing: thousands of small operations through the thread pool take several times longer. A
 * symlink in the user's folder is linked at what it points to (link(2) would link the symlink).
 */
function filePlacer(): FilePlacer {
  let linking = true;
  return (file, stagedPath) => {
    if (linking) {
      try {
        linkSync(file.symlink ? realpathSync.native(file.sourcePath) : file.sourcePath, stagedPath);
        return;
      } catch (err) {
        if (!NO_HARD_LINKS.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
        linking = false;
      }
    }
    // The copy keeps the source's date, so next time a stat says it all.
    copyFileSync(file.sourcePath, stagedPath);
    utimesSync(stagedPath, file.atimeMs / 1000, file.mtimeMs / 1000);
  };
}

const COMPARE_CHUNK = 64 * 1024;

async function sameContent(a: string, b: string, size: number): Promise<boolean> {
  const [fa, fb] = await Promise.all([open(a, 'r'), open(b, 'r')]);
  try {
    const bufferA = Buffer.alloc(Math.min(COMPARE_CHUNK, size));
    const bufferB = Buffer.alloc(bufferA.length);
    for (let offset = 0; offset < size; offset += bufferA.length) {
      const [ra, rb] = await Promise.all([fa.read(bufferA, 0, bufferA.length, offset), fb.read(bufferB, 0, bufferB.length, offset)]);
      if (ra.bytesRead !== rb.bytesRead || !bufferA.subarray(0, ra.bytesRead).equals(bufferB.subarray(0, rb.bytesRead))) return false;
      if (ra.bytesRead === 0) break;
    }
    return true;
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

/**
 * A file of the function in the user's folder, with what staging needs of its stat: one flat
 * object, not the Stats itself (kept for thousands of files, objects and dates cost the garbage
 * collector more than the stat calls cost).
 */
export interface FunctionFile extends StagedFile {
  atimeMs: number;
  mode: number;
  ino: number;
  dev: number;
  /** The name is a symlink (the stat describes what it points to). */
  symlink: boolean;
}

function functionFile(relativePath: string, sourcePath: string, { size, mtimeMs, atimeMs, mode, ino, dev }: Stats, symlink: boolean): FunctionFile {
  return { relativePath, sourcePath, size, mtimeMs, atimeMs, mode, ino, dev, symlink };
}

/** Every file under a function folder that is not ignored, sorted; `reserved` names at its root are bam's. */
function listFunctionFiles(folder: string, reserved: Set<string>): FunctionFile[] {
  const ignored = readIgnoreRule(folder);
  const files: FunctionFile[] = [];
  // Synchronous on purpose, like the zip's reads: thousands of stats through the thread pool
  // cost several times more than in line. A folder's type comes with its listing, so only files
  // and symlinks are stat'ed. `realDirs` are the real paths of the folders on the current path:
  // a symlink back to one of them would loop forever.
  const visit = (dir: string, relativeDir: string, realDirs: string[]): void => {
    for (const dirent of readdirSync(dir, { withFileTypes: true })) {
      const entry = dirent.name;
      if (relativeDir === '' && reserved.has(entry)) continue;
      const relativePath = relativeDir === '' ? entry : `${relativeDir}/${entry}`;
      const sourcePath = `${dir}/${entry}`;
      if (dirent.isDirectory()) {
        if (!ignored(relativePath, true)) visit(sourcePath, relativePath, [...realDirs, join(realDirs.at(-1)!, entry)]);
        continue;
      }
      // stat (not lstat): a symlink in the user's folder ships what it points to.
      const info = statSync(sourcePath, { throwIfNoEntry: false });
      if (!info || ignored(relativePath, info.isDirectory())) continue;
      if (info.isDirectory()) {
        const real = realpathSync.native(sourcePath);
        if (!realDirs.includes(real)) visit(sourcePath, relativePath, [...realDirs, real]);
      } else if (info.isFile()) {
        files.push(functionFile(relativePath, sourcePath, info, dirent.isSymbolicLink()));
      }
    }
  };
  visit(folder.replace(/\/+$/, ''), '', [realpathSync.native(folder)]);
  return files.sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0));
}
