import { isAbsolute, relative } from 'node:path';

/** Paths under the working folder are shown relative to it, others in full. */
export function displayPathOf(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
