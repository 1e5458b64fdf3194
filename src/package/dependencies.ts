import { posix } from 'node:path';
import type { Program } from 'acorn';
import { BamError } from '../core/errors.js';
import { classifySpecifier, importedSpecifiers, packageName } from './imports.js';
import { isPathAlias } from './tsconfig.js';
import { versionFor, type UserPackage } from './userPackage.js';

/** A parsed staged file and how to name it to the user. */
export interface ParsedStagedFile {
  relativePath: string;
  displayPath: string;
  program: Program;
}

/** The files bam reads for imports: JavaScript, TypeScript and JSX. */
export function isSourceFile(path: string): boolean {
  return /\.([mc]?[jt]s|[jt]sx)$/.test(path);
}

/**
 * The npm packages the staged files import, with the version to install. Built-ins are skipped,
 * and so is @aws-sdk/* (the Lambda Node.js runtime has it) unless package.json pins it. Relative
 * imports must name staged files.
 */
export function detectDependencies(files: ParsedStagedFile[], stagedPaths: Set<string>, userPackage: UserPackage, aliases: string[] = []): Record<string, string> {
  const dependencies: Record<string, string> = {};
  for (const file of files) {
    for (const specifier of importedSpecifiers(file.program)) {
      const kind = classifySpecifier(specifier);
      if (kind === 'relative') assertStaged(file, specifier, stagedPaths);
      // A tsconfig `paths` alias names the user's own files; the bundler resolves it.
      if (kind !== 'package' || isPathAlias(specifier, aliases)) continue;
      const name = packageName(specifier);
      if (name.startsWith('@aws-sdk/') && !(name in userPackage.specs)) continue;
      dependencies[name] = versionFor(userPackage, name);
    }
  }
  return dependencies;
}

/** Candidates Node would try for a relative specifier (CommonJS extension and index lookup). */
const RESOLUTION_SUFFIXES = ['', '.js', '.mjs', '.cjs', '.json', '.node', '/index.js', '/index.mjs', '/index.cjs', '/index.json'];
/** TypeScript's too (bundled, or compiled file by file with --no-bundle). */
const TYPESCRIPT_SUFFIXES = ['.ts', '.tsx', '.mts', '.cts', '.jsx', '/index.ts', '/index.tsx', '/index.mts', '/index.cts'];

/** The files a relative import of `target` (a path without its query) may name, in Node's and then TypeScript's order. */
export function relativeCandidates(target: string): string[] {
  // TypeScript imports a compiled name: './greet.js' is greet.ts on disk.
  const asWritten = target.replace(/\.([mc]?)js$/, '.$1ts');
  return [...RESOLUTION_SUFFIXES.map((suffix) => `${target}${suffix}`), ...TYPESCRIPT_SUFFIXES.map((suffix) => `${target}${suffix}`), asWritten, `${asWritten}x`];
}

function assertStaged(file: ParsedStagedFile, specifier: string, stagedPaths: Set<string>): void {
  const target = posix.normalize(posix.join(posix.dirname(file.relativePath), specifier.split(/[?#]/)[0] ?? specifier));
  const inside = !specifier.startsWith('/') && target !== '..' && !target.startsWith('../');
  if (inside && relativeCandidates(target).some((path) => stagedPaths.has(path.replace(/^\.\//, '')))) return;
  throw notAmongFunctionFiles(file.displayPath, specifier);
}

/** A relative import of a file the zip would not hold (bam dev says it too, before any deploy). */
export function notAmongFunctionFiles(displayPath: string, specifier: string): BamError {
  return new BamError(
    `${displayPath} imports '${specifier}', which is not among the function's files: a function ships files of its own folder only (minus .bamignore). ` +
      "Check the path, or move that file into the function's folder.",
  );
}
