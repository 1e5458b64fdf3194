import type { Comment } from 'acorn';

/** Lambda's limit on Description. */
const MAX_DESCRIPTION = 256;

/**
 * The text after `// description:` in the comments before the first statement (BAM!'s
 * convention), trimmed; '' when there is none.
 */
export function readDescription(comments: Comment[], firstStatementStart: number): string {
  const comment = descriptionComment(comments, firstStatementStart);
  const match = comment ? /^\s*description:(.*)$/i.exec(comment.value) : null;
  return match ? (match[1] ?? '').trim().slice(0, MAX_DESCRIPTION) : '';
}

/** The `// description:` comment itself, which the bundle keeps at its top (bam get shows it). */
export function descriptionComment(comments: Comment[], firstStatementStart: number): Comment | undefined {
  for (const comment of comments) {
    if (comment.start >= firstStatementStart) break;
    if (comment.type === 'Line' && /^\s*description:/i.test(comment.value)) return comment;
  }
  return undefined;
}
