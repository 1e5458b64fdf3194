import type { FunctionConfiguration } from '@aws-sdk/client-lambda';
import type { AwsSession } from '../../aws/clients.js';
import { updateFunctionCode, waitUntilUpdated } from '../../aws/lambda.js';
import { BamError, isAwsError } from '../../core/errors.js';
import type { LambdaRecord } from '../../core/records.js';
import type { Store } from '../../store/store.js';
import type { Reporter } from '../../ui/reporter.js';
import { recordFunction, waitMessages } from '../endpoint.js';
import { recordedSettings } from '../functionRecord.js';

/**
 * New code for a function bam already looked at: UpdateFunctionCode at once (no GetFunction
 * first: the record says what Lambda runs), its CodeSha256 recorded as soon as Lambda takes it,
 * then the wait until Lambda has applied it. Two round trips when AWS is well. An update still
 * under way (ResourceConflictException) is waited out by bamBam. With the RevisionId bam's last
 * update left, Lambda refuses the code if anyone changed the function since: bam says so in one
 * line and sends the saved code over it, as `bam redeploy` would. Returns the revision the
 * function is at now (undefined when Lambda did not say).
 */
export async function pushCode(aws: AwsSession, store: Store, name: string, zip: Uint8Array, reporter: Reporter, revisionId: string | undefined): Promise<string | undefined> {
  const { region } = aws;
  return store.withNameLease('function', region, name, waitMessages(reporter), async () => {
    const before = await store.lambdaRecords.get(region, name);
    const updated = await sendCode(aws, name, zip, reporter, revisionId);
    const outside = changedElsewhere(before, updated);
    // The answer carries the whole configuration: what changed outside bam is recorded too.
    if (outside.length > 0) reporter.warn(`"${name}" was changed outside bam (${outside.join(', ')}); its record now says what Lambda has.`);
    await recordFunction(store, region, name, {
      codeSha256: updated.CodeSha256 ?? '',
      description: updated.Description ?? '',
      ...recordedSettings(updated),
      deployedAt: new Date().toISOString(),
    });
    if (updated.LastUpdateStatus === 'Successful') return updated.RevisionId;
    return (await waitUntilUpdated(aws, name))?.RevisionId;
  });
}

async function sendCode(aws: AwsSession, name: string, zip: Uint8Array, reporter: Reporter, revisionId: string | undefined): Promise<FunctionConfiguration> {
  try {
    return await updateFunctionCode(aws, name, zip, waitMessages(reporter), revisionId);
  } catch (err) {
    if (isAwsError(err, 'ResourceNotFoundException')) {
      throw new BamError(`Lambda "${name}" no longer exists in ${aws.region} (deleted outside bam). Stop with Ctrl-C, then: bam deploy ${name}`, { cause: err });
    }
    if (revisionId === undefined || !isAwsError(err, 'PreconditionFailedException')) throw err;
    reporter.warn(`"${name}" was updated outside bam since bam's last update; sending your saved code over it.`);
    return updateFunctionCode(aws, name, zip, waitMessages(reporter));
  }
}

/** The recorded settings Lambda's answer contradicts (someone used the console or another tool). */
function changedElsewhere(record: LambdaRecord | undefined, fn: FunctionConfiguration): string[] {
  if (!record) return [];
  const reported = { description: fn.Description ?? '', ...recordedSettings(fn) };
  const recorded = { description: record.description, runtime: record.runtime, memory: record.memory, timeout: record.timeout, env: record.env };
  return (Object.keys(reported) as (keyof typeof reported)[]).filter((key) => JSON.stringify(reported[key]) !== JSON.stringify(recorded[key]));
}
