import type { AwsSession } from '../aws/clients.js';
import type { ApiSpec } from '../core/apiDocument.js';
import type { BamBamOptions } from '../aws/bamBam.js';
import { apiUrl, createDeployment, deleteRestApi } from '../aws/apiGateway.js';
import { STAGE } from '../core/stage.js';
import { addApiPermission } from '../aws/lambda.js';
import { type ApiRecord, type ApiSettings, type LambdaRecord } from '../core/records.js';
import type { Store } from '../store/store.js';
import { errorMessage } from '../core/errors.js';
import type { Reporter } from '../ui/reporter.js';
import { concurrently } from './concurrently.js';

/** Shows AWS's rate limits as a warning and a countdown instead of an apparent hang. */
export function waitMessages(reporter: Reporter): BamBamOptions {
  return { onWait: (message) => reporter.warn(message), onTick: (message) => reporter.update(message) };
}

export function apiRecord(spec: ApiSpec, restApiId: string, deployed: boolean): ApiRecord {
  return {
    restApiId,
    endpointType: spec.endpointType,
    methods: spec.methods,
    url: apiUrl(restApiId, spec.region),
    stage: STAGE,
    deployed,
    ...(spec.cors !== undefined ? { cors: spec.cors } : {}),
  };
}

/**
 * Sets the API of a function's record (it is no longer pending, nor a last-known one), or with
 * undefined drops it, keeping its settings as the last known endpoint for --addEndpoint.
 */
export async function recordApi(store: Store, region: string, name: string, api: ApiRecord | undefined): Promise<void> {
  await store.lambdaRecords.update(region, name, (current) => {
    if (!current) return undefined;
    const { api: old, pendingApi: _pending, lastApi, ...rest } = current;
    if (api) return { ...rest, api };
    const last = old ? apiSettingsOf(old) : lastApi;
    return { ...rest, ...(last ? { lastApi: last } : {}) };
  });
}

/** What of an API record a new API would need to look the same. */
export function apiSettingsOf(api: ApiRecord): ApiSettings {
  return { methods: api.methods, endpointType: api.endpointType, ...(api.cors !== undefined ? { cors: api.cors } : {}) };
}

/** Merges changed fields into a function's record (the API part is left as it is). */
export async function recordFunction(store: Store, region: string, name: string, fields: Partial<Omit<LambdaRecord, 'api'>>): Promise<void> {
  await store.lambdaRecords.update(region, name, (current) => (current ? { ...current, ...fields } : undefined));
}

/**
 * Makes an imported API answer: the function's permission for this API and the deployment to
 * the stage, concurrently (neither needs the other). Callers record it as deployed afterwards.
 */
export async function publishApi(aws: AwsSession, spec: ApiSpec, restApiId: string, reporter: Reporter): Promise<void> {
  await concurrently([
    addApiPermission(aws, { name: spec.name, region: spec.region, account: spec.account, restApiId }),
    createDeployment(aws, restApiId, waitMessages(reporter)),
  ]);
}

/**
 * A new function's API when the function itself could not be created: delete it, so nothing
 * is left that no record lists. If even that fails, say which API to delete by hand.
 */
export async function removeOrphanApi(aws: AwsSession, restApiId: string, reporter: Reporter): Promise<boolean> {
  try {
    await deleteRestApi(aws, restApiId, waitMessages(reporter));
    return true;
  } catch (err) {
    reporter.warn(`The API ${restApiId} created for it could not be removed (${errorMessage(err)}); the next bam command on this function tries again.`);
    return false;
  }
}
