import type { EndpointType } from './records.js';
import { UsageError } from './errors.js';

// Lambda function names: letters, digits, hyphens and underscores, 64 at most.
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function validateFunctionName(name: string): void {
  if (!FUNCTION_NAME.test(name)) {
    throw new UsageError(`"${name}" is not a valid function name: use 1 to 64 letters, digits, - and _.`);
  }
}

// DynamoDB table names: 3 to 255 of letters, digits, _ . and -.
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

export function isTableName(name: string): boolean {
  return TABLE_NAME.test(name);
}

export function validateTableName(name: string): void {
  if (!isTableName(name)) {
    throw new UsageError(`"${name}" is not a valid table name: use 3 to 255 letters, digits, _ . and -.`);
  }
}

const ACCOUNT_NUMBER = /^\d{12}$/;

export function isAccountNumber(value: string): boolean {
  return ACCOUNT_NUMBER.test(value);
}

export function validateAccountNumber(value: string): string | undefined {
  return isAccountNumber(value) ? undefined : `"${value}" is not an AWS account number: it must be exactly 12 digits.`;
}

// IAM role names: up to 64 of letters, digits and +=,.@_-
export function validateRoleName(value: string): string | undefined {
  return /^[\w+=,.@-]{1,64}$/.test(value)
    ? undefined
    : `"${value}" is not a valid IAM role name: use up to 64 letters, digits and + = , . @ _ -.`;
}

export function parseEndpointType(value: string): EndpointType {
  const upper = value.toUpperCase();
  if (upper === 'EDGE' || upper === 'REGIONAL') return upper;
  throw new UsageError(`"${value}" is not an endpoint type: use edge or regional.`);
}

export function roleArn(account: string, role: string): string {
  return `arn:aws:iam::${account}:role/${role}`;
}

/** The role's name from its ARN (paths included: arn:aws:iam::1:role/a/b → b). */
export function roleNameFromArn(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}
