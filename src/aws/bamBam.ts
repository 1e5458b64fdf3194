import { StepError, awsErrorName, errorMessage } from '../core/errors.js';
import { roleNotReadyMessage } from '../core/lambdaRole.js';
import type { RetryPolicy, StepSettings } from './policy.js';

/** Why AWS makes us wait, and for how long at most. */
export interface RetryRule {
  reason: string;
  budgetMs: number;
  /** Calls at most, when each one may itself take long (a request that times out). */
  attempts?: number;
}

/**
 * A request AWS never answered within bam's bound (thrown by the clients' HTTP handler).
 * 'connect': no connection was made, so AWS never saw the request and sending it again is safe.
 * 'answer': the request went out and nothing came back; AWS may have done it.
 * It has no `cause` on purpose: the SDK would retry a cause it deems transient, and whether a
 * timed-out step may be sent again is bamBam's call (it knows the step).
 */
export class NoAnswerError extends Error {
  constructor(
    readonly phase: 'connect' | 'answer',
    readonly timeoutMs: number,
    /** Where bam was talking to, e.g. https://lambda.us-east-1.amazonaws.com. */
    readonly endpoint: string,
  ) {
    super(phase === 'connect' ? `no connection to ${endpoint} within ${seconds(timeoutMs)} s` : `no answer from ${endpoint} within ${seconds(timeoutMs)} s`);
    this.name = 'NoAnswerError';
  }
}

/** A step whose request went unanswered: "CreateFunction did not answer within 60 s: …". */
export class NoAnswerStepError extends StepError {
  constructor(step: string, cause: NoAnswerError, message: string) {
    super(step, cause);
    this.message = message;
  }
}

const seconds = (ms: number): number => Math.ceil(ms / 1000);

export interface BamBamOptions {
  /** Overrides the rule's total wait for this step. */
  budgetMs?: number;
  /** Called once, the first time AWS makes this step wait. */
  onWait?: (message: string) => void;
  /** Called before every wait with the seconds left in the budget (countdowns). */
  onTick?: (message: string) => void;
  /**
   * May the request be sent again after it went out and got no answer? Default: yes, except for
   * Create* and Import* steps, which AWS may have carried out (a second one could make a duplicate
   * or fail with "already exists"). A create that checks first or carries a token may say yes.
   */
  idempotent?: boolean;
}

const THROTTLING = ['TooManyRequestsException', 'ThrottlingException', 'Throttling', 'ThrottledException', 'RequestLimitExceeded'];
const CONFLICT = ['ResourceConflictException', 'ConflictException'];

const ALREADY_EXISTS = /already exist/i;
const CONNECTION_LOST = ['ECONNRESET', 'EPIPE', 'ECONNABORTED'];

/**
 * The request may have reached AWS and been carried out, but its answer never came back: a
 * request timeout, a connection cut after the request went out, or AWS's own 5xx. A create
 * that ends like this must look for what it made before it is sent again.
 */
export function answerMayBeLost(err: unknown): boolean {
  const inner = err instanceof StepError ? err.cause : err;
  if (inner instanceof NoAnswerError) return inner.phase === 'answer';
  if (typeof inner !== 'object' || inner === null) return false;
  const { code, $fault, $metadata } = inner as { code?: unknown; $fault?: unknown; $metadata?: { httpStatusCode?: number } };
  if (typeof code === 'string' && CONNECTION_LOST.includes(code)) return true;
  return $fault === 'server' || ($metadata?.httpStatusCode ?? 0) >= 500;
}

/** AWS says the thing to create is there already (Lambda's "Function already exist", DynamoDB's ResourceInUseException, …). */
export function alreadyExists(err: unknown): boolean {
  const name = awsErrorName(err);
  return name === 'ResourceInUseException' || ((name === 'ResourceConflictException' || name === 'ConflictException') && ALREADY_EXISTS.test(errorMessage(err)));
}

/** Steps that make something new: sent twice, they could make it twice. */
const CREATES = /^(Create|Import)/;

/** Which errors mean "not yet" rather than "no". Everything else surfaces at once. */
export function retryRuleFor(err: unknown, policy: RetryPolicy, idempotent = true): RetryRule | undefined {
  const name = awsErrorName(err);
  if (name === undefined) return undefined;
  if (name === 'NoAnswerError') {
    const noAnswer = (err instanceof StepError ? err.cause : err) as NoAnswerError;
    if (noAnswer.phase === 'answer' && !idempotent) return undefined;
    return {
      reason: `no answer within ${seconds(noAnswer.timeoutMs)} s`,
      budgetMs: policy.noAnswerBudgetMs,
      attempts: policy.noAnswerAttempts,
    };
  }
  if (name === 'InvalidParameterValueException') {
    return roleNotReadyMessage(errorMessage(err))
      ? { reason: 'the new IAM role is still propagating', budgetMs: policy.roleBudgetMs }
      : undefined;
  }
  if (THROTTLING.includes(name)) return { reason: 'rate limit reached', budgetMs: policy.throttleBudgetMs };
  // "Function already exist" is a ResourceConflictException too, but no wait will change it.
  if (CONFLICT.includes(name) && !ALREADY_EXISTS.test(errorMessage(err))) {
    return { reason: 'another update is still in progress', budgetMs: policy.conflictBudgetMs };
  }
  if (answerMayBeLost(err)) {
    return idempotent ? { reason: 'the connection to AWS failed', budgetMs: policy.noAnswerBudgetMs, attempts: policy.noAnswerAttempts } : undefined;
  }
  return undefined;
}

/**
 * Runs one AWS step, retrying only the errors that mean "not yet" with capped exponential
 * backoff and full jitter, within a bounded total wait. Any other error, or the original error
 * once the budget is spent, is thrown as a StepError naming the step.
 */
export async function bamBam<T>(session: StepSettings, step: string, call: () => Promise<T>, options: BamBamOptions = {}): Promise<T> {
  const policy = session.policy.retry;
  const started = policy.now();
  const idempotent = options.idempotent ?? !CREATES.test(step);
  let attempt = 0;
  let warned = false;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      const rule = retryRuleFor(err, policy, idempotent);
      if (!rule) throw stepError(step, err, attempt + 1, idempotent);
      const budget = options.budgetMs ?? rule.budgetMs;
      const waited = policy.now() - started;
      const left = budget - waited;
      if (left <= 0 || (rule.attempts !== undefined && attempt + 1 >= rule.attempts)) throw stepError(step, err, attempt + 1, idempotent);
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
      // Full jitter, but never a zero wait, and never past the budget.
      const delay = Math.min(left, Math.max(50, Math.round(policy.random() * cap)));
      attempt += 1;
      if (!warned) {
        warned = true;
        (options.onWait ?? session.onWait)?.(`AWS is making us wait (${step}: ${rule.reason}); retrying for up to ${Math.ceil(budget / 1000)} s.`);
      }
      await waitWithCountdown(policy, delay, (msLeft) =>
        options.onTick?.(`${step}: ${rule.reason}; retry ${attempt} in ${Math.ceil(msLeft / 1000)} s (gives up in ${Math.ceil((left - delay + msLeft) / 1000)} s)`),
      );
    }
  }
}

/** The error a step ends with: the SDK's, named by the step; a request left unanswered in one line that says what to do. */
function stepError(step: string, err: unknown, calls: number, idempotent: boolean): StepError {
  if (err instanceof StepError) return err;
  if (!(err instanceof NoAnswerError)) return new StepError(step, err);
  const within = `${step} did not answer within ${seconds(err.timeoutMs)} s`;
  if (err.phase === 'answer' && !idempotent) {
    return new NoAnswerStepError(step, err, `${within}: ${err.endpoint} got the request but sent nothing back, so it may have been done anyway; check (bam list, or the AWS console) before you try again.`);
  }
  const what = err.phase === 'connect' ? `no connection to ${err.endpoint}` : `no answer from ${err.endpoint}`;
  const tries = calls > 1 ? `, ${calls} tries` : '';
  return new NoAnswerStepError(step, err, `${within} (${what}${tries}): check your network connection, proxy and endpoint settings (AWS_ENDPOINT_URL), then try again.`);
}

/** Sleeps, telling the seconds left once a second, so a long wait never looks like a hang. */
async function waitWithCountdown(policy: RetryPolicy, delay: number, tick: (msLeft: number) => void): Promise<void> {
  const until = policy.now() + delay;
  tick(delay);
  const ticker = setInterval(() => tick(Math.max(0, until - policy.now())), 1000);
  try {
    await policy.sleep(delay);
  } finally {
    clearInterval(ticker);
  }
}
