import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NoAnswerError, bamBam, retryRuleFor } from '../../src/aws/bamBam.js';
import { AWS_POLICY, type RetryPolicy, type StepSettings } from '../../src/aws/policy.js';
import { StepError } from '../../src/core/errors.js';

const awsError = (name: string, message = name): Error => Object.assign(new Error(message), { name });
const ROLE_NOT_READY = 'The role defined for the function cannot be assumed by Lambda.';

/** A call that fails with the given errors in turn, then returns 'ok'. */
function failing(...errors: Error[]) {
  const fn = vi.fn(() => {
    const next = errors.shift();
    return next ? Promise.reject(next) : Promise.resolve('ok');
  });
  return fn;
}

/** Runs a bamBam promise to completion under fake timers, returning its outcome. */
async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  const outcome = promise.then((value) => ({ value }), (error: unknown) => ({ error }));
  await vi.runAllTimersAsync();
  return outcome;
}

const RETRY = AWS_POLICY.retry;

/**
 * A session carrying bam's own policy (its sleeps and clock are the fake timers' here) with the
 * top of each jitter range, so delays are predictable; parts of the retry policy can be replaced.
 */
function sessionWith(retry: Partial<RetryPolicy> = {}, onWait?: (message: string) => void): StepSettings {
  return { policy: { ...AWS_POLICY, retry: { ...RETRY, random: () => 1, ...retry } }, onWait };
}

/** bam's sleep, noting each delay first. */
const recording = (delays: number[]) => (ms: number): Promise<void> => {
  delays.push(ms);
  return RETRY.sleep(ms);
};

let session: StepSettings;
beforeEach(() => {
  vi.useFakeTimers();
  session = sessionWith();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('bamBam', () => {
  it('returns at once when the step succeeds', async () => {
    const call = failing();
    expect(await settle(bamBam(session, 'CreateFunction', call))).toEqual({ value: 'ok' });
    expect(call).toHaveBeenCalledTimes(1);
  });

  it('retries a role that is not yet assumable, then succeeds', async () => {
    const call = failing(...Array.from({ length: 4 }, () => awsError('InvalidParameterValueException', ROLE_NOT_READY)));
    const waits: string[] = [];
    const ticks: string[] = [];
    const outcome = await settle(bamBam(session, 'CreateFunction', call, { onWait: (m) => waits.push(m), onTick: (m) => ticks.push(m) }));
    expect(outcome).toEqual({ value: 'ok' });
    expect(call).toHaveBeenCalledTimes(5);
    expect(waits).toHaveLength(1); // one message, not one per attempt
    expect(waits[0]).toMatch(/AWS is making us wait.*CreateFunction.*IAM role/);
    expect(ticks.length).toBeGreaterThanOrEqual(4);
  });

  it('tells the command\'s reporter once when a step gives no onWait of its own', async () => {
    const told: string[] = [];
    session = sessionWith({}, (m) => told.push(m));
    const outcome = await settle(bamBam(session, 'ListFunctions', failing(awsError('TooManyRequestsException'), awsError('TooManyRequestsException'))));
    expect(outcome).toEqual({ value: 'ok' });
    const own: string[] = [];
    await settle(bamBam(session, 'GetFunction', failing(awsError('ThrottlingException')), { onWait: (m) => own.push(m) }));
    expect(told).toEqual([expect.stringMatching(/^AWS is making us wait \(ListFunctions: rate limit reached\)/)]);
    expect(own).toHaveLength(1);
  });

  it('counts down once a second during a long wait', async () => {
    const ticks: string[] = [];
    const call = failing(awsError('TooManyRequestsException'), awsError('TooManyRequestsException'), awsError('TooManyRequestsException'), awsError('TooManyRequestsException'));
    await settle(bamBam(session, 'DeleteRestApi', call, { onTick: (m) => ticks.push(m) }));
    // Waits of 0.5, 1, 2 and 4 s: one message as each starts, then one per further second.
    const fourSecondWait = ticks.slice(ticks.findIndex((t) => t.includes('retry 4 in 4 s')));
    expect(fourSecondWait.slice(0, 4).map((t) => /in (\d+) s/.exec(t)?.[1])).toEqual(['4', '3', '2', '1']);
    expect(ticks[0]).toMatch(/DeleteRestApi: rate limit reached; retry 1 in 1 s \(gives up in \d+ s\)/);
  });

  it('backs off exponentially with each delay capped', async () => {
    const delays: number[] = [];
    session = sessionWith({ sleep: recording(delays) });
    const call = failing(...Array.from({ length: 8 }, () => awsError('TooManyRequestsException')));
    await settle(bamBam(session, 'ImportRestApi', call));
    expect(delays.slice(0, 6)).toEqual([500, 1000, 2000, 4000, 8000, 15000]);
    expect(Math.max(...delays)).toBe(RETRY.maxDelayMs);
  });

  it('uses full jitter: a delay anywhere between a floor and the cap', async () => {
    const delays: number[] = [];
    session = sessionWith({ sleep: recording(delays), random: () => 0.25 });
    await settle(bamBam(session, 'PutRestApi', failing(awsError('TooManyRequestsException'), awsError('TooManyRequestsException'))));
    expect(delays).toEqual([125, 250]);
  });

  it('throws any other error at once, wrapped with the step name', async () => {
    const original = awsError('InvalidParameterValueException', 'Unzipped size must be smaller than 262144000 bytes');
    const call = failing(original);
    const { error } = await settle(bamBam(session, 'CreateFunction', call));
    expect(call).toHaveBeenCalledTimes(1);
    expect(error).toBeInstanceOf(StepError);
    expect((error as StepError).step).toBe('CreateFunction');
    expect((error as StepError).cause).toBe(original);
    expect((error as Error).message).toBe('CreateFunction failed: Unzipped size must be smaller than 262144000 bytes');
  });

  it('gives up when the wait budget is spent and surfaces the original error', async () => {
    const original = awsError('TooManyRequestsException', 'Too Many Requests');
    const call = vi.fn(() => Promise.reject(original));
    const started = Date.now();
    const { error } = await settle(bamBam(session, 'DeleteRestApi', call, { budgetMs: 10_000 }));
    expect((error as StepError).cause).toBe(original);
    expect(Date.now() - started).toBeLessThanOrEqual(10_000);
    expect(call.mock.calls.length).toBeGreaterThan(2);
  });

  it('uses the per-kind budgets by default', async () => {
    const call = vi.fn(() => Promise.reject(awsError('ResourceConflictException')));
    const started = Date.now();
    await settle(bamBam(session, 'UpdateFunctionConfiguration', call));
    const waited = Date.now() - started;
    expect(waited).toBeLessThanOrEqual(RETRY.conflictBudgetMs);
    expect(waited).toBeGreaterThan(RETRY.conflictBudgetMs - RETRY.maxDelayMs);
  });

  it('classifies only the errors that mean "not yet"', () => {
    expect(retryRuleFor(awsError('InvalidParameterValueException', ROLE_NOT_READY), RETRY)?.budgetMs).toBe(RETRY.roleBudgetMs);
    expect(retryRuleFor(awsError('InvalidParameterValueException', 'The provided execution role does not have permissions to call CreateNetworkInterface on EC2'), RETRY)).toBeDefined();
    expect(retryRuleFor(awsError('InvalidParameterValueException', 'Invalid runtime'), RETRY)).toBeUndefined();
    for (const name of ['TooManyRequestsException', 'ThrottlingException', 'ResourceConflictException', 'ConflictException']) {
      expect(retryRuleFor(awsError(name), RETRY), name).toBeDefined();
    }
    for (const name of ['ResourceNotFoundException', 'AccessDeniedException', 'NotFoundException', 'BadRequestException']) {
      expect(retryRuleFor(awsError(name), RETRY), name).toBeUndefined();
    }
    expect(retryRuleFor(new StepError('X', awsError('ThrottlingException')), RETRY)).toBeDefined();
    expect(retryRuleFor('not an error', RETRY)).toBeUndefined();
  });

  describe('a request that got no answer', () => {
    const ENDPOINT = 'https://lambda.us-east-1.amazonaws.com';
    const noAnswer = () => new NoAnswerError('answer', 60_000, ENDPOINT);
    const noConnection = () => new NoAnswerError('connect', 10_000, ENDPOINT);

    it('is "not yet" for a read, an update or a delete: sent again, at most three times in all', async () => {
      for (const step of ['GetFunction', 'UpdateFunctionCode', 'DeleteTable']) {
        const call = vi.fn(() => Promise.reject(noAnswer()));
        const { error } = await settle(bamBam(session, step, call));
        expect(call, step).toHaveBeenCalledTimes(RETRY.noAnswerAttempts);
        expect((error as Error).message).toBe(
          `${step} did not answer within 60 s (no answer from ${ENDPOINT}, 3 tries): check your network connection, proxy and endpoint settings (AWS_ENDPOINT_URL), then try again.`,
        );
      }
      expect(await settle(bamBam(session, 'GetFunction', failing(noAnswer())))).toEqual({ value: 'ok' });
    });

    it('ends a create at once, in one line that says it may have been done', async () => {
      for (const step of ['CreateFunction', 'ImportRestApi']) {
        const call = failing(noAnswer());
        const { error } = await settle(bamBam(session, step, call));
        expect(call).toHaveBeenCalledTimes(1);
        expect(error).toBeInstanceOf(StepError);
        expect((error as StepError).step).toBe(step);
        expect((error as Error).message).toMatch(new RegExp(`^${step} did not answer within 60 s: ${ENDPOINT} got the request but sent nothing back, so it may have been done anyway; check`));
      }
    });

    it('sends a create again when it never reached AWS (no connection), or when the step says it is idempotent', async () => {
      const neverSent = failing(noConnection());
      expect(await settle(bamBam(session, 'CreateFunction', neverSent))).toEqual({ value: 'ok' });
      expect(neverSent).toHaveBeenCalledTimes(2);
      const checked = failing(noAnswer());
      expect(await settle(bamBam(session, 'CreateRole', checked, { idempotent: true }))).toEqual({ value: 'ok' });
      expect(checked).toHaveBeenCalledTimes(2);
    });

    it('names the missing connection when none was ever made', async () => {
      const { error } = await settle(bamBam(session, 'ListFunctions', vi.fn(() => Promise.reject(noConnection()))));
      expect((error as Error).message).toMatch(/^ListFunctions did not answer within 10 s \(no connection to https:\/\/lambda\.us-east-1\.amazonaws\.com, 3 tries\)/);
    });
  });
});
