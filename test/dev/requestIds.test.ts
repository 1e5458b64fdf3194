import { describe, expect, it } from 'vitest';
import { randomHex, requestUuid } from '../../src/dev/requestIds.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids', () => {
  it('are version 4 UUIDs, none repeated, across many batches', () => {
    const ids = Array.from({ length: 1000 }, () => requestUuid());
    for (const id of ids) expect(id).toMatch(UUID_V4);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('use every hex digit in each random place', () => {
    // 400 ids: a place that never shows one of the 16 digits means a wrong digit table (1 in 10^11 by chance).
    const ids = Array.from({ length: 400 }, () => requestUuid());
    for (const place of [0, 1, 9, 35]) expect(new Set(ids.map((id) => id[place])).size).toBe(16);
  });

  it('random hex comes in the length asked, across refills, never the same twice', () => {
    const parts = Array.from({ length: 600 }, (_, i) => randomHex([6, 16, 24][i % 3] ?? 6));
    parts.forEach((part, i) => expect(part).toMatch(new RegExp(`^[0-9a-f]{${[6, 16, 24][i % 3]}}$`)));
    const long = parts.filter((part) => part.length === 24);
    expect(new Set(long).size).toBe(long.length);
  });
});
