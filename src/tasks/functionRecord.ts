import type { FunctionConfiguration } from '@aws-sdk/client-lambda';
import { functionArn } from '../core/apiDocument.js';
import { roleNameFromArn } from '../core/names.js';
import { DEFAULT_RUNTIME } from '../core/runtimes.js';
import type { LambdaRecord } from '../core/records.js';

/** Where the facts Lambda does not keep come from. */
export interface RecordSource {
  region: string;
  account: string;
  name: string;
  sourcePath: string;
  /** The role's name when Lambda's answer has none (it always has, outside tests). */
  role?: string;
  deployedAt?: string;
}

/** The settings a function's record keeps, as Lambda reports them (env values too: bam dev runs with them). */
export function recordedSettings(config: FunctionConfiguration): Pick<LambdaRecord, 'runtime' | 'memory' | 'timeout' | 'env'> {
  const env = config.Environment?.Variables;
  return {
    runtime: config.Runtime ?? DEFAULT_RUNTIME,
    memory: config.MemorySize,
    timeout: config.Timeout,
    // Undefined (not {}) when there are none, so the record drops the field.
    env: env && Object.keys(env).length > 0 ? env : undefined,
  };
}

/** A function's record from what Lambda reports about it (the one builder deploy, redeploy and settling share). */
export function functionRecordFrom(config: FunctionConfiguration, source: RecordSource): LambdaRecord {
  return {
    arn: config.FunctionArn ?? functionArn(source.region, source.account, source.name),
    role: config.Role ? roleNameFromArn(config.Role) : (source.role ?? ''),
    description: config.Description ?? '',
    codeSha256: config.CodeSha256 ?? '',
    sourcePath: source.sourcePath,
    deployedAt: source.deployedAt ?? new Date().toISOString(),
    ...recordedSettings(config),
  };
}
