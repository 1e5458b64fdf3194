import { StepError, awsErrorName, errorMessage } from '../ui/errors.js';

/** Why AWS makes us wait, and for how long at most. */
export interface RetryRule {
  reason: string;
  budgetMs: number;
}

export interface BamBamOptions {
  /** Overrides the rule's total wait for this step. */
  budgetMs?: number;
  /** Called once, the first time AWS makes this step wait. */
  onWait?: (message: string) => void;
  /** Called before every wait with the seconds left in the budget (countdowns). */
  onTick?: (message: string) => void;
}

/** Knobs shared by every step; tests shrink them, production keeps the defaults. */
export const retrySettings = {
  baseDelayMs: 500,
  maxDelayMs: 15_000,
  roleBudgetMs: 90_000,
  throttleBudgetMs: 60_000,
  conflictBudgetMs: 60_000,
  sleep: (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)),
  now: (): number => Date.now(),
  random: (): number => Math.random(),
};

/** Where a step that passes no onWait says AWS is making us wait; the CLI points it at the command's reporter. */
export const waitNotices: Pick<BamBamOptions, 'onWait'> = {};

const THROTTLING = ['TooManyRequestsException', 'ThrottlingException', 'Throttling', 'ThrottledException', 'RequestLimitExceeded'];
const CONFLICT = ['ResourceConflictException', 'ConflictException'];
// Lambda's words while a new IAM role has not propagated yet.
const ROLE_NOT_READY = /role.*(cannot be assumed|assume|permission)|(cannot be assumed|assume).*role|execution role/i;

/** Which errors mean "not yet" rather than "no". Everything else surfaces at once. */
export function retryRuleFor(err: unknown): RetryRule | undefined {
  const name = awsErrorName(err);
  if (name === undefined) return undefined;
  if (name === 'InvalidParameterValueException') {
    return ROLE_NOT_READY.test(errorMessage(err))
      ? { reason: 'the new IAM role is still propagating', budgetMs: retrySettings.roleBudgetMs }
      : undefined;
  }
  if (THROTTLING.includes(name)) return { reason: 'rate limit reached', budgetMs: retrySettings.throttleBudgetMs };
  if (CONFLICT.includes(name)) return { reason: 'another update is still in progress', budgetMs: retrySettings.conflictBudgetMs };
  return undefined;
}

/**
 * Runs one AWS step, retrying only the errors that mean "not yet" with capped exponential
 * backoff and full jitter, within a bounded total wait. Any other error, or the original error
 * once the budget is spent, is thrown as a StepError naming the step.
 */
export async function bamBam<T>(step: string, call: () => Promise<T>, options: BamBamOptions = {}): Promise<T> {
  const started = retrySettings.now();
  let attempt = 0;
  let warned = false;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      const rule = retryRuleFor(err);
      if (!rule) throw err instanceof StepError ? err : new StepError(step, err);
      const budget = options.budgetMs ?? rule.budgetMs;
      const waited = retrySettings.now() - started;
      const left = budget - waited;
      if (left <= 0) throw new StepError(step, err);
      const cap = Math.min(retrySettings.maxDelayMs, retrySettings.baseDelayMs * 2 ** attempt);
      // Full jitter, but never a zero wait, and never past the budget.
      const delay = Math.min(left, Math.max(50, Math.round(retrySettings.random() * cap)));
      attempt += 1;
      if (!warned) {
        warned = true;
        (options.onWait ?? waitNotices.onWait)?.(`AWS is making us wait (${step}: ${rule.reason}); retrying for up to ${Math.ceil(budget / 1000)} s.`);
      }
      await waitWithCountdown(delay, (msLeft) =>
        options.onTick?.(`${step}: ${rule.reason}; retry ${attempt} in ${Math.ceil(msLeft / 1000)} s (gives up in ${Math.ceil((left - delay + msLeft) / 1000)} s)`),
      );
    }
  }
}

/** Sleeps, telling the seconds left once a second, so a long wait never looks like a hang. */
async function waitWithCountdown(delay: number, tick: (msLeft: number) => void): Promise<void> {
  const until = retrySettings.now() + delay;
  tick(delay);
  const ticker = setInterval(() => tick(Math.max(0, until - retrySettings.now())), 1000);
  try {
    await retrySettings.sleep(delay);
  } finally {
    clearInterval(ticker);
  }
}
