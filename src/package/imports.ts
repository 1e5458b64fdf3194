import { builtinModules } from 'node:module';
import type { CallExpression, Identifier, ImportExpression, MemberExpression, Node, Program } from 'acorn';
import { stringValue, walk } from './ast.js';

const BUILTINS = new Set(builtinModules);

/**
 * Every module specifier a file names statically: require('x'), require.resolve('x'),
 * import … from 'x', import 'x', export … from 'x' and import('x') with a literal. Computed
 * specifiers cannot be known and are left out (computedImports counts them).
 */
export function importedSpecifiers(program: Program): string[] {
  const found = new Set<string>();
  walk(program, (node: Node) => {
    const value = stringValue(moduleArgument(node));
    if (value !== undefined) found.add(value);
  });
  return [...found];
}

/** How many require()/import() calls name their module with an expression bam cannot read. */
export function computedImports(program: Program): number {
  let count = 0;
  walk(program, (node: Node) => {
    const argument = moduleArgument(node);
    if (argument !== undefined && stringValue(argument) === undefined) count += 1;
  });
  return count;
}

/** The node naming the module when `node` is an import form, else undefined. */
function moduleArgument(node: Node): Node | undefined {
  switch (node.type) {
    case 'ImportDeclaration':
    case 'ExportAllDeclaration':
    case 'ExportNamedDeclaration':
      return (node as Node & { source?: Node | null }).source ?? undefined;
    case 'ImportExpression':
      return (node as ImportExpression).source;
    case 'CallExpression': {
      const call = node as CallExpression;
      return isRequire(call.callee) && call.arguments.length === 1 ? call.arguments[0] : undefined;
    }
    default:
      return undefined;
  }
}

/** require, or require.resolve (the package must be installed for either to find it). */
function isRequire(callee: Node): boolean {
  if (callee.type === 'Identifier') return (callee as Identifier).name === 'require';
  if (callee.type !== 'MemberExpression') return false;
  const { object, property, computed } = callee as MemberExpression;
  return !computed && object.type === 'Identifier' && object.name === 'require' && property.type === 'Identifier' && property.name === 'resolve';
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
