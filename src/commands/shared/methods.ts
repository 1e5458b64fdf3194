import { UsageError } from '../../ui/errors.js';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'];
export const DEFAULT_METHODS = ['GET'];

/**
 * Reads a method list the ways BAM! users type it: `--methods post put`, `--methods GET,POST`,
 * `--method get`. Case-insensitive, duplicates dropped, order kept.
 */
export function parseMethods(values: string[], flag = '--methods'): string[] {
  const words = values.flatMap((value) => value.split(/[\s,]+/)).filter((word) => word !== '');
  const methods = [...new Set(words.map((word) => word.toUpperCase()))];
  if (methods.length === 0) throw new UsageError(`${flag} needs at least one HTTP method, e.g. ${flag} GET,POST`);
  const unknown = methods.filter((method) => !HTTP_METHODS.includes(method));
  if (unknown.length > 0) {
    const what = unknown.length === 1 ? 'is not an HTTP method' : 'are not HTTP methods';
    throw new UsageError(`${flag}: ${unknown.join(', ')} ${what}. Use any of ${HTTP_METHODS.join(', ')}.`);
  }
  return methods;
}

/** The methods an API has after adding and removing (BAM!'s order: existing first). */
export function combineMethods(existing: string[], add: string[], remove: string[]): string[] {
  return [...new Set([...existing, ...add])].filter((method) => !remove.includes(method));
}

export function sameMethods(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((method) => b.includes(method));
}
