import type { AwsSession } from '../aws/clients.js';
import { addUrlPermission, createFunctionUrl, deleteFunctionUrl, removeUrlPermission } from '../aws/lambda.js';
import { URL_PERMISSIONS, type UrlRecord, type UrlSettings } from '../core/functionUrl.js';
import { lambdaRecords } from '../store/records.js';
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

/** Removes the URL and both its statements in one round trip; 'gone' when there was no URL. */
export async function removeFunctionUrl(aws: AwsSession, name: string): Promise<'deleted' | 'gone'> {
  const [outcome] = await concurrently([
    deleteFunctionUrl(aws, name),
    ...URL_PERMISSIONS.map(({ StatementId }) => removeUrlPermission(aws, name, StatementId)),
  ]);
  return outcome;
}

/** Write-ahead: the record owes this URL before the calls that make it go out. */
export async function recordPendingUrl(region: string, name: string, settings: UrlSettings): Promise<void> {
  await lambdaRecords.update(region, name, (current) => (current ? { ...current, pendingUrl: settings } : undefined));
}

/** Sets the function's URL (no longer owed), or with undefined drops it and anything owed. */
export async function recordUrl(region: string, name: string, url: UrlRecord | undefined): Promise<void> {
  await lambdaRecords.update(region, name, (current) => {
    if (!current) return undefined;
    const { url: _old, pendingUrl: _pending, ...rest } = current;
    return url ? { ...rest, url } : rest;
  });
}

/** Makes the URL a record owes (or a command asks for), recording it as owed first and as made once it answers. */
export async function finishFunctionUrl(aws: AwsSession, name: string, settings: UrlSettings): Promise<UrlRecord> {
  await recordPendingUrl(aws.region, name, settings);
  const url = await addFunctionUrl(aws, name, settings);
  await recordUrl(aws.region, name, url);
  return url;
}
