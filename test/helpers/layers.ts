import ts from 'typescript';
import { posix } from 'node:path';

/**
 * bam's layers and what each may import (besides itself). Lowest first: core knows nothing of
 * bam; ui, aws and store stand on core; package and get build and fetch code; dev and tasks
 * combine them; commands are the use cases; cli.ts is the top. An import not listed here
 * points up or sideways, and the architecture test names it.
 */
export const LAYERS: Record<string, readonly string[]> = {
  core: [],
  ui: ['core'],
  aws: ['core'],
  store: ['core'],
  package: ['core', 'store', 'ui'],
  get: ['core', 'package'],
  dev: ['core', 'aws', 'store', 'package'],
  tasks: ['core', 'aws', 'store', 'ui'],
  commands: ['core', 'ui', 'aws', 'store', 'package', 'get', 'dev', 'tasks'],
  cli: ['core', 'ui', 'aws', 'store', 'package', 'get', 'dev', 'tasks', 'commands'],
};

/** Layers whose files must not import one another: a use case does not call another use case. */
const NO_SIDEWAYS = new Set(['commands']);

/** Layers that may import no package at all (no SDK, no node:fs): facts and pure rules only. */
const NO_PACKAGES = new Set(['core']);

export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

/** `src/aws/lambda.ts` → `aws`; `src/cli.ts` → `cli`; anything else under src/ → undefined. */
export function layerOf(file: string): string | undefined {
  const parts = file.split('/');
  if (parts[0] !== 'src') return undefined;
  if (parts.length === 2) return parts[1] === 'cli.ts' ? 'cli' : undefined;
  return parts[1] !== undefined && parts[1] in LAYERS ? parts[1] : undefined;
}

/** Every module a file names: static imports, `export … from`, `import type` and `import()`. */
export function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((imported) => imported.fileName);
}

/**
 * Checks a set of source files (repository-relative paths like `src/core/x.ts` → text) against
 * the layer rules; returns every import that breaks one, with the rule it breaks.
 */
export function checkLayers(files: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  for (const [file, text] of files) {
    const from = layerOf(file);
    if (from === undefined) {
      violations.push({ file, specifier: '', rule: `${file} is in no layer: add its folder to LAYERS in test/helpers/layers.ts` });
      continue;
    }
    for (const specifier of importsOf(text)) {
      if (!specifier.startsWith('.')) {
        if (NO_PACKAGES.has(from)) violations.push({ file, specifier, rule: `${from} imports no package (no I/O, no SDK)` });
        continue;
      }
      const target = posix.normalize(posix.join(posix.dirname(file), specifier));
      const to = layerOf(target.replace(/\.js$/, '.ts'));
      if (to === undefined) {
        violations.push({ file, specifier, rule: `${from} imports ${target}, which is in no layer of src/` });
      } else if (to === from) {
        if (NO_SIDEWAYS.has(from) && target !== file) violations.push({ file, specifier, rule: `one ${from} module may not import another` });
      } else if (!(LAYERS[from] ?? []).includes(to)) {
        violations.push({ file, specifier, rule: `${from} may import ${allowed(from)}, not ${to}` });
      }
    }
  }
  return violations;
}

function allowed(layer: string): string {
  const layers = LAYERS[layer] ?? [];
  return layers.length > 0 ? `only ${layers.join(', ')}` : 'nothing else of bam\'s';
}

export function describeViolation(v: Violation): string {
  return v.specifier ? `${v.file} imports '${v.specifier}': ${v.rule}` : v.rule;
}
