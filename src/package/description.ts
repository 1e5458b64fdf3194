import type { Comment } from 'acorn';
import { readFile } from 'node:fs/promises';
import { DEFAULT_METHODS, declaredMethods } from '../core/methods.js';
import { findSource } from './source.js';

/** Lambda's limit on Description. */
const MAX_DESCRIPTION = 256;

/**
 * The text after `// description:` in the comments before the first statement (BAM!'s
 * convention), trimmed; '' when there is none.
 */
export function readDescription(comments: Comment[], firstStatementStart: number): string {
  for (const comment of comments) {
    if (comment.start >= firstStatementStart) break;
    if (comment.type !== 'Line') continue;
    const match = /^\s*description:(.*)$/i.exec(comment.value);
    if (match) return (match[1] ?? '').trim().slice(0, MAX_DESCRIPTION);
  }
  return '';
}

/**
 * The methods the function's entry file declares with `// methods:`, else GET: what deploy
 * enables when no --methods is given. A missing or unreadable source leaves the default; the
 * source checks that follow say what is wrong with it.
 */
export async function defaultMethods(name: string, options: { cwd: string; src?: string }): Promise<string[]> {
  const source = await findSource(name, options).catch(() => undefined);
  const text = source ? await readFile(source.entryFile, 'utf8').catch(() => '') : '';
  return declaredMethods(text) ?? DEFAULT_METHODS;
}
