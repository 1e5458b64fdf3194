import type { FunctionConfiguration } from '@aws-sdk/client-lambda';
import type { AwsSession } from '../aws/clients.js';
import type { ApiSpec } from '../core/apiDocument.js';
import { alreadyExists, answerMayBeLost, type BamBamOptions } from '../aws/bamBam.js';
import { importRestApi, listRestApis } from '../aws/apiGateway.js';
import { createFunction, findFunctionCode, type NewFunction, type RoleRetry } from '../aws/lambda.js';
import { TOKEN_TAG_KEY, apiTokenOf } from '../core/tags.js';
import { BamError } from '../core/errors.js';

/** A create whose answer was lost, and which did not happen, is sent again at most this often in all. */
export const SENDS = 3;

/** Errors thrown after a create's answer was lost: what it made, if anything, is not known. */
const uncertain = new WeakSet<object>();

/**
 * Whether a failed own-create may still have made its resource (its answer was lost, and then
 * the look for it failed or it was sent once too often). Such an intent stays open for settling.
 */
export function createMayHaveHappened(err: unknown): boolean {
  return answerMayBeLost(err) || (typeof err === 'object' && err !== null && uncertain.has(err));
}

/** Runs the look that follows a lost answer; whatever it throws is marked uncertain. */
export async function afterLostAnswer<T>(lost: boolean, look: () => Promise<T>): Promise<T> {
  try {
    return await look();
  } catch (err) {
    if (lost && typeof err === 'object' && err !== null) uncertain.add(err);
    throw err;
  }
}

/**
 * CreateFunction that never leaves a duplicate or a function bam does not know about: when
 * the answer is lost, or Lambda says the function exists, bam looks at the function; if it
 * carries this operation's token it is ours and adopted; another one is a real conflict.
 */
export async function createOwnFunction(aws: AwsSession, fn: NewFunction & { token: string }, retry: RoleRetry): Promise<FunctionConfiguration> {
  for (let sent = 1; ; sent += 1) {
    try {
      return await createFunction(aws, fn, retry);
    } catch (err) {
      const lost = answerMayBeLost(err);
      if (!lost && !alreadyExists(err)) throw err;
      const found = await afterLostAnswer(lost, () => findFunctionCode(aws, fn.name));
      if (found?.Configuration && found.Tags?.[TOKEN_TAG_KEY] === fn.token) return found.Configuration;
      if (found) throw new BamError(`Function "${fn.name}" already exists in ${aws.region}. Use: bam redeploy ${fn.name}`, { cause: err });
      if (!lost || sent >= SENDS) throw err;
    }
  }
}

/**
 * ImportRestApi that never makes a second API: after a lost answer bam lists the region's APIs
 * and takes the one whose description carries this operation's token before it imports again.
 */
export async function importOwnApi(aws: AwsSession, spec: ApiSpec & { token: string }, wait: BamBamOptions): Promise<string> {
  for (let sent = 1; ; sent += 1) {
    try {
      return await importRestApi(aws, spec, wait);
    } catch (err) {
      if (!answerMayBeLost(err)) throw err;
      const made = await afterLostAnswer(true, () => findApisByToken(aws, spec.token));
      if (made[0]?.id) return made[0].id;
      if (sent >= SENDS) throw err;
    }
  }
}

/** The APIs whose description carries this token, oldest first. */
export async function findApisByToken(aws: AwsSession, token: string): Promise<{ id: string; createdDate?: Date }[]> {
  const apis = await listRestApis(aws);
  return apis
    .filter((api) => api.id && apiTokenOf(api.description) === token)
    .map((api) => ({ id: api.id!, ...(api.createdDate ? { createdDate: api.createdDate } : {}) }))
    .sort((a, b) => (a.createdDate?.getTime() ?? 0) - (b.createdDate?.getTime() ?? 0));
}
