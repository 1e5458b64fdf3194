import type { Node } from 'acorn';

/** Calls visit on every node of the tree, parents first (acorn-walk without the dependency). */
export function walk(root: Node, visit: (node: Node) => void): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i -= 1) stack.push(value[i]);
    } else if (isNode(value)) {
      visit(value);
      for (const [key, child] of Object.entries(value)) {
        if (key !== 'type' && child !== null && typeof child === 'object') stack.push(child);
      }
    }
  }
}

export function isNode(value: unknown): value is Node {
  return value !== null && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string';
}

/** The string value of a plain string literal (or a template without expressions). */
export function stringValue(node: unknown): string | undefined {
  if (!isNode(node)) return undefined;
  if (node.type === 'Literal') {
    const value = (node as Node & { value: unknown }).value;
    return typeof value === 'string' ? value : undefined;
  }
  if (node.type === 'TemplateLiteral') {
    const template = node as Node & { expressions: unknown[]; quasis: { value: { cooked: string | null } }[] };
    if (template.expressions.length === 0) return template.quasis[0]?.value.cooked ?? undefined;
  }
  return undefined;
}
