import { UsageError } from '../core/errors.js';

// Lambda function names: letters, digits, hyphens and underscores, 64 at most.
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function validateFunctionName(name: string): void {
  if (!FUNCTION_NAME.test(name)) {
    throw new UsageError(`"${name}" is not a valid function name: use 1 to 64 letters, digits, - and _.`);
  }
}
