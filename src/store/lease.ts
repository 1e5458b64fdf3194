import { withLock } from './lock.js';
import type { StorePaths } from './paths.js';

export type LeaseKind = 'function' | 'table';

/** A command on a name may wait this long for another one on the same name (deploys wait out rate limits). */
export const LEASE_WAIT_MS = 15 * 60_000;

export interface LeaseOptions {
  /** Told once, when another live bam process has the name and this one waits. */
  onWait?: (message: string) => void;
  timeoutMs?: number;
}

/**
 * Runs `work` holding the lease on one function's or table's name: taken before the first AWS
 * call and held until the records are final, so two commands on the same name run one after
 * the other (each reads AWS and the records only once it has the lease) while commands on
 * other names run side by side. A lease left by a killed process is taken over.
 */
export async function withNameLease<T>(paths: StorePaths, kind: LeaseKind, region: string, name: string, options: LeaseOptions, work: () => Promise<T>): Promise<T> {
  return withLock(paths.lease(kind, region, name), work, {
    timeoutMs: options.timeoutMs ?? LEASE_WAIT_MS,
    onWait: (holder) => options.onWait?.(`Another bam (${holder}) is working on ${kind === 'table' ? 'table ' : ''}"${name}"; waiting for it to finish.`),
  });
}
