// What code a function's sandbox loads, and which files belong to it (a change to any of them
// reloads it). A bundled function (the default) is built in memory with deploy's esbuild options
// (src/dev/functionBuild.ts) and its sandbox loads that one file; its files are the bundle's
// inputs. With --no-bundle a sandbox imports the entry file from disk, as before, and its files
// are those of its folder.
import { watch, type FSWatcher } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FunctionSource } from '../package/source.js';
import { FunctionBuild, isScriptFile, type BuildSettings } from './functionBuild.js';

/** What a sandbox is told to load. */
export interface FunctionCode {
  entryFile: string;
  /** The folders of the files it is built from (a bundle's): a sandbox owning connections watches them itself. */
  watchFolders?: string[];
}

/** The code as the function's files are now, or the one line saying why it does not build. */
export type CodeState = { ok: true; code: FunctionCode } | { ok: false; error: string };

/** Stops watching. */
export type StopWatching = () => void;

/** Where a function's code comes from: built on demand, and watched for changes. */
export interface CodeSource {
  /** The code of the files as they are now (a bundle is rebuilt incrementally). */
  build(): Promise<CodeState>;
  /** Calls `onChange` when a file the code is made of changes. */
  watch(onChange: () => void): StopWatching;
  close(): Promise<void>;
}

/** How bam dev builds a function: deploy's bundle (with its settings), or --no-bundle's files as they are. */
export type CodeSettings = ({ bundle: true } & BuildSettings) | { bundle: false };

export function codeSource(source: FunctionSource, settings: CodeSettings): CodeSource {
  if (settings.bundle) return new FunctionBuild(source, settings);
  return {
    build: () => Promise.resolve({ ok: true, code: { entryFile: source.entryFile } }),
    watch: (onChange) => watchFunctionFiles(source, onChange),
    close: () => Promise.resolve(),
  };
}

/**
 * --no-bundle: calls `onChange` when a file of the function changes: for a single-file function
 * any script beside it (it may require its neighbours), for a folder anything in it.
 *
 * Each folder gets its own (non-recursive) watch, which Node serves straight from the OS's
 * file-change events (inotify on Linux): the OS queues the event during the write itself, so it is
 * waiting to be read before any request sent after the write. (Node's `recursive` watch on Linux
 * reports changes some milliseconds later, so it is not used.) Inside `node_modules` only the
 * folder itself is watched: installing or removing a package reloads, editing one does not.
 */
function watchFunctionFiles(source: FunctionSource, onChange: () => void): StopWatching {
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
    watchFolder(dirname(source.sourcePath), (file) => file === null || file === own || isScriptFile(file));
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
