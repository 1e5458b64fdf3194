import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { MemoryReporter } from './memoryReporter.js';
import { fastPolicy, type FastPolicy } from './policy.js';
import { openStore, type Store } from '../../src/store/store.js';
import type { AwsPolicy } from '../../src/aws/policy.js';
import type { CommandContext } from '../../src/tasks/context.js';

export interface TestWorld {
  /** The store root for this test (a fresh temporary folder, where BAM_HOME would point). */
  home: string;
  /** The store rooted at home (ctx.store). */
  store: Store;
  /** The policy ctx.aws carries: bam's budgets with instant waits. */
  policy: AwsPolicy;
  /** Every wait bamBam would have slept in this test. */
  delays: number[];
  /** The user's working folder (another fresh temporary folder). */
  cwd: string;
  reporter: MemoryReporter;
  ctx: CommandContext;
  cleanup: () => Promise<void>;
}

/** The day tests run on, whatever the clock says: runtimes are judged against AWS's dates. */
export const TODAY = '2026-12-02T12:00:00Z';

/**
 * A fresh store root and working folder, and a context of its own: a reporter that records
 * events, a region, the store at that root, and a fast retry policy (fastPolicy). No global is set.
 */
export async function makeWorld(
  options: { region?: string; today?: string; stdin?: NodeJS.ReadableStream & { isTTY?: boolean }; policy?: FastPolicy } = {},
): Promise<TestWorld> {
  const home = await mkdtemp(join(tmpdir(), 'bam-home-'));
  const cwd = await mkdtemp(join(tmpdir(), 'bam-cwd-'));
  const store = openStore(home);
  const { policy, delays } = options.policy ?? fastPolicy();
  const reporter = new MemoryReporter();
  const ctx: CommandContext = {
    reporter,
    cwd,
    aws: { region: options.region ?? 'us-east-1', policy },
    store,
    io: { input: options.stdin ?? new PassThrough(), output: new PassThrough() },
    now: () => new Date(options.today ?? TODAY),
  };
  return {
    home,
    store,
    policy,
    delays,
    cwd,
    reporter,
    ctx,
    cleanup: async () => {
      await rm(home, { recursive: true, force: true });
      await rm(cwd, { recursive: true, force: true });
    },
  };
}
