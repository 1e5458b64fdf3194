/**
 * What a watched function's build reads: files watched one by one, and folders watched whole
 * (a new file in a function folder may be required by the next build). Packaging says which.
 */
export interface BuildInputs {
  files: string[];
  folders: string[];
}

// Editors save through files of their own: vim's swap files and its 4913 write test, backups
// ending in ~, Emacs lock (.#x) and autosave (#x#) files, JetBrains' safe-write copies, macOS
// and Chrome leftovers. A save through them ends with the real file changing, which counts.
const EDITOR_TEMP = [/\.sw[a-px]$/, /~$/, /^4913$/, /^\.#/, /^#.*#$/, /___jb_(tmp|old)___$/, /^\.DS_Store$/, /\.crswap$/, /\.tmp$/];
// Never part of a function's code (node_modules is installed in staging from package.json).
const NEVER_INPUT = /(^|[\\/])(node_modules|\.git|\.bam)([\\/]|$)/;

/** A changed path (relative to a watched folder) that is an editor's temporary file, or never an input. */
export function isIgnoredChange(relativePath: string): boolean {
  if (NEVER_INPUT.test(relativePath)) return true;
  const name = relativePath.split(/[\\/]/).pop() ?? relativePath;
  return EDITOR_TEMP.some((pattern) => pattern.test(name));
}
