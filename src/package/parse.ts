import { parse, type Comment, type Program } from 'acorn';
import { BamError } from '../core/errors.js';

/** Acorn's SyntaxError carries where it stopped; its type declarations do not say so. */
interface AcornSyntaxError extends SyntaxError {
  pos: number;
  loc: { line: number; column: number };
}

function isAcornError(err: unknown): err is AcornSyntaxError {
  return err instanceof SyntaxError && typeof (err as Partial<AcornSyntaxError>).pos === 'number';
}

export interface ParsedFile {
  program: Program;
  comments: Comment[];
}

/**
 * Parses a JavaScript file without running it: as an ES module first, then as a CommonJS script
 * (which may `return` at top level or use sloppy-mode syntax). `.mjs` is only a module and `.cjs`
 * only a script. A file neither accepts is a BamError `file:line:column message`, taken from the
 * attempt that got further (the likelier intended mode).
 */
export function parseJavaScript(text: string, displayPath: string): ParsedFile {
  const modes: ('module' | 'script')[] = displayPath.endsWith('.mjs') ? ['module'] : displayPath.endsWith('.cjs') ? ['script'] : ['module', 'script'];
  let furthest: AcornSyntaxError | undefined;
  for (const sourceType of modes) {
    const comments: Comment[] = [];
    try {
      const program = parse(text, {
        ecmaVersion: 'latest',
        sourceType,
        allowHashBang: true,
        allowReturnOutsideFunction: sourceType === 'script',
        locations: false,
        onComment: comments,
      });
      return { program, comments };
    } catch (err) {
      if (!isAcornError(err)) throw err;
      if (!furthest || err.pos > furthest.pos) furthest = err;
    }
  }
  const { line, column } = furthest!.loc;
  const message = furthest!.message.replace(/\s*\(\d+:\d+\)$/, '');
  throw new BamError(`${displayPath}:${line}:${column + 1}: ${message}. Fix the syntax error and try again.`, { cause: furthest });
}
