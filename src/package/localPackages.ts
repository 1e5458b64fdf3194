import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { statIfAny } from './smallFiles.js';

// Apart from install.ts, and read in line (see smallFiles.ts): an unchanged build is recognised
// without loading what installs (npm, child_process).

/**
 * Sizes and dates of every file in the local (file:) packages: their content can change while
 * the spec stays the same, and then the copy in node_modules must be replaced.
 */
export function localPackagesFingerprint(dependencies: Record<string, string>): string {
  const lines: string[] = [];
  const visit = (path: string): void => {
    const info = statIfAny(path);
    if (!info?.isDirectory()) {
      lines.push(`${path} ${info ? `${info.size}:${info.mtimeMs}` : 'missing'}`);
      return;
    }
    for (const name of readdirSync(path)) if (name !== 'node_modules' && name !== '.git') visit(join(path, name));
  };
  for (const spec of Object.values(dependencies)) {
    const path = /^file:(.*)$/.exec(spec)?.[1];
    if (path !== undefined) visit(path);
  }
  return lines.sort().join('\n');
}
