import { describe, expect, it } from 'vitest';
import { assertExportsHandler, exportsHandler } from '../../src/package/handler.js';
import { readDescription } from '../../src/package/description.js';
import { parseJavaScript } from '../../src/package/parse.js';
import { BamError } from '../../src/core/errors.js';

const exportsIt = (text: string, file = 'index.js'): boolean => exportsHandler(parseJavaScript(text, file).program);

describe('handler export check (syntax tree only)', () => {
  it.each([
    ['exports.handler = async () => 1;'],
    ['module.exports.handler = async () => 1;'],
    ["module.exports['handler'] = function () {};"],
    ['const handler = 1; module.exports = { handler };'],
    ['module.exports = { other: 1, handler: async () => 1 };'],
    ['module.exports = { async handler(event) { return event; } };'],
    ["module.exports = { 'handler': 1 };"],
    ['module.exports.handler = exports.handler = async () => 1;'],
    ['exports.other = 1, exports.handler = 2;'],
  ])('accepts CommonJS: %s', (text) => {
    expect(exportsIt(text)).toBe(true);
  });

  it.each([
    ['export const handler = async () => 1;'],
    ['export let handler = 1;'],
    ['export function handler() {}'],
    ['export async function handler(event) { return event; }'],
    ['const handler = 1; export { handler };'],
    ['const main = 1; export { main as handler };'],
    ['export { handler } from "./impl.js";'],
    ['export const a = 1, handler = 2;'],
  ])('accepts ESM: %s', (text) => {
    expect(exportsIt(text, 'index.mjs')).toBe(true);
  });

  it.each([
    ['exports.main = async () => 1;'],
    ['module.exports = async () => 1;'],
    ['module.exports = { main: handler };'],
    ['const handler = 1;'],
    ['function f() { exports.handler = 1; }'],
    ['exports.handler += 1;'],
    ['other.handler = 1;'],
    ['module.other.handler = 1;'],
    ['module.exports = { ...others };'],
  ])('refuses CommonJS: %s', (text) => {
    expect(exportsIt(text)).toBe(false);
  });

  it.each([
    ['export default async function handler() {}'],
    ['export default { handler: 1 };'],
    ['const handler = 1; export { handler as main };'],
    ['export const main = 1;'],
    ['export * from "./impl.js";'],
  ])('refuses ESM: %s', (text) => {
    expect(exportsIt(text, 'index.mjs')).toBe(false);
  });

  it('refuses with a message saying what to export', () => {
    const program = parseJavaScript('export const main = 1;', 'api.mjs').program;
    expect(() => assertExportsHandler(program, 'api.mjs')).toThrow(BamError);
    expect(() => assertExportsHandler(program, 'api.mjs')).toThrow(/^api\.mjs does not export a function named handler.*exports\.handler = async \(event\).*export const handler = async \(event\)/);
  });
});

describe('description comment', () => {
  const descriptionOf = (text: string): string => {
    const { program, comments } = parseJavaScript(text, 'index.js');
    return readDescription(comments, program.body[0]?.start ?? program.end);
  };

  it('takes the text after // description: in the leading comments', () => {
    expect(descriptionOf('#!/usr/bin/env node\n// a function\n//   description:   Greets people  \nexports.handler = 1;')).toBe('Greets people');
  });

  it('is empty without a marker, or when the marker comes after the code starts', () => {
    expect(descriptionOf('exports.handler = 1;')).toBe('');
    expect(descriptionOf('exports.handler = 1;\n// description: too late')).toBe('');
    expect(descriptionOf('/* description: block comments do not count */\nexports.handler = 1;')).toBe('');
  });

  it('is cut to Lambda\'s 256 characters', () => {
    expect(descriptionOf(`// description: ${'x'.repeat(300)}\nexports.handler = 1;`)).toHaveLength(256);
  });
});
