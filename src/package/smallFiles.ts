import { readFileSync, statSync, type Stats } from 'node:fs';

// What packaging reads before it knows whether anything changed (package.json, the lockfile,
// tsconfig.json, the build stamp, a few stats) is read in line: each await through libuv's
// thread pool cost about a millisecond on a busy machine, more than the read itself, and an
// unchanged `bam package` is made of little else.

/** A small file's text; undefined when it cannot be read (missing, a folder, no permission). */
export function readTextIfAny(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** stat(2) (following symlinks); undefined when there is nothing to stat. */
export function statIfAny(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
