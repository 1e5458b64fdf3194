import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { isIgnoredChange, type BuildInputs } from '../../core/watching.js';

export interface InputWatcher {
  /** Watches these inputs instead (a build may start or stop reading a file). */
  follow(inputs: BuildInputs): void;
  close(): void;
}

/**
 * Calls `onSave` with the path of every input that changes: a watched file, or anything in a
 * watched folder, except editors' temporary files. Single files are watched through their folder
 * (an editor that saves by renaming replaces the file, and a watch on the file itself would end).
 */
export function watchInputs(inputs: BuildInputs, onSave: (path: string) => void): InputWatcher {
  let watchers = new Map<string, FSWatcher>();
  let key = '';
  const follow = (next: BuildInputs): void => {
    const nextKey = JSON.stringify([[...next.files].sort(), [...next.folders].sort()]);
    if (nextKey === key) return;
    key = nextKey;
    const wanted = plan(next);
    for (const [id, watcher] of watchers) if (!wanted.has(id)) watcher.close();
    const kept = new Map<string, FSWatcher>();
    for (const [id, target] of wanted) {
      const open = watchers.get(id) ?? openWatch(target, onSave);
      if (open) kept.set(id, open);
    }
    watchers = kept;
  };
  follow(inputs);
  return {
    follow,
    close: () => {
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}

interface Target {
  dir: string;
  recursive: boolean;
  /** For a folder holding single watched files: their names; undefined: every file counts. */
  names?: Set<string>;
}

function plan(inputs: BuildInputs): Map<string, Target> {
  const targets = new Map<string, Target>();
  const inFolder = (file: string) => inputs.folders.some((folder) => file.startsWith(folder + sep));
  for (const folder of inputs.folders) targets.set(`r:${folder}`, { dir: folder, recursive: true });
  for (const file of inputs.files) {
    if (inFolder(file)) continue;
    const dir = dirname(file);
    const target = targets.get(`f:${dir}`) ?? { dir, recursive: false, names: new Set<string>() };
    target.names!.add(basename(file));
    targets.set(`f:${dir}`, target);
  }
  // The names are part of the identity: a folder watched for other files is watched anew.
  return new Map([...targets.values()].map((target) => [`${target.recursive ? 'r' : 'f'}:${target.dir}:${[...(target.names ?? [])].sort().join('/')}`, target]));
}

function openWatch(target: Target, onSave: (path: string) => void): FSWatcher | undefined {
  try {
    const watcher = watch(target.dir, { recursive: target.recursive, persistent: true }, (_event, file) => {
      // Some platforms do not say which file changed: count it as a save of the whole folder.
      const changed = file === null ? undefined : String(file);
      if (changed !== undefined && isIgnoredChange(changed)) return;
      if (target.names && changed !== undefined && !target.names.has(changed)) return;
      onSave(changed === undefined ? target.dir : join(target.dir, changed));
    });
    // A watched folder that vanishes ends its watch; the next build names what exists.
    watcher.on('error', () => watcher.close());
    return watcher;
  } catch {
    return undefined;
  }
}
