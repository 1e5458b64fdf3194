import type { AwsSession } from '../aws/clients.js';
import { findFunctionUrl } from '../aws/lambda.js';
import type { LambdaRecord } from '../core/records.js';

/** Which endpoints a function has, as bam list names them. */
export type EndpointKind = 'rest-api' | 'function-url' | 'rest-api+function-url' | 'none';

export const ENDPOINT_KINDS: Record<EndpointKind, string> = {
  'rest-api': 'REST API',
  'function-url': 'function URL',
  'rest-api+function-url': 'REST API and function URL',
  none: 'none (bam redeploy NAME --addEndpoint or --url adds one)',
};

export interface FunctionUrlEntry {
  /** Absent while pending. */
  url?: string;
  cors?: string;
  invokeMode?: string;
  pending?: boolean;
  /** False when the recorded URL is gone from AWS (deleted in the console). */
  inAws?: boolean;
}

/** A recorded URL checked against AWS (GetFunctionUrlConfig); false when there is none to check. */
export async function urlInAws(aws: AwsSession, name: string, record: LambdaRecord): Promise<boolean> {
  return record.url ? (await findFunctionUrl(aws, name)) !== undefined : false;
}

/** bam list's endpoint kind and function URL of a record (an owed URL counts: redeploy makes it). */
export function functionUrlFields(record: LambdaRecord, inAws: boolean): { endpointKind: EndpointKind; functionUrl?: FunctionUrlEntry } {
  const url = record.url ? { ...record.url, inAws } : record.pendingUrl ? { ...record.pendingUrl, pending: true } : undefined;
  const rest = record.api !== undefined || record.pendingApi !== undefined;
  const endpointKind: EndpointKind = rest && url ? 'rest-api+function-url' : rest ? 'rest-api' : url ? 'function-url' : 'none';
  return { endpointKind, ...(url ? { functionUrl: url } : {}) };
}

export function formatFunctionUrl(entry: FunctionUrlEntry, goneMark: string): string[] {
  const lines = [entry.url ? `      function url: ${entry.url}${entry.inAws === false ? goneMark : ''}` : '      function url: not made yet (an interrupted command owes it; bam redeploy NAME makes it)'];
  if (entry.cors !== undefined) lines.push(`      function url cors: ${entry.cors}`);
  if (entry.invokeMode === 'RESPONSE_STREAM') lines.push('      function url invoke mode: response stream');
  return lines;
}
