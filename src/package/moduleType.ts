import type { CallExpression, MemberExpression, Node, Program } from 'acorn';
import { walk } from './ast.js';

/**
 * The "type" for the staging package.json. The user's own setting wins. Without one, an entry
 * `index.js` written as an ES module gets "module" (Lambda would otherwise load it as CommonJS),
 * unless another staged .js file is plainly CommonJS and would break under "module".
 */
export function moduleTypeFor(userType: string | undefined, entryName: string, files: { relativePath: string; program: Program }[]): string | undefined {
  if (userType !== undefined) return userType;
  const jsFiles = files.filter((file) => file.relativePath.endsWith('.js'));
  const entry = jsFiles.find((file) => file.relativePath === entryName);
  if (!entry || !hasModuleSyntax(entry.program)) return undefined;
  return jsFiles.some((file) => !hasModuleSyntax(file.program) && usesCommonJs(file.program)) ? undefined : 'module';
}

export function hasModuleSyntax(program: Program): boolean {
  return program.sourceType === 'module' && program.body.some((node) => node.type.startsWith('Import') || node.type.startsWith('Export'));
}

/** Calls require() or touches exports / module.exports. */
function usesCommonJs(program: Program): boolean {
  let found = false;
  walk(program, (node: Node) => {
    if (node.type === 'CallExpression') {
      const { callee } = node as CallExpression;
      if (callee.type === 'Identifier' && callee.name === 'require') found = true;
    } else if (node.type === 'MemberExpression') {
      const { object, property } = node as MemberExpression;
      if (object.type !== 'Identifier') return;
      if (object.name === 'exports') found = true;
      if (object.name === 'module' && property.type === 'Identifier' && property.name === 'exports') found = true;
    }
  });
  return found;
}
