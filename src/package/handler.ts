import type { AssignmentExpression, Expression, MemberExpression, Node, Pattern, Program, Property, SpreadElement } from 'acorn';
import { BamError } from '../core/errors.js';
import { stringValue } from './ast.js';

const HOW_TO_EXPORT =
  'Export it: `exports.handler = async (event) => { ... }` (CommonJS) or `export const handler = async (event) => { ... }` (ES module).';

/** Refuses an entry file that does not export `handler`, reading its syntax tree only. */
export function assertExportsHandler(program: Program, displayPath: string): void {
  if (!exportsHandler(program)) {
    throw new BamError(`${displayPath} does not export a function named handler, which Lambda calls. ${HOW_TO_EXPORT}`);
  }
}

/** True when the top level exports `handler` in any usual CommonJS or ESM form. */
export function exportsHandler(program: Program): boolean {
  return program.body.some((statement) => {
    switch (statement.type) {
      case 'ExportNamedDeclaration':
        if (statement.declaration) return declaresHandler(statement.declaration);
        return statement.specifiers.some((s) => exportedName(s.exported) === 'handler');
      case 'ExpressionStatement':
        return assignments(statement.expression).some(assignsHandler);
      default:
        return false;
    }
  });
}

/** export const handler = …, export function handler() {}, export class handler {}. */
function declaresHandler(declaration: Node): boolean {
  if (declaration.type === 'VariableDeclaration') {
    const { declarations } = declaration as Node & { declarations: { id: Pattern }[] };
    return declarations.some((d) => d.id.type === 'Identifier' && d.id.name === 'handler');
  }
  const id = (declaration as Node & { id?: { name: string } | null }).id;
  return id?.name === 'handler';
}

function exportedName(node: Node): string | undefined {
  return node.type === 'Identifier' ? (node as Node & { name: string }).name : stringValue(node);
}

/** a = b = c and a, b yield every assignment, so chained and comma-joined exports count. */
function assignments(expression: Expression): AssignmentExpression[] {
  if (expression.type === 'SequenceExpression') return expression.expressions.flatMap(assignments);
  if (expression.type !== 'AssignmentExpression') return [];
  return [expression, ...assignments(expression.right)];
}

/** exports.handler = …, module.exports.handler = …, module.exports = { handler, … }. */
function assignsHandler(assignment: AssignmentExpression): boolean {
  if (assignment.operator !== '=') return false;
  const target = assignment.left;
  if (target.type !== 'MemberExpression') return false;
  const property = memberName(target);
  if (property === 'handler') return isExportsObject(target.object);
  if (property === 'exports' && isIdentifier(target.object, 'module') && assignment.right.type === 'ObjectExpression') {
    return assignment.right.properties.some(isHandlerProperty);
  }
  return false;
}

function isExportsObject(node: Node): boolean {
  if (isIdentifier(node, 'exports')) return true;
  if (node.type !== 'MemberExpression') return false;
  const member = node as MemberExpression;
  return memberName(member) === 'exports' && isIdentifier(member.object, 'module');
}

function isHandlerProperty(property: Property | SpreadElement): boolean {
  if (property.type !== 'Property') return false;
  if (!property.computed && property.key.type === 'Identifier') return property.key.name === 'handler';
  return stringValue(property.key) === 'handler';
}

function memberName(member: MemberExpression): string | undefined {
  if (!member.computed && member.property.type === 'Identifier') return member.property.name;
  return stringValue(member.property);
}

function isIdentifier(node: Node, name: string): boolean {
  return node.type === 'Identifier' && (node as Node & { name: string }).name === name;
}
