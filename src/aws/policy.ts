/**
 * How long and how often bam waits for AWS: the retry budgets and delays of bamBam, and the limits
 * of the SDK waiters. cli.ts uses AWS_POLICY; tests hand the session a fast one instead.
 */
export interface AwsPolicy {
  readonly retry: RetryPolicy;
  /** Lambda's waiters (function Active, update finished): the most seconds to wait. */
  readonly lambdaWaitSeconds: number;
  /** DynamoDB's table-exists waiter: delays between polls and the most to wait, in seconds. */
  readonly tableWait: { readonly minDelay: number; readonly maxDelay: number; readonly maxWaitTime: number };
}

export interface RetryPolicy {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly roleBudgetMs: number;
  readonly throttleBudgetMs: number;
  readonly conflictBudgetMs: number;
  /** A request that timed out is sent at most this many times in all, within noAnswerBudgetMs. */
  readonly noAnswerAttempts: number;
  readonly noAnswerBudgetMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly random: () => number;
}

export const AWS_POLICY: AwsPolicy = {
  retry: {
    baseDelayMs: 500,
    maxDelayMs: 15_000,
    roleBudgetMs: 90_000,
    throttleBudgetMs: 60_000,
    conflictBudgetMs: 60_000,
    noAnswerAttempts: 3,
    noAnswerBudgetMs: 120_000,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
    random: () => Math.random(),
  },
  lambdaWaitSeconds: 300,
  tableWait: { minDelay: 1, maxDelay: 5, maxWaitTime: 300 },
};

/** What a step reads from the session it is given: the policy, and where "AWS is making us wait" goes. */
export interface StepSettings {
  readonly policy: AwsPolicy;
  /** The wait-notice sink: told once per step that AWS makes wait, unless the step passes its own onWait. */
  readonly onWait?: ((message: string) => void) | undefined;
}
