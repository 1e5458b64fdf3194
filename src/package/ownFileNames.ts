// Your own modules in subfolders keep their own __dirname, __filename and import.meta.url in the
// bundle: lib/db.js reading join(__dirname, 'schema.sql') finds lib/schema.sql, as it does with
// --no-bundle (files beside the code are shipped where they are). Bundled as is, every module
// would name the bundle's folder. Top-level modules need nothing: the bundle's folder is theirs.
import { readFile } from 'node:fs/promises';
import { isAbsolute, posix, relative, sep } from 'node:path';
import type { Loader, Plugin } from 'esbuild';
import type { DecoratedCompiler } from './decoratorMetadata.js';
import { COMMENTS_AND_STRINGS, FREE_NAMES, META_NAMES } from './selfLocating.js';
import { javaScriptName, loaderFor } from './typescript.js';

/**
 * The bundle's folder at run time: declared in the bundle's banner (`withFileNames`), or defined
 * as the function's folder by bam dev.
 */
export const BUNDLE_DIRNAME = '__bamDirname';

/** The code declares a name of its own (`const __dirname = dirname(fileURLToPath(import.meta.url))`). */
const DECLARES = /\b(?:var|let|const|function|class)\s+__(?:dir|file)name\b/;
/** A hashbang, comments and a "use strict" directive: declarations go after them (before, the directive would stop being one). */
const PROLOGUE = /^(?:#![^\n]*\n)?(?:\s+|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*(?:(['"])use strict\1;?)?/;

/**
 * The module's code with its own file names, or undefined when it needs none. `path` is its place
 * in the function, with `/` (lib/db.js).
 */
export function withOwnFileNames(code: string, path: string): string | undefined {
  const folder = posix.dirname(path);
  if (folder === '.') return undefined;
  const codeOnly = code.replace(COMMENTS_AND_STRINGS, ' ');
  const free = FREE_NAMES.test(codeOnly) && !DECLARES.test(codeOnly);
  const meta = META_NAMES.test(codeOnly);
  if (!free && !meta) return undefined;
  const dir = `(${BUNDLE_DIRNAME} + ${JSON.stringify(`/${folder}`)})`;
  // TypeScript's file by its JavaScript name, as --no-bundle ships it (lib/db.ts → lib/db.js).
  const file = `(${BUNDLE_DIRNAME} + ${JSON.stringify(`/${javaScriptName(path)}`)})`;
  const names = free ? `var __dirname = ${dir}, __filename = ${file}; ` : '';
  // import.meta cannot be declared: its uses are replaced, outside comments and strings.
  const body = meta
    ? code.replace(new RegExp(`${COMMENTS_AND_STRINGS.source}|${META_NAMES.source}`, 'g'), (token) => {
        if (!token.startsWith('import.meta.')) return token;
        if (token.endsWith('.dirname')) return dir;
        if (token.endsWith('.filename')) return file;
        return `process.getBuiltinModule('node:url').pathToFileURL${file}.href`;
      })
    : code;
  // On the first line, after any "use strict": the lines of a stack trace stay where they were.
  const prologue = PROLOGUE.exec(body)![0];
  return `${prologue}${prologue.length > 0 && !/\s$/.test(prologue) ? ' ' : ''}${names}${body.slice(prologue.length)}`;
}

/**
 * The esbuild plugin: the function's own modules (in `functionDir`, outside node_modules) get
 * their file names, and, when tsconfig asks for decorator metadata, its decorated TypeScript is
 * compiled by the project's TypeScript first (see decoratorMetadata.ts).
 */
export function ownFileNames(functionDir: string, decorated?: DecoratedCompiler): Plugin {
  return {
    name: 'bam-own-file-names',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
        const path = relative(functionDir, args.path);
        if (path.startsWith('..') || isAbsolute(path) || path.split(sep).includes('node_modules')) return undefined;
        const text = await readFile(args.path, 'utf8');
        const compiled = decorated?.(text, args.path);
        // TypeScript's output is JavaScript (JSX kept as JSX for esbuild's settings).
        const loader: Loader = compiled === undefined ? (loaderFor(args.path) ?? 'js') : args.path.endsWith('.tsx') ? 'jsx' : 'js';
        const contents = withOwnFileNames(compiled ?? text, path.split(sep).join('/')) ?? compiled;
        return contents === undefined ? undefined : { contents, loader };
      });
    },
  };
}
