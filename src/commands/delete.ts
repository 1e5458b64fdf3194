import { rm } from 'node:fs/promises';
import type { CommandContext } from '../tasks/context.js';
import { validateFunctionName } from '../core/names.js';
import { recordApi, waitMessages } from '../tasks/endpoint.js';
import { confirmForeignDelete } from '../tasks/confirmDelete.js';
import { openAws, type AwsSession } from '../aws/clients.js';
import { deleteRestApi } from '../aws/apiGateway.js';
import { carriesManagedTag, deleteFunction, findFunctionCode, removeApiPermission } from '../aws/lambda.js';
import { settleFunction } from '../tasks/settle.js';
import { BamError, UsageError } from '../core/errors.js';
import { deleteFunctionUrl } from '../tasks/functionUrl.js';
import type { ApiRecord, LambdaRecord } from '../core/records.js';
import type { Reporter } from '../ui/reporter.js';
import type { Store } from '../store/store.js';

export interface DeleteOptions {
  endpointOnly?: boolean;
  /** Delete only the function URL (and its two policy statements), keep the function. */
  urlOnly?: boolean;
  /** Also delete a function bam did not make (no record, no tag), without asking. */
  force?: boolean;
}

/**
 * bam delete: the API, then the function (its permissions go with it): two round trips, one for
 * a function without an endpoint. Whatever was already gone only loses its stale record.
 * A function bam has no record of is first looked at (GetFunction, which carries its tags).
 */
export async function deleteLambda(name: string, options: DeleteOptions, ctx: CommandContext): Promise<void> {
  validateFunctionName(name);
  if (options.endpointOnly && options.urlOnly) throw new UsageError('--endpointOnly deletes the REST API and --urlOnly the function URL: pass one of them (run twice for both).');
  const aws = await openAws(ctx.aws);
  // Under the name's lease, after settling what an interrupted bam left: an API it made is deleted too.
  await ctx.store.withNameLease('function', aws.region, name, waitMessages(ctx.reporter), async () => {
    await settleFunction(aws, ctx.store, name, ctx.reporter);
    await deleteUnderLease(aws, name, options, ctx);
  });
}

/** One delete under the name's lease: what every step reads. */
interface DeleteRun {
  aws: AwsSession;
  name: string;
  options: DeleteOptions;
  store: Store;
  reporter: Reporter;
}

async function deleteUnderLease(aws: AwsSession, name: string, options: DeleteOptions, ctx: CommandContext): Promise<void> {
  const run: DeleteRun = { aws, name, options, store: ctx.store, reporter: ctx.reporter };
  const record = await run.store.lambdaRecords.get(aws.region, name);
  const api = record?.api;
  if (options.endpointOnly && !api) {
    run.reporter.warn(`"${name}" has no endpoint recorded in ${aws.region}; nothing to delete.`);
    return;
  }
  if (!record && !options.force) await makeSureBamMadeIt(aws, name, ctx);
  // The function's deletion takes its URL and policy with it: only --urlOnly needs URL calls.
  if (options.urlOnly) return deleteFunctionUrl(aws, run.store, name, record, run.reporter);

  run.reporter.start(options.endpointOnly ? `Deleting the endpoint of "${name}"` : `Deleting "${name}"`);
  try {
    // The API first, then the function: a function deleted beside an API that then could not be
    // deleted would leave a record of a function that is gone (the API's only record).
    if (api) await deleteTheEndpoint(run, api);
    if (!options.endpointOnly) await deleteTheFunction(run, record);
  } finally {
    run.reporter.stop();
  }
}

/** DeleteRestApi; the record drops the API whether it was deleted now or was gone already. */
async function deleteTheEndpoint({ aws, name, options, store, reporter }: DeleteRun, api: ApiRecord): Promise<void> {
  const outcome = await deleteRestApi(aws, api.restApiId, waitMessages(reporter));
  await recordApi(store, aws.region, name, undefined);
  // A function that stays keeps no permission for an API that is gone.
  if (options.endpointOnly) await removeApiPermission(aws, name, api.restApiId);
  if (outcome === 'deleted') reporter.succeed(`Endpoint: "${name}" has been deleted`);
  else reporter.warn(`The endpoint of "${name}" (${api.restApiId}) no longer existed in AWS; its record is dropped.`);
}

/** DeleteFunction; its record and staged code go whether it was deleted now or was gone already (only a function bam never knew is an error). */
async function deleteTheFunction({ aws, name, store, reporter }: DeleteRun, record: LambdaRecord | undefined): Promise<void> {
  const outcome = await deleteFunction(aws, name);
  if (outcome === 'gone' && !record) throw doesNotExist(name, aws.region);
  await store.lambdaRecords.remove(aws.region, name);
  await rm(store.paths.staging(name), { recursive: true, force: true });
  if (outcome === 'deleted') reporter.succeed(`Lambda: "${name}" has been deleted`);
  else reporter.warn(`Lambda "${name}" no longer existed in ${aws.region}; its record is dropped.`);
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

