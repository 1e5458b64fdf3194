// NestJS and TypeORM read the types TypeScript records beside decorators (`emitDecoratorMetadata`:
// `design:paramtypes` says what to inject). esbuild does not write them, so when tsconfig asks for
// them, the function's decorated TypeScript files are compiled by the project's own TypeScript
// first (the one `tsc` runs), one file at a time, and esbuild bundles its output.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BamError } from '../core/errors.js';
import type { TsConfig } from './tsconfig.js';

/** The part of TypeScript's API used here. */
interface TypeScriptApi {
  transpileModule(input: string, options: { fileName: string; compilerOptions: Record<string, unknown> }): { outputText: string };
  ModuleKind: Record<string, number | string>;
  ScriptTarget: Record<string, number | string>;
  JsxEmit: Record<string, number | string>;
}

/** Turns a decorated TypeScript file into JavaScript with its metadata; undefined for any other file. */
export type DecoratedCompiler = (text: string, fileName: string) => string | undefined;

/**
 * The compiler when tsconfig sets emitDecoratorMetadata (else undefined): the project's own
 * `typescript` package, found from `projectDir` as Node finds it. Without one, bam cannot honour
 * the setting.
 */
export function decoratedCompiler(projectDir: string, tsconfig: TsConfig | undefined): DecoratedCompiler | undefined {
  if (!tsconfig?.decoratorMetadata) return undefined;
  const { compile } = tsconfig;
  let ts: TypeScriptApi;
  try {
    ts = createRequire(join(projectDir, 'package.json'))('typescript') as TypeScriptApi;
  } catch (err) {
    throw new BamError(
      `${tsconfig.path} sets emitDecoratorMetadata, which esbuild cannot write (NestJS and TypeORM need it), and bam found no TypeScript in your project to write it. Install it (npm install -D typescript) and try again.`,
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
  return (text, fileName) => (/\.[cm]?tsx?$/.test(fileName) && /@[A-Za-z_$]/.test(text) ? ts.transpileModule(text, { fileName, compilerOptions }).outputText : undefined);
}
