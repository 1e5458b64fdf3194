import { readTextIfAny } from './smallFiles.js';
import { join } from 'node:path';

/** Never staged: version control, installed packages (npm reinstalls them), bam's own files. */
const ALWAYS_SKIPPED = new Set(['.git', 'node_modules', '.bam', '.bamignore']);

/**
 * dotenv files hold secrets and Lambda never reads them: they stay out of the zip, and their
 * values reach the function as environment variables with --envFile.
 */
export function isDotenvFile(baseName: string): boolean {
  return baseName === '.env' || baseName.startsWith('.env.');
}

/** Decides whether a path (relative, with `/`) stays out of staging. */
export type IgnoreRule = (relativePath: string, isDirectory: boolean) => boolean;

/** The rule for a function folder: the fixed skips plus its optional .bamignore. */
export function readIgnoreRule(folder: string): IgnoreRule {
  const text = readTextIfAny(join(folder, '.bamignore')) ?? '';
  const patterns = parseIgnoreFile(text);
  return (relativePath, isDirectory) => {
    const base = relativePath.slice(relativePath.lastIndexOf('/') + 1);
    if (ALWAYS_SKIPPED.has(base) || (!isDirectory && isDotenvFile(base))) return true;
    return patterns.some((p) => (!p.directoryOnly || isDirectory) && p.regex.test(relativePath));
  };
}

interface IgnorePattern {
  regex: RegExp;
  directoryOnly: boolean;
}

/**
 * A small gitignore subset: one glob per line, `#` comments, `*` and `?` within a name, `**`
 * across folders, a trailing `/` for folders only, and a `/` inside to anchor at the folder's root
 * (without one the pattern matches a name at any depth).
 */
export function parseIgnoreFile(text: string): IgnorePattern[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const directoryOnly = line.endsWith('/');
      const glob = line.replace(/\/+$/, '');
      const anchored = glob.includes('/');
      const body = globToRegex(glob.replace(/^\//, ''));
      return { regex: new RegExp(`${anchored ? '^' : '^(?:.*/)?'}${body}$`), directoryOnly };
    });
}

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i += 1) {
    const char = glob[i]!;
    if (char === '*' && glob[i + 1] === '*') {
      const slashAfter = glob[i + 2] === '/';
      out += slashAfter ? '(?:.*/)?' : '.*';
      i += slashAfter ? 2 : 1;
    } else if (char === '*') {
      out += '[^/]*';
    } else if (char === '?') {
      out += '[^/]';
    } else {
      out += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return out;
}
