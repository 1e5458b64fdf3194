// NestJS and TypeORM read the types TypeScript records beside decorators (`emitDecoratorMetadata`:
// `design:paramtypes` says what to inject). esbuild does not write them, so when tsconfig asks for
// them, the function's decorated TypeScript files are compiled by the project's own TypeScript
// first (the one `tsc` runs), one file at a time, and esbuild bundles its output.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BamError } from '../core/errors.js';

/** The part of TypeScript's API used here. */
interface TypeScriptApi {
  version: string;
  transpileModule(input: string, options: { fileName: string; compilerOptions: Record<string, unknown> }): { outputText: string };
  ModuleKind: Record<string, number | string>;
  ScriptTarget: Record<string, number | string>;
  JsxEmit: Record<string, number | string>;
}

/** Turns a decorated file's TypeScript into JavaScript with its metadata; undefined when it has no decorator. */
export type DecoratedCompiler = (text: string, fileName: string) => string | undefined;

/**
 * The compiler for a project whose tsconfig sets emitDecoratorMetadata: its own `typescript`
 * package, found from `projectDir` as Node finds it. Without one, bam cannot honour the setting.
 */
export function decoratedCompiler(projectDir: string, compile: Record<string, string | boolean>, tsconfigPath: string): DecoratedCompiler {
  let ts: TypeScriptApi;
  try {
    ts = createRequire(join(projectDir, 'package.json'))('typescript') as TypeScriptApi;
  } catch (err) {
    throw new BamError(
      `${tsconfigPath} sets emitDecoratorMetadata, which esbuild cannot write (NestJS and TypeORM need it), and bam found no TypeScript in your project to write it. Install it (npm install -D typescript) and try again.`,
      { cause: err },
    );
  }
  const compilerOptions = {
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    ...(typeof compile.useDefineForClassFields === 'boolean' ? { useDefineForClassFields: compile.useDefineForClassFields } : {}),
    // Modern syntax and module syntax kept as written (import = require too, where TypeScript can): esbuild does the rest.
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Preserve ?? ts.ModuleKind.ESNext,
    // JSX kept for esbuild, which applies tsconfig's JSX settings.
    jsx: ts.JsxEmit.Preserve,
    isolatedModules: true,
    // Stack traces and bam logs still reach the .ts lines: esbuild follows an inline map.
    inlineSourceMap: true,
    inlineSources: true,
  };
  return (text, fileName) => (/@[A-Za-z_$]/.test(text) ? ts.transpileModule(text, { fileName, compilerOptions }).outputText : undefined);
}
