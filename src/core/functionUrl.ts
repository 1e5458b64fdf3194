// Facts about a Lambda function URL: the public endpoint Lambda itself serves for a function
// (https://<id>.lambda-url.<region>.on.aws/), with no API Gateway in front.
import { CORS_ALLOW_HEADERS } from './cors.js';

/** How Lambda invokes the function for a URL request: buffered (6 MB), or streamed (awslambda.streamifyResponse). */
export type InvokeMode = 'BUFFERED' | 'RESPONSE_STREAM';

/** What a URL is made of, kept while it does not exist yet (a deploy was interrupted). */
export interface UrlSettings {
  /** Allowed origin when CORS is on. */
  cors?: string;
  invokeMode?: InvokeMode;
}

/** A function's URL as recorded: where it answers, and what it was made with. */
export interface UrlRecord extends UrlSettings {
  url: string;
}

/**
 * The two resource-policy statements a public (AuthType NONE) URL needs since October 2025:
 * anyone may call the URL, and the URL (only it) may invoke the function. The ids are fixed,
 * so adding one twice finds it there and removing it needs nothing but the function's name.
 */
export const URL_PERMISSIONS = [
  { StatementId: 'bam-function-url', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' },
  { StatementId: 'bam-function-url-invoke', Action: 'lambda:InvokeFunction', Principal: '*', InvokedViaFunctionUrl: true },
] as const;

export type UrlPermission = (typeof URL_PERMISSIONS)[number];

/** A URL's own CORS configuration: Lambda answers the preflights itself, for every method. */
export interface UrlCors {
  AllowOrigins: string[];
  AllowMethods: string[];
  AllowHeaders: string[];
}

/**
 * The Cors of CreateFunctionUrlConfig for an allowed origin: the same origin and request headers
 * a REST endpoint's preflight allows; every method, since a URL serves every method.
 */
export function urlCors(origin: string): UrlCors {
  return { AllowOrigins: [origin], AllowMethods: ['*'], AllowHeaders: CORS_ALLOW_HEADERS.split(',') };
}

/** The headers Lambda answers a URL's preflight with, as `bam dev` imitates them (lower-case, as Lambda sends them). */
export function urlPreflightHeaders(origin: string, requestOrigin: string | undefined): Record<string, string> {
  return {
    'access-control-allow-origin': origin === '*' ? '*' : (requestOrigin ?? origin),
    'access-control-allow-methods': '*',
    'access-control-allow-headers': CORS_ALLOW_HEADERS.toLowerCase(),
  };
}

/** A function URL as Lambda forms it; the id is Lambda's choice, known only from its answer. */
export const FUNCTION_URL_PATTERN = /^https:\/\/[a-z0-9]+\.lambda-url\.[a-z0-9-]+\.on\.aws\/$/;
