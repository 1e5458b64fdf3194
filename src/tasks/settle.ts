import type { GetFunctionCommandOutput } from '@aws-sdk/client-lambda';
import type { AwsSession } from '../aws/clients.js';
import { apiUrl, deleteRestApi, listRestApis } from '../aws/apiGateway.js';
import { STAGE } from '../core/stage.js';
import { findFunctionCode, removeApiPermission } from '../aws/lambda.js';
import { TOKEN_TAG_KEY, apiTokenOf } from '../core/tags.js';
import type { Intent } from '../store/intents.js';
import { type ApiRecord, type LambdaRecord } from '../core/records.js';
import type { Store } from '../store/store.js';
import { errorMessage } from '../core/errors.js';
import type { Reporter } from '../ui/reporter.js';
import { functionRecordFrom } from './functionRecord.js';

/**
 * Settles what an earlier bam left open for this function: a create it was killed in, or whose
 * answer it lost. Whatever carries the operation's token is found and recorded; duplicate APIs
 * it made are deleted; then the intents are closed. Costs nothing when no intent is open.
 */
export async function settleFunction(aws: AwsSession, store: Store, name: string, reporter: Reporter): Promise<void> {
  const open = await store.intents.forName(aws.region, name, ['function', 'api']);
  if (open.length === 0) return;
  const apiIntents = open.filter((intent) => intent.kind === 'api');
  const [found, apis] = await Promise.all([findFunctionCode(aws, name), apiIntents.length > 0 ? listRestApis(aws) : Promise.resolve([])]);
  let record = await store.lambdaRecords.get(aws.region, name);

  const made = open.find((intent) => intent.kind === 'function' && ours(found, intent));
  if (found?.Configuration && made && !record) {
    record = functionRecordFrom(found.Configuration, { region: aws.region, account: '', name, sourcePath: made.sourcePath ?? '' });
    const wanted = apiIntents.find((intent) => intent.token === made.token)?.api;
    if (wanted) record.pendingApi = wanted;
    if (made.url) record.pendingUrl = made.url;
    await store.lambdaRecords.put(aws.region, name, record);
    reporter.warn(`Recorded Lambda "${name}", which an interrupted bam had created.`);
  }

  for (const intent of apiIntents) {
    const tagged = apis
      .filter((api) => api.id && apiTokenOf(api.description) === intent.token)
      .sort((a, b) => (a.createdDate?.getTime() ?? 0) - (b.createdDate?.getTime() ?? 0))
      .map((api) => api.id!);
    if (tagged.length === 0) continue;
    // The function's endpoint is the recorded one if it is among them, else the oldest; an API
    // whose function does not exist has nothing to serve.
    const keep = found?.Configuration && record ? (tagged.find((id) => id === record!.api?.restApiId) ?? tagged[0]) : undefined;
    if (keep && record && record.api?.restApiId !== keep) {
      const replaced = record.api?.restApiId;
      record = await recordFoundApi(store, aws.region, name, keep, intent);
      reporter.warn(`Recorded the API ${keep} of "${name}", which an interrupted bam had created.`);
      if (replaced) await removeApiPermission(aws, name, replaced);
    }
    for (const id of tagged.filter((id) => id !== keep)) await removeApi(aws, name, id, reporter);
  }
  await store.intents.close(...open);
}

function ours(found: GetFunctionCommandOutput | undefined, intent: Intent): boolean {
  return found?.Tags?.[TOKEN_TAG_KEY] === intent.token;
}

/** Not deployed as far as bam knows: the next redeploy publishes it (permission and stage). */
async function recordFoundApi(store: Store, region: string, name: string, restApiId: string, intent: Intent): Promise<LambdaRecord | undefined> {
  const settings = intent.api ?? { methods: ['GET'], endpointType: 'EDGE' as const };
  const api: ApiRecord = { restApiId, ...settings, url: apiUrl(restApiId, region), stage: STAGE, deployed: false };
  return store.lambdaRecords.update(region, name, (current) => {
    if (!current) return undefined;
    const { pendingApi: _pending, ...rest } = current;
    return { ...rest, api };
  });
}

/** A duplicate (or orphan) API bam made itself: deleted, with the permission it may have got. */
async function removeApi(aws: AwsSession, name: string, restApiId: string, reporter: Reporter): Promise<void> {
  try {
    await Promise.all([
      deleteRestApi(aws, restApiId, { onWait: (message) => reporter.warn(message), onTick: (message) => reporter.update(message) }),
      removeApiPermission(aws, name, restApiId),
    ]);
    reporter.warn(`Deleted the API ${restApiId}, a duplicate an interrupted bam had made for "${name}".`);
  } catch (err) {
    reporter.warn(`The duplicate API ${restApiId} of "${name}" could not be deleted (${errorMessage(err)}); delete it in the API Gateway console.`);
    throw err;
  }
}
