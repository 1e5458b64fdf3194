import { UsageError } from './errors.js';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'];
export const DEFAULT_METHODS = ['GET'];

/**
 * Reads a method list the ways BAM! users type it: `--methods post put`, `--methods GET,POST`,
 * `--method get`. Case-insensitive, duplicates dropped, order kept.
 */
export function parseMethods(values: string[], flag = '--methods'): string[] {
  const words = values.flatMap((value) => methodWords(value, flag));
  const methods = [...new Set(words.map((word) => word.toUpperCase()))];
  if (methods.length === 0) throw new UsageError(`${flag} needs at least one HTTP method, e.g. ${flag} GET,POST`);
  const unknown = methods.filter((method) => !HTTP_METHODS.includes(method));
  if (unknown.length > 0) {
    const what = unknown.length === 1 ? 'is not an HTTP method' : 'are not HTTP methods';
    throw new UsageError(`${flag}: ${unknown.join(', ')} ${what}. Use any of ${HTTP_METHODS.join(', ')}.`);
  }
  return methods;
}

/**
 * The methods in one flag value. A comma at the end of a word is how people type lists
 * (`--methods get, post`); an empty entry between commas (`get,,post`) is a typo, refused by name.
 */
function methodWords(value: string, flag: string): string[] {
  return value
    .split(/\s+/)
    .filter((chunk) => chunk !== '')
    .flatMap((chunk) => {
      const entries = chunk.split(',');
      if (entries.at(-1) === '') entries.pop();
      const empty = entries.indexOf('');
      if (empty >= 0 && entries.some((entry) => entry !== '')) {
        throw new UsageError(`${flag} ${chunk}: entry ${empty + 1} is empty. List the methods as GET,POST or get post.`);
      }
      return entries.filter((entry) => entry !== '');
    });
}

/** The methods an API has after adding and removing (BAM!'s order: existing first). */
export function combineMethods(existing: string[], add: string[], remove: string[]): string[] {
  return [...new Set([...existing, ...add])].filter((method) => !remove.includes(method));
}

export function sameMethods(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((method) => b.includes(method));
}

/**
 * The methods a file says it handles: a `// methods: GET, POST, DELETE` line among the comment
 * lines at its top (beside `// description:`). undefined when it has none; a method that is not
 * one is a UsageError naming the line.
 */
export function declaredMethods(text: string): string[] | undefined {
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#!')) continue;
    if (!trimmed.startsWith('//')) return undefined;
    const match = /^\/\/\s*methods:(.*)$/i.exec(trimmed);
    if (match) return parseMethods([match[1] ?? ''], '// methods');
  }
  return undefined;
}
