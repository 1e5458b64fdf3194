import type { Comment } from 'acorn';

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
