import { AWS_POLICY, type AwsPolicy, type RetryPolicy } from '../../src/aws/policy.js';

export interface FastPolicy {
  policy: AwsPolicy;
  /** Every wait bamBam would have slept, in order. */
  delays: number[];
}

/**
 * bam's own policy with instant waits: bamBam's sleeps only move a fake clock (so budgets still
 * hold and are counted), and retry paths run in milliseconds. Overrides replace parts of it.
 */
export function fastPolicy(overrides: { retry?: Partial<RetryPolicy>; lambdaWaitSeconds?: number; tableWait?: AwsPolicy['tableWait'] } = {}): FastPolicy {
  const delays: number[] = [];
  let clock = 0;
  const retry: RetryPolicy = {
    ...AWS_POLICY.retry,
    sleep: (ms) => {
      delays.push(ms);
      clock += ms;
      return Promise.resolve();
    },
    now: () => clock,
    ...overrides.retry,
  };
  return { policy: { ...AWS_POLICY, ...overrides, retry }, delays };
}
