import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RUNTIME,
  NODE_RUNTIMES,
  acceptsUpdates,
  findRuntime,
  isRetiredNodeRuntime,
  runtimeMark,
  runtimeStage,
  usableRuntimes,
} from '../../src/core/runtimes.js';

const day = (iso: string) => new Date(`${iso}T00:00:00Z`);

describe('the runtime table', () => {
  it('has the default first, newest first, each date after the one before', () => {
    expect(NODE_RUNTIMES[0]!.name).toBe(DEFAULT_RUNTIME);
    expect(NODE_RUNTIMES.map((r) => r.node)).toEqual([...NODE_RUNTIMES.map((r) => r.node)].sort((a, b) => b - a));
    for (const runtime of NODE_RUNTIMES) {
      expect(runtime.deprecated < runtime.createBlocked && runtime.createBlocked < runtime.updateBlocked).toBe(true);
    }
  });

  it('only nodejs24.x lost callback handlers', () => {
    expect(NODE_RUNTIMES.filter((r) => !r.callbacks).map((r) => r.name)).toEqual(['nodejs24.x']);
  });

  it('moves a runtime through its stages on AWS\'s dates (UTC days)', () => {
    const node20 = findRuntime('nodejs20.x')!;
    expect(runtimeStage(node20, day('2026-04-29'))).toBe('supported');
    expect(runtimeStage(node20, day('2026-04-30'))).toBe('deprecated');
    expect(runtimeStage(node20, day('2026-08-31'))).toBe('createBlocked');
    expect(runtimeStage(node20, day('2026-09-30'))).toBe('updateBlocked');
  });

  it('lists what a function can be created on today', () => {
    expect(usableRuntimes(day('2026-12-02'))).toEqual(['nodejs24.x', 'nodejs22.x']);
    expect(usableRuntimes(day('2027-06-01'))).toEqual(['nodejs24.x']);
    expect(usableRuntimes(day('2026-08-30'))).toEqual(['nodejs24.x', 'nodejs22.x', 'nodejs20.x']);
  });

  it('knows which functions AWS still updates; runtimes older than the table are retired', () => {
    expect(acceptsUpdates('nodejs22.x', day('2026-12-02'))).toBe(true);
    expect(acceptsUpdates('nodejs20.x', day('2026-12-02'))).toBe(false);
    expect(acceptsUpdates('nodejs16.x', day('2026-12-02'))).toBe(false);
    expect(acceptsUpdates('python3.13', day('2026-12-02'))).toBe(true);
    expect(isRetiredNodeRuntime('nodejs8.10')).toBe(true);
    expect(isRetiredNodeRuntime('nodejs24.x')).toBe(false);
    expect(isRetiredNodeRuntime('nodejs18.x')).toBe(true);
  });

  it('marks for bam list', () => {
    expect(runtimeMark('nodejs24.x', day('2026-12-02'))).toBeUndefined();
    expect(runtimeMark('nodejs22.x', day('2027-05-01'))).toBe('deprecated since 2027-04-30');
    expect(runtimeMark('nodejs22.x', day('2027-06-15'))).toBe('deprecated, AWS blocks updates from 2027-07-01');
    expect(runtimeMark('nodejs20.x', day('2026-12-02'))).toBe('AWS blocks updates since 2026-09-30');
    expect(runtimeMark('python3.13', day('2026-12-02'))).toBeUndefined();
  });
});
