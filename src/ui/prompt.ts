import { createInterface } from 'node:readline/promises';
import { UsageError } from '../core/errors.js';

export interface PromptIO {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
}

const defaultIO: PromptIO = { input: process.stdin, output: process.stdout };

/** True when a person can answer prompts. */
export function canPrompt(io: PromptIO = defaultIO): boolean {
  return Boolean(io.input.isTTY);
}

export interface Question {
  text: string;
  /** Answer taken on an empty reply. */
  defaultValue?: string;
  /** Returns a complaint for a bad answer (given the answers so far), or undefined when it is fine. */
  validate?: (answer: string, answers: string[]) => string | undefined;
  /** Skips this question (answer '') given the answers so far, e.g. a follow-up to "none". */
  skip?: (answers: string[]) => boolean;
}

/**
 * Asks the questions in turn; a bad answer is explained and asked again.
 * Typing `q` quits (as in BAM!) and returns undefined.
 */
export async function ask(questions: Question[], io: PromptIO = defaultIO): Promise<string[] | undefined> {
  const rl = createInterface({ input: io.input, output: io.output, terminal: Boolean(io.input.isTTY) });
  const lines = rl[Symbol.asyncIterator]();
  const answers: string[] = [];
  try {
    for (const q of questions) {
      if (q.skip?.(answers)) {
        answers.push('');
        continue;
      }
      for (;;) {
        const hint = q.defaultValue ? ` (${q.defaultValue})` : '';
        io.output.write(`${q.text}${hint}: `);
        const next = await lines.next();
        if (next.done) throw new UsageError('Input ended before every question was answered.');
        const raw = String(next.value).trim();
        if (raw === 'q') return undefined;
        const answer = raw === '' ? (q.defaultValue ?? '') : raw;
        const complaint = q.validate?.(answer, answers);
        if (!complaint) {
          answers.push(answer);
          break;
        }
        io.output.write(`${complaint}\n`);
      }
    }
    return answers;
  } finally {
    rl.close();
  }
}
