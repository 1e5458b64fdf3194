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
}

/** bam list's endpoint kind and function URL of a record (an owed URL counts: redeploy makes it). */
export function functionUrlFields(record: LambdaRecord): { endpointKind: EndpointKind; functionUrl?: FunctionUrlEntry } {
  const url = record.url ?? (record.pendingUrl ? { ...record.pendingUrl, pending: true } : undefined);
  const rest = record.api !== undefined || record.pendingApi !== undefined;
  const endpointKind: EndpointKind = rest && url ? 'rest-api+function-url' : rest ? 'rest-api' : url ? 'function-url' : 'none';
  return { endpointKind, ...(url ? { functionUrl: url } : {}) };
}

export function formatFunctionUrl(entry: FunctionUrlEntry): string[] {
  const lines = [entry.url ? `      function url: ${entry.url}` : '      function url: not made yet (an interrupted command owes it; bam redeploy NAME makes it)'];
  if (entry.cors !== undefined) lines.push(`      function url cors: ${entry.cors}`);
  if (entry.invokeMode === 'RESPONSE_STREAM') lines.push('      function url invoke mode: response stream');
  return lines;
}
