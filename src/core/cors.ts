import { HTTP_METHODS } from './methods.js';

/** The request headers a bam preflight allows: what browsers and the AWS SDKs send to API Gateway. */
export const CORS_ALLOW_HEADERS = 'Content-Type,Authorization,X-Amz-Date,X-Api-Key,X-Amz-Security-Token';

/** The methods a preflight allows: the function's, plus OPTIONS; ANY stands for every method. */
export function corsAllowMethods(methods: string[]): string {
  const named = methods.includes('ANY') ? HTTP_METHODS.filter((method) => method !== 'ANY') : methods.filter((method) => method !== 'OPTIONS');
  return [...new Set([...named, 'OPTIONS'])].join(',');
}

/**
 * The headers of the answer to a CORS preflight, as the deployed API's mock integration sends
 * them and as `bam dev` imitates it: one definition, so the two cannot drift apart.
 */
export function preflightHeaders(origin: string, methods: string[]): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': corsAllowMethods(methods),
    'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS,
  };
}
