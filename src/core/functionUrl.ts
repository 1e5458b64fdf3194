// Facts about a Lambda function URL: the public endpoint Lambda itself serves for a function
// (https://<id>.lambda-url.<region>.on.aws/), with no API Gateway in front.
import { CORS_ALLOW_HEADERS } from './cors.js';

/** How Lambda invokes the function for a URL request: buffered (6 MB), or streamed (awslambda.streamifyResponse). */
type InvokeMode = 'BUFFERED' | 'RESPONSE_STREAM';

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
