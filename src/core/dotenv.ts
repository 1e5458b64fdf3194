import { UsageError } from './errors.js';

const LINE = /^\s*(?:export\s+)?([^=\s]+)\s*=\s*(.*)$/;
const DOUBLE_QUOTE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

/**
 * Reads a .env file: KEY=VALUE lines, # comments and blank lines, an optional `export ` prefix,
 * and values bare (a ` #` starts a comment), 'single-quoted' (literal) or "double-quoted"
 * (\n, \r, \t, \" and \\ escapes). Later lines win. `file` names the file in errors.
 */
export function parseDotenv(text: string, file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    const value = match?.[2] !== undefined ? unquote(match[2]) : undefined;
    if (!match?.[1] || value === undefined) {
      throw new UsageError(`${file} line ${i + 1}: "${line}" is not KEY=VALUE (quote values with spaces or #, and close the quotes).`);
    }
    env[match[1]] = value;
  }
  return env;
}

/** The value, or undefined when a quote is not closed. */
function unquote(value: string): string | undefined {
  const quote = value[0];
  if (quote === "'" || quote === '"') {
    const end = closingQuote(value, quote);
    if (end < 0 || !/^\s*(#.*)?$/.test(value.slice(end + 1))) return undefined;
    const inner = value.slice(1, end);
    return quote === "'" ? inner : inner.replace(/\\(.)/g, (escape, c: string) => DOUBLE_QUOTE_ESCAPES[c] ?? escape);
  }
  return value.replace(/\s+#.*$/, '').trim();
}

function closingQuote(value: string, quote: string): number {
  for (let i = 1; i < value.length; i++) {
    if (quote === '"' && value[i] === '\\') i++;
    else if (value[i] === quote) return i;
  }
  return -1;
}
