import type { KeyRecord } from './records.js';
import { UsageError } from './errors.js';

/** A key attribute name, or a complaint (DynamoDB allows 1 to 255 bytes). */
export function keyNameProblem(name: string): string | undefined {
  if (name.length === 0 || Buffer.byteLength(name, 'utf8') > 255) return `"${name}" is not a valid key name: use 1 to 255 characters.`;
  return undefined;
}

/** string|number|binary (or s|n|b, any case; BAM! had all three) → the DynamoDB letter, or undefined. */
export function parseKeyType(value: string): KeyRecord['type'] | undefined {
  const lower = value.trim().toLowerCase();
  if (lower === 'string' || lower === 's') return 'S';
  if (lower === 'number' || lower === 'n') return 'N';
  if (lower === 'binary' || lower === 'b') return 'B';
  return undefined;
}

export function keyTypeProblem(value: string): string | undefined {
  return parseKeyType(value) ? undefined : `"${value}" is not a key type: use string, number or binary.`;
}

/** `none` (any case) answers "no sort key", on the prompt as with --sortKey. */
export function isNoKey(value: string): boolean {
  return value.trim().toLowerCase() === 'none';
}

/** Parses a `--partitionKey id:number` style flag. */
export function parseKeyFlag(flag: string, value: string): KeyRecord {
  const at = value.lastIndexOf(':');
  if (at <= 0) throw new UsageError(`${flag} "${value}" must look like name:type, e.g. ${flag} id:string`);
  const name = value.slice(0, at);
  const nameProblem = keyNameProblem(name);
  if (nameProblem) throw new UsageError(`${flag}: ${nameProblem}`);
  const type = parseKeyType(value.slice(at + 1));
  if (!type) throw new UsageError(`${flag}: ${keyTypeProblem(value.slice(at + 1)) ?? ''}`);
  return { name, type };
}

/** How list and messages show a key: `id (number)`. */
export function describeKey(key: KeyRecord): string {
  const words: Record<KeyRecord['type'], string> = { S: 'string', N: 'number', B: 'binary' };
  return `${key.name} (${words[key.type]})`;
}
