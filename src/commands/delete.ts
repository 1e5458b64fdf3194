import { rm } from 'node:fs/promises';
import type { CommandContext } from './context.js';
import { validateFunctionName } from './names.js';
import { recordApi, waitMessages } from './shared/endpoint.js';
import { confirmForeignDelete } from './shared/confirmDelete.js';
import { openAws, type AwsSession } from '../aws/clients.js';
import { deleteRestApi } from '../aws/apiGateway.js';
import { carriesManagedTag, deleteFunction, findFunctionCode, removeApiPermission } from '../aws/lambda.js';
import { withNameLease } from '../store/lease.js';
import { storePaths } from '../store/paths.js';
import { settleFunction } from '../tasks/settle.js';
import { lambdaRecords } from '../store/records.js';
import { BamError } from '../ui/errors.js';

export interface DeleteOptions {
  endpointOnly?: boolean;
  /** Also delete a function bam did not make (no record, no tag), without asking. */
  force?: boolean;
}

/**
 * bam delete: the API and the function in one round trip (DeleteRestApi ∥ DeleteFunction; the
 * function's permissions go with it). Whatever was already gone only loses its stale record.
 * A function bam has no record of is first looked at (GetFunction, which carries its tags).
 */
export async function deleteLambda(name: string, options: DeleteOptions, ctx: CommandContext): Promise<void> {
  validateFunctionName(name);
  const aws = await openAws(ctx.aws);
  // Under the name's lease, after settling what an interrupted bam left: an API it made is deleted too.
  await withNameLease('function', aws.region, name, waitMessages(ctx.reporter), async () => {
    await settleFunction(aws, name, ctx.reporter);
    await deleteUnderLease(aws, name, options, ctx);
  });
}

async function deleteUnderLease(aws: AwsSession, name: string, options: DeleteOptions, ctx: CommandContext): Promise<void> {
  const { region } = aws;
  const { reporter } = ctx;
  const record = await lambdaRecords.get(region, name);
  const api = record?.api;
  if (options.endpointOnly && !api) {
    reporter.warn(`"${name}" has no endpoint recorded in ${region}; nothing to delete.`);
    return;
  }
  if (!record && !options.force) await makeSureBamMadeIt(aws, name, ctx);

  reporter.start(options.endpointOnly ? `Deleting the endpoint of "${name}"` : `Deleting "${name}"`);
  const [apiResult, functionResult] = await Promise.allSettled([
    api ? deleteRestApi(aws, api.restApiId, waitMessages(reporter)) : undefined,
    // A function that stays keeps no permission for an API that is gone.
    options.endpointOnly ? (api ? removeApiPermission(aws, name, api.restApiId).then(() => undefined) : undefined) : deleteFunction(aws, name),
  ]);
  reporter.stop();

  // Records follow what AWS did, even when the other half failed.
  if (apiResult.status === 'fulfilled' && apiResult.value) {
    if (apiResult.value === 'deleted') reporter.succeed(`Endpoint: "${name}" has been deleted`);
    else reporter.warn(`The endpoint of "${name}" (${api?.restApiId}) no longer existed in AWS; its record is dropped.`);
    if (functionResult.status !== 'fulfilled' || options.endpointOnly) await recordApi(region, name, undefined);
  }
  if (functionResult.status === 'fulfilled' && functionResult.value) {
    // With the API still there (its deletion failed), the record stays: the next delete finishes.
    const recordGoes = apiResult.status === 'fulfilled';
    if (functionResult.value === 'deleted') reporter.succeed(`Lambda: "${name}" has been deleted`);
    else if (!record) throw doesNotExist(name, region);
    else if (recordGoes) reporter.warn(`Lambda "${name}" no longer existed in ${region}; its record is dropped.`);
    else reporter.warn(`Lambda "${name}" no longer existed in ${region}; its record stays until its endpoint is deleted: run bam delete ${name} again.`);
    if (recordGoes) {
      await lambdaRecords.remove(region, name);
      await rm(storePaths.staging(name), { recursive: true, force: true });
    }
  }
  if (apiResult.status === 'rejected') throw apiResult.reason;
  if (functionResult.status === 'rejected') throw functionResult.reason;
}

/** bam made it (its tag, from another machine), or a person says so by typing its name. */
async function makeSureBamMadeIt(aws: AwsSession, name: string, ctx: CommandContext): Promise<void> {
  const found = await findFunctionCode(aws, name);
  if (!found) throw doesNotExist(name, aws.region);
  if (carriesManagedTag(found.Tags)) return;
  await confirmForeignDelete({ kind: 'Function', name, region: aws.region, command: `bam delete ${name}` }, ctx);
}

function doesNotExist(name: string, region: string): BamError {
  return new BamError(`Function "${name}" does not exist in ${region}; nothing to delete. See your functions with: bam list`);
}

