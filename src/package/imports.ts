import { builtinModules } from 'node:module';
import type { CallExpression, ImportExpression, Node, Program } from 'acorn';
import { stringValue, walk } from './ast.js';

const BUILTINS = new Set(builtinModules);

/**
 * Every module specifier a file names statically: require('x'), import … from 'x', import 'x',
 * export … from 'x' and import('x') with a literal. Computed specifiers cannot be known and are
 * left out (the user can list such packages in package.json and import them plainly).
 */
export function importedSpecifiers(program: Program): string[] {
  const found = new Set<string>();
  const add = (node: unknown): void => {
    const value = stringValue(node);
    if (value !== undefined) found.add(value);
  };
  walk(program, (node: Node) => {
    switch (node.type) {
      case 'ImportDeclaration':
      case 'ExportAllDeclaration':
      case 'ExportNamedDeclaration':
        add((node as Node & { source?: Node | null }).source);
        break;
      case 'ImportExpression':
        add((node as ImportExpression).source);
        break;
      case 'CallExpression': {
        const call = node as CallExpression;
        if (call.callee.type === 'Identifier' && call.callee.name === 'require' && call.arguments.length === 1) add(call.arguments[0]);
        break;
      }
    }
  });
  return [...found];
}

export type SpecifierKind = 'builtin' | 'relative' | 'package' | 'ignored';

/** What a specifier points at: Node itself, a file of the function, or an npm package. */
export function classifySpecifier(specifier: string): SpecifierKind {
  if (specifier.startsWith('node:') || BUILTINS.has(specifier)) return 'builtin';
  if (specifier.startsWith('.') || specifier.startsWith('/')) return 'relative';
  // Package "imports" (#x) resolve inside the function; URLs (data:, http:) are not npm packages.
  if (specifier.startsWith('#') || /^[a-z][a-z0-9+.-]*:/i.test(specifier)) return 'ignored';
  return 'package';
}

/** The npm package a bare specifier belongs to: lodash/fp → lodash, @scope/pkg/sub → @scope/pkg. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}
