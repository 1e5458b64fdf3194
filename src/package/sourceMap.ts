import { readFile } from 'node:fs/promises';
import { readStampedResult } from './buildStamp.js';

/** The parts of a source map (version 3) that map a position back. */
interface RawSourceMap {
  sources: string[];
  mappings: string;
}

/** One mapping: a generated column and, when it has one, the original position. */
type Segment = [generatedColumn: number, source?: number, line?: number, column?: number];

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The `mappings` string as segments per generated line (Base64 VLQ, fields relative as the spec says). */
export function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let source = 0;
  let line = 0;
  let column = 0;
  for (const text of mappings.split(';')) {
    const segments: Segment[] = [];
    let generated = 0;
    for (const part of text.split(',')) {
      if (part === '') continue;
      const fields = decodeVlq(part);
      generated += fields[0] ?? 0;
      if (fields.length >= 4) {
        source += fields[1]!;
        line += fields[2]!;
        column += fields[3]!;
        segments.push([generated, source, line, column]);
      } else {
        segments.push([generated]);
      }
    }
    lines.push(segments);
  }
  return lines;
}

function decodeVlq(text: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of text) {
    const digit = BASE64.indexOf(char);
    if (digit === -1) return values;
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

/** Maps a bundle's stack frames (`/var/task/index.mjs:1:2345`) to the sources they came from. */
export interface FrameMapper {
  (text: string): string;
}

/**
 * A mapper for one source map: a frame of the bundle becomes `source:line:column` (1-based),
 * with the source as staged (`index.ts`, `lib/greet.ts`, `node_modules/x/y.js`); a frame the map
 * does not cover is left as it is.
 */
export function frameMapper(map: RawSourceMap, bundleName: string): FrameMapper {
  const lines = decodeMappings(map.mappings);
  const escaped = bundleName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const frame = new RegExp(`(?:file://)?/var/task/${escaped}:(\\d+):(\\d+)`, 'g');
  return (text) =>
    text.replace(frame, (whole, line: string, column: string) => {
      const segments = lines[Number(line) - 1] ?? [];
      let found: Segment | undefined;
      for (const segment of segments) {
        if (segment[0] > Number(column) - 1) break;
        found = segment;
      }
      if (found?.[1] === undefined) return whole;
      const source = (map.sources[found[1]] ?? '').replace(/^(\.\.\/)+/, '');
      return `${source}:${found[2]! + 1}:${found[3]! + 1}`;
    });
}

/**
 * The mapper for a deployed function, when staging holds the map of exactly the code deployed
 * (its CodeSha256); undefined otherwise (another build since, --no-bundle, another machine).
 */
export async function deployedFrameMapper(stagingDir: string, codeSha256: string | undefined): Promise<FrameMapper | undefined> {
  if (!codeSha256) return undefined;
  const result = readStampedResult(stagingDir);
  if (result?.codeSha256 !== codeSha256 || !result.sourceMapPath) return undefined;
  const map = await readFile(result.sourceMapPath, 'utf8').then((text) => JSON.parse(text) as RawSourceMap, () => undefined);
  return map ? frameMapper(map, result.bundleName ?? 'index.js') : undefined;
}
