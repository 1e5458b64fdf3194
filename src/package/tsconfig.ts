import { readTextIfAny } from './smallFiles.js';
import { dirname, join, resolve } from 'node:path';
import { BamError } from '../core/errors.js';

/** What packaging needs from the tsconfig.json that governs a function. */
export interface TsConfig {
  path: string;
  /** The `compilerOptions.paths` patterns (`@lib/*`): such imports are the user's files, not npm packages. */
  aliases: string[];
  /**
   * The compilerOptions esbuild reads when it compiles one file, as its tsconfigRaw takes them:
   * JSX (so `react-jsx` adds its runtime import), decorators (NestJS, TypeORM), class fields and
   * import elision.
   */
  compile: Record<string, string | boolean>;
  /** `emitDecoratorMetadata`, which esbuild cannot write: see decoratorMetadata.ts. */
  decoratorMetadata: boolean;
}

const COMPILE_OPTIONS = {
  string: ['jsx', 'jsxFactory', 'jsxFragmentFactory', 'jsxImportSource', 'importsNotUsedAsValues'],
  boolean: ['experimentalDecorators', 'useDefineForClassFields', 'verbatimModuleSyntax', 'preserveValueImports', 'alwaysStrict'],
} as const;

interface RawTsConfig {
  extends?: unknown;
  compilerOptions?: Record<string, unknown>;
}

/**
 * The nearest tsconfig.json at or above `from`, as tsc and esbuild find it; undefined when none.
 * A relative `extends` is followed for paths and compile options (esbuild follows every form when it bundles).
 */
export async function findTsConfig(from: string): Promise<TsConfig | undefined> {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const path = join(dir, 'tsconfig.json');
    const options = await readCompilerOptions(path, 0);
    if (options) {
      const paths = options.paths && typeof options.paths === 'object' ? Object.keys(options.paths) : [];
      const compile = Object.fromEntries(
        Object.entries(COMPILE_OPTIONS).flatMap(([type, keys]) => keys.flatMap((key) => (typeof options[key] === type ? [[key, options[key] as string | boolean]] : []))),
      );
      return { path, aliases: paths, compile, decoratorMetadata: options.emitDecoratorMetadata === true };
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** A tsconfig.json and the files it extends (relative `extends`), nearest first: what a change to reloads a build. */
export function tsConfigFiles(path: string): string[] {
  const files: string[] = [];
  for (let file: string | undefined = path; file && files.length < 8; ) {
    files.push(file);
    const text = readTextIfAny(file);
    let raw: RawTsConfig | undefined;
    try {
      raw = text === undefined ? undefined : (JSON.parse(stripJsonComments(text)) as RawTsConfig);
    } catch {
      raw = undefined; // the build says what is wrong with it
    }
    file = typeof raw?.extends === 'string' && raw.extends.startsWith('.') ? resolve(dirname(file), raw.extends.endsWith('.json') ? raw.extends : `${raw.extends}.json`) : undefined;
  }
  return files;
}

/** compilerOptions with those of a relative `extends` underneath; undefined when the file is missing. */
async function readCompilerOptions(path: string, depth: number): Promise<Record<string, unknown> | undefined> {
  const text = readTextIfAny(path);
  if (text === undefined) return undefined;
  let raw: RawTsConfig;
  try {
    raw = JSON.parse(stripJsonComments(text)) as RawTsConfig;
  } catch (err) {
    throw new BamError(`${path} is not valid JSON (${(err as Error).message}). Fix it and try again.`, { cause: err });
  }
  const base = typeof raw.extends === 'string' && raw.extends.startsWith('.') && depth < 8
    ? await readCompilerOptions(resolve(dirname(path), raw.extends.endsWith('.json') ? raw.extends : `${raw.extends}.json`), depth + 1)
    : undefined;
  return { ...base, ...raw.compilerOptions };
}

/** tsconfig.json is JSON with comments and trailing commas; strings are kept as they are. */
export function stripJsonComments(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i]!;
    if (char === '"') {
      const start = i;
      for (i += 1; i < text.length && text[i] !== '"'; i += 1) if (text[i] === '\\') i += 1;
      out += text.slice(start, i + 1);
    } else if (char === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i += 1;
      out += '\n';
    } else if (char === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 1;
    } else {
      out += char;
    }
  }
  return out.replace(/,(\s*[}\]])/g, '$1');
}

/** `@lib/*` matches `@lib/greet`; a pattern without `*` matches only itself. */
export function isPathAlias(specifier: string, aliases: string[]): boolean {
  return aliases.some((pattern) => {
    const star = pattern.indexOf('*');
    if (star === -1) return specifier === pattern;
    return specifier.length >= pattern.length - 1 && specifier.startsWith(pattern.slice(0, star)) && specifier.endsWith(pattern.slice(star + 1));
  });
}
