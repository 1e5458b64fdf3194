import { readFile } from 'node:fs/promises';
import type { AwsSession } from '../aws/clients.js';
import { addUrlPermission, createFunctionUrl, deleteFunctionUrlConfig, removeUrlPermission, updateFunctionUrl } from '../aws/lambda.js';
import { URL_PERMISSIONS, type UrlRecord, type UrlSettings } from '../core/functionUrl.js';
import type { Store } from '../store/store.js';
import type { LambdaRecord } from '../core/records.js';
import type { Reporter } from '../ui/reporter.js';
import { concurrently } from './concurrently.js';

/**
 * Makes the function's public URL in one round trip: the URL configuration and the two policy
 * statements it needs, side by side (none needs another). Each step is idempotent per function,
 * so running it again after an interruption finishes what is missing and makes nothing twice.
 */
export async function addFunctionUrl(aws: AwsSession, name: string, settings: UrlSettings): Promise<UrlRecord> {
  const [config] = await concurrently([
    createFunctionUrl(aws, name, settings),
    ...URL_PERMISSIONS.map((statement) => addUrlPermission(aws, name, statement)),
  ]);
  return { url: config.FunctionUrl!, ...settings };
}

/**
 * Removes the URL, then both its statements: a URL still there is never left without them (it
 * would answer 403 while its record says it answers). The record drops the URL the moment it is
 * gone, so a failure after that leaves only statements no URL uses, which the next --urlOnly removes.
 */
async function removeFunctionUrl(aws: AwsSession, store: Store, name: string): Promise<'deleted' | 'gone'> {
  const outcome = await deleteFunctionUrlConfig(aws, name);
  await recordUrl(store, aws.region, name, undefined);
  await concurrently(URL_PERMISSIONS.map(({ StatementId }) => removeUrlPermission(aws, name, StatementId)));
  return outcome;
}

/** Write-ahead: the record owes this URL before the calls that make it go out. */
async function recordPendingUrl(store: Store, region: string, name: string, settings: UrlSettings): Promise<void> {
  await store.lambdaRecords.update(region, name, (current) => (current ? { ...current, pendingUrl: settings } : undefined));
}

/** Sets the function's URL (no longer owed), or with undefined drops it and anything owed. */
export async function recordUrl(store: Store, region: string, name: string, url: UrlRecord | undefined): Promise<void> {
  await store.lambdaRecords.update(region, name, (current) => {
    if (!current) return undefined;
    const { url: _old, pendingUrl: _pending, ...rest } = current;
    return url ? { ...rest, url } : rest;
  });
}

/** Makes the URL a record owes (or a command asks for), recording it as owed first and as made once it answers. */
export async function finishFunctionUrl(aws: AwsSession, store: Store, name: string, settings: UrlSettings): Promise<UrlRecord> {
  await recordPendingUrl(store, aws.region, name, settings);
  const url = await addFunctionUrl(aws, name, settings);
  await recordUrl(store, aws.region, name, url);
  return url;
}

/**
 * The URL a redeploy makes: the one its record still owes (an interrupted deploy), or the one
 * --url asks for when there is none. A function that has one keeps it as it is.
 */
export function urlToMake(name: string, record: LambdaRecord | undefined, asked: boolean | undefined, cors: string | undefined, reporter: Reporter): UrlSettings | undefined {
  if (record?.url) {
    if (asked) reporter.info(`"${name}" already has a function URL: ${record.url.url}`);
    return undefined;
  }
  if (record?.pendingUrl) return { ...record.pendingUrl, ...(cors !== undefined ? { cors } : {}) };
  return asked ? { ...(cors !== undefined ? { cors } : {}) } : undefined;
}

/**
 * bam delete NAME --urlOnly: the URL, then its statements; the function stays. AWS is asked even
 * when no URL is recorded: an interrupted bam may have made one, or left its statements behind.
 */
export async function deleteFunctionUrl(aws: AwsSession, store: Store, name: string, record: LambdaRecord | undefined, reporter: Reporter): Promise<void> {
  reporter.start(`Deleting the function URL of "${name}"`);
  try {
    const outcome = await removeFunctionUrl(aws, store, name);
    if (outcome === 'deleted') reporter.succeed(`Function URL: "${name}" has been deleted`);
    else if (record?.url) reporter.warn(`The function URL of "${name}" no longer existed in AWS; its record is dropped.`);
    else reporter.warn(`"${name}" has no function URL in ${aws.region}; nothing to delete.`);
  } finally {
    reporter.stop();
  }
}

/** A handler wrapped in awslambda.streamifyResponse (the runtime's global, never imported). */
const STREAMIFIED = /\bawslambda\s*\.\s*streamifyResponse\s*\(/;

/**
 * The URL's settings for this code: a handler that streams its answer gets InvokeMode
 * RESPONSE_STREAM (with BUFFERED, Lambda would hold the stream back and send it whole).
 */
export async function urlSettingsFor(settings: UrlSettings, entryFile: string): Promise<UrlSettings> {
  return (await streamsResponse(entryFile)) ? { ...settings, invokeMode: 'RESPONSE_STREAM' } : settings;
}

/** What a redeploy changes on an existing URL: its CORS (--cors/--noCors, a function whose only endpoint it is) and invoke mode (the code). */
export function urlChanges(record: LambdaRecord | undefined, cors: string | null | undefined, streams: boolean): UrlSettings | undefined {
  const url = record?.url;
  if (!url) return undefined;
  const origin = cors === undefined ? url.cors : (cors ?? undefined);
  const wanted: UrlSettings = { ...(origin !== undefined ? { cors: origin } : {}), ...(streams ? { invokeMode: 'RESPONSE_STREAM' as const } : {}) };
  const same = wanted.cors === url.cors && (wanted.invokeMode ?? 'BUFFERED') === (url.invokeMode ?? 'BUFFERED');
  return same ? undefined : wanted;
}

/** Sends the URL's new settings and records them. */
export async function changeFunctionUrl(aws: AwsSession, store: Store, name: string, url: string, settings: UrlSettings): Promise<UrlRecord> {
  await updateFunctionUrl(aws, name, settings);
  const changed = { url, ...settings };
  await recordUrl(store, aws.region, name, changed);
  return changed;
}

/** Whether the entry file wraps its handler in awslambda.streamifyResponse. */
export async function streamsResponse(entryFile: string): Promise<boolean> {
  return STREAMIFIED.test(await readFile(entryFile, 'utf8'));
}
