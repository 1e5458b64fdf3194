import type { Comment } from 'acorn';
import type { Loader, TransformFailure } from 'esbuild';
import { BamError } from '../core/errors.js';
import { parseJavaScript, type ParsedFile } from './parse.js';

/** Files esbuild turns into JavaScript before acorn (or Node, with --no-bundle) can read them. */
export function loaderFor(path: string): Loader | undefined {
  if (/\.[mc]?ts$/.test(path)) return 'ts';
  if (path.endsWith('.tsx')) return 'tsx';
  if (path.endsWith('.jsx')) return 'jsx';
  return undefined;
}

/** index.ts → index.js, lib/a.mts → lib/a.mjs, b.cts → b.cjs, c.tsx → c.js. */
export function javaScriptName(path: string): string {
  return path.replace(/\.([mc]?)tsx?$/, '.$1js').replace(/\.jsx$/, '.js');
}

export interface TranspileOptions {
  /** tsconfig's options for compiling one file (see TsConfig.compile). */
  compile: Record<string, string | boolean>;
  /** Only for --no-bundle: the module format Node will load the file as. */
  format?: 'esm' | 'cjs';
}

/**
 * Types stripped, JSX turned into calls, nothing checked (tsc --noEmit does that). A syntax error
 * is a BamError `file:line:column message`, like acorn's for JavaScript.
 */
export async function transpile(text: string, path: string, displayPath: string, options: TranspileOptions): Promise<string> {
  const { transform } = await import('esbuild');
  try {
    const result = await transform(text, {
      loader: loaderFor(path) ?? 'js',
      sourcefile: displayPath,
      tsconfigRaw: { compilerOptions: options.compile },
      ...(options.format ? { format: options.format, platform: 'node' } : {}),
      logLevel: 'silent',
    });
    return result.code;
  } catch (err) {
    const first = (err as TransformFailure).errors?.[0];
    if (!first) throw err;
    const where = first.location ? `${displayPath}:${first.location.line}:${first.location.column + 1}` : displayPath;
    throw new BamError(`${where}: ${first.text}. Fix the syntax error and try again.`, { cause: err });
  }
}

/**
 * The comments before the first statement, read from the source itself (esbuild drops comments),
 * so `// description:` works in TypeScript as in JavaScript.
 */
export function leadingComments(text: string): Comment[] {
  const comments: Comment[] = [];
  let i = text.startsWith('#!') ? text.indexOf('\n') + 1 || text.length : 0;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i += 1;
    if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i) === -1 ? text.length : text.indexOf('\n', i);
      comments.push({ type: 'Line', value: text.slice(i + 2, end), start: i, end });
      i = end;
    } else if (text.startsWith('/*', i)) {
      const close = text.indexOf('*/', i + 2);
      const end = close === -1 ? text.length : close + 2;
      comments.push({ type: 'Block', value: text.slice(i + 2, Math.max(i + 2, end - 2)), start: i, end });
      i = end;
    } else {
      return comments;
    }
  }
}

/** A parsed source file, and where its header (the comments `// description:` is read from) ends. */
export interface ParsedSource extends ParsedFile {
  headerEnd: number;
}

/** JavaScript parsed as written; TypeScript and JSX parsed once esbuild has made JavaScript of them. */
export async function parseSourceFile(text: string, path: string, displayPath: string, compile: Record<string, string | boolean>): Promise<ParsedSource> {
  if (loaderFor(path) === undefined) {
    const parsed = parseJavaScript(text, displayPath);
    return { ...parsed, headerEnd: parsed.program.body[0]?.start ?? parsed.program.end };
  }
  // esbuild keeps the module syntax as written (a .cts may still say `export`): acorn tries both.
  const { program } = parseJavaScript(await transpile(text, path, displayPath, { compile }), displayPath.replace(/\.[mc]?[jt]sx?$/, '.js'));
  return { program, comments: leadingComments(text), headerEnd: Number.POSITIVE_INFINITY };
}
