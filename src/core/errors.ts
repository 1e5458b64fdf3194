/** An error meant for the user: one line that says what failed and what to do. */
export class BamError extends Error {
  readonly exitCode: number;

  constructor(message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BamError';
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Bad usage: wrong flags, invalid names. Exit code 2. */
export class UsageError extends BamError {
  constructor(message: string) {
    super(message, { exitCode: 2 });
    this.name = 'UsageError';
  }
}

/** An AWS step that failed for good; keeps the step's name and the SDK error as cause. */
export class StepError extends BamError {
  readonly step: string;

  constructor(step: string, cause: unknown) {
    super(`${step} failed: ${errorMessage(cause)}`, { cause });
    this.name = 'StepError';
    this.step = step;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/** The AWS SDK error name (e.g. "ResourceNotFoundException"), looking through StepError. */
export function awsErrorName(err: unknown): string | undefined {
  const inner = err instanceof StepError ? err.cause : err;
  if (inner && typeof inner === 'object' && 'name' in inner && typeof inner.name === 'string') {
    return inner.name;
  }
  return undefined;
}

export function isAwsError(err: unknown, ...names: string[]): boolean {
  const name = awsErrorName(err);
  return name !== undefined && names.includes(name);
}
