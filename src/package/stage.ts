import { copyFile, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FunctionSource } from './source.js';
import { readIgnoreRule } from './ignore.js';
import { makePrivateFolder } from '../store/paths.js';

/** Kept in staging between runs: the installed packages and the record of what they are. */
export const INSTALL_STAMP = '.bam-install.json';
const KEPT_BETWEEN_RUNS = new Set(['node_modules', INSTALL_STAMP]);

/** One file of the function as staged. */
export interface StagedFile {
  /** Path inside staging, with `/` (also its name in the zip). */
  relativePath: string;
  /** Where it came from in the user's folder. */
  sourcePath: string;
}

/** The name the zip has inside staging; never part of the package itself. */
export function zipFileName(name: string): string {
  return `${name}.zip`;
}

/**
 * Copies the function's files into staging (a single file becomes index.*; a folder is copied
 * whole, minus skipped paths). Files left from an earlier run are removed first; only
 * node_modules survives, as an install cache. The user's folder is only read. Staging's folders
 * are 0700: the code and its settings are the user's alone.
 */
export async function stageFiles(source: FunctionSource, stagingDir: string): Promise<StagedFile[]> {
  await makePrivateFolder(stagingDir);
  await removeStaleFiles(stagingDir);
  if (source.kind === 'file') {
    await copyFile(source.entryFile, join(stagingDir, source.entryName));
    return [{ relativePath: source.entryName, sourcePath: source.entryFile }];
  }
  const files = await listFunctionFiles(source.sourcePath, new Set([zipFileName(source.name), ...KEPT_BETWEEN_RUNS]));
  // Folders first, one by one: each is 0700 before a file lands in it.
  for (const folder of new Set(files.map((file) => dirname(join(stagingDir, file.relativePath))))) await makePrivateFolder(folder);
  await Promise.all(files.map((file) => copyFile(file.sourcePath, join(stagingDir, file.relativePath))));
  return files;
}

async function removeStaleFiles(stagingDir: string): Promise<void> {
  const entries = await readdir(stagingDir);
  await Promise.all(entries.filter((e) => !KEPT_BETWEEN_RUNS.has(e)).map((e) => rm(join(stagingDir, e), { recursive: true, force: true })));
}

/** Every file under a function folder that is not ignored, sorted; `reserved` names at its root are bam's. */
async function listFunctionFiles(folder: string, reserved: Set<string>): Promise<StagedFile[]> {
  const ignored = await readIgnoreRule(folder);
  const files: StagedFile[] = [];
  // Directory identities on the current path: a symlink back to an ancestor would loop forever.
  const visit = async (relativeDir: string, ancestors: Set<string>): Promise<void> => {
    const entries = await readdir(join(folder, relativeDir));
    await Promise.all(entries.map(async (entry) => {
      const relativePath = relativeDir === '' ? entry : `${relativeDir}/${entry}`;
      if (relativeDir === '' && reserved.has(entry)) return;
      const sourcePath = join(folder, relativePath);
      // stat (not lstat): a symlink in the user's folder ships what it points to.
      const info = await stat(sourcePath).catch(() => undefined);
      if (!info || ignored(relativePath, info.isDirectory())) return;
      if (info.isDirectory()) {
        const id = `${info.dev}:${info.ino}`;
        if (!ancestors.has(id)) await visit(relativePath, new Set(ancestors).add(id));
      } else if (info.isFile()) {
        files.push({ relativePath, sourcePath });
      }
    }));
  };
  const root = await stat(folder);
  await visit('', new Set([`${root.dev}:${root.ino}`]));
  return files.sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0));
}
