// What code a function's sandbox loads, and which files belong to it (a change to any of them
// reloads it). Today a sandbox imports the function's own entry file from disk and its files are
// those of its folder; building the function in memory first (one bundle) changes only this module.
import { watch, type FSWatcher } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { FunctionSource } from '../package/source.js';

/** What a sandbox is told to load. */
export interface FunctionCode {
  entryFile: string;
}

export function codeOf(source: FunctionSource): FunctionCode {
  return { entryFile: source.entryFile };
}

/** Stops watching. */
export type StopWatching = () => void;

const SCRIPT_FILES = ['.js', '.mjs', '.cjs', '.json', '.ts', '.mts', '.cts', '.tsx'];

/**
 * Calls `onChange` when a file of the function changes: for a single-file function any script
 * beside it (it may require its neighbours), for a folder anything in it.
 *
 * Each folder gets its own (non-recursive) watch, which Node serves straight from the OS's
 * file-change events (inotify on Linux): the OS queues the event during the write itself, so it is
 * waiting to be read before any request sent after the write. (Node's `recursive` watch on Linux
 * reports changes some milliseconds later, so it is not used.) Inside `node_modules` only the
 * folder itself is watched: installing or removing a package reloads, editing one does not.
 */
export function watchFunctionFiles(source: FunctionSource, onChange: () => void): StopWatching {
  const watchers = new Map<string, FSWatcher>();
  let stopped = false;
  const watchFolder = (folder: string, relevant: (file: string | null) => boolean): void => {
    if (stopped || watchers.has(folder)) return;
    try {
      const watcher = watch(folder, { persistent: false }, (event, file) => {
        if (!relevant(file)) return;
        onChange();
        // A new folder inside a folder function is watched too.
        if (event === 'rename' && source.kind === 'dir' && file !== null && basename(folder) !== 'node_modules') void watchTree(join(folder, file));
      });
      watcher.on('error', () => {
        watcher.close();
        watchers.delete(folder);
      });
      watchers.set(folder, watcher);
    } catch {
      // The folder vanished (or is not one): nothing to watch.
    }
  };
  const watchTree = async (folder: string): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true }).catch(() => undefined);
    if (!entries) return;
    watchFolder(folder, () => true);
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name === '.git') continue;
      if (entry.name === 'node_modules') watchFolder(join(folder, entry.name), () => true);
      else await watchTree(join(folder, entry.name));
    }
  };
  if (source.kind === 'file') {
    const own = basename(source.sourcePath);
    watchFolder(dirname(source.sourcePath), (file) => file === null || file === own || SCRIPT_FILES.includes(extname(file)));
  } else {
    // The top folder synchronously, so a change right after start is seen; the subfolders as they are found.
    watchFolder(source.sourcePath, () => true);
    void watchTree(source.sourcePath);
  }
  return () => {
    stopped = true;
    for (const watcher of watchers.values()) watcher.close();
    watchers.clear();
  };
}
