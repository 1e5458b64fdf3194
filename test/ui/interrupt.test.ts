import { describe, expect, it } from 'vitest';
import { finishBeforeExit } from '../../src/ui/interrupt.js';
import { MemoryReporter } from '../helpers/memoryReporter.js';

describe('Ctrl-C during AWS work', () => {
  it('finishes the steps under way on a first Ctrl-C, saying so, and stops at once on a second', async () => {
    const reporter = new MemoryReporter();
    const exits: number[] = [];
    let release!: () => void;
    const steps = new Promise<void>((resolve) => (release = resolve));
    const before = process.listenerCount('SIGINT');

    const running = finishBeforeExit(reporter, async () => {
      await steps;
      return 'recorded';
    }, { exit: (code) => exits.push(code) });

    process.emit('SIGINT');
    expect(reporter.text('warn')).toMatch(/Finishing the AWS steps under way.*Ctrl-C again/);
    expect(exits).toEqual([]); // the first Ctrl-C does not cut the work off

    process.emit('SIGINT');
    expect(exits).toEqual([130]);

    release();
    expect(await running).toBe('recorded');
    expect(process.listenerCount('SIGINT')).toBe(before); // the handler is gone afterwards
  });

  it('passes the work\'s error through and removes its handler', async () => {
    const before = process.listenerCount('SIGINT');
    await expect(finishBeforeExit(new MemoryReporter(), () => Promise.reject(new Error('CreateFunction failed')))).rejects.toThrow('CreateFunction failed');
    expect(process.listenerCount('SIGINT')).toBe(before);
  });
});
