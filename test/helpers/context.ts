import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { MemoryReporter } from './memoryReporter.js';
import type { CommandContext } from '../../src/tasks/context.js';

export interface TestWorld {
  /** BAM_HOME for this test (a fresh temporary folder). */
  home: string;
  /** The user's working folder (another fresh temporary folder). */
  cwd: string;
  reporter: MemoryReporter;
  ctx: CommandContext;
  cleanup: () => Promise<void>;
}

/**
 * A fresh BAM_HOME and working folder, and a context whose reporter records events.
 * Sets BAM_HOME and a region for the test; cleanup restores them.
 */
/** The day tests run on, whatever the clock says: runtimes are judged against AWS's dates. */
export const TODAY = '2026-12-02T12:00:00Z';

export async function makeWorld(options: { region?: string; today?: string; stdin?: NodeJS.ReadableStream & { isTTY?: boolean } } = {}): Promise<TestWorld> {
  const home = await mkdtemp(join(tmpdir(), 'bam-home-'));
  const cwd = await mkdtemp(join(tmpdir(), 'bam-cwd-'));
  const saved = { BAM_HOME: process.env.BAM_HOME };
  process.env.BAM_HOME = home;
  const reporter = new MemoryReporter();
  const ctx: CommandContext = {
    reporter,
    cwd,
    aws: { region: options.region ?? 'us-east-1' },
    io: { input: options.stdin ?? new PassThrough(), output: new PassThrough() },
    now: () => new Date(options.today ?? TODAY),
  };
  return {
    home,
    cwd,
    reporter,
    ctx,
    cleanup: async () => {
      if (saved.BAM_HOME === undefined) delete process.env.BAM_HOME;
      else process.env.BAM_HOME = saved.BAM_HOME;
      await rm(home, { recursive: true, force: true });
      await rm(cwd, { recursive: true, force: true });
    },
  };
}
