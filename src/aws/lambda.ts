import {
  AddPermissionCommand,
  LambdaClient,
  CreateFunctionUrlConfigCommand,
  DeleteFunctionUrlConfigCommand,
  GetFunctionUrlConfigCommand,
  InvokeCommand,
  UpdateFunctionUrlConfigCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  ListFunctionsCommand,
  RemovePermissionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  type CreateFunctionCommandInput,
  type FunctionConfiguration,
  type GetFunctionCommandOutput,
  type GetFunctionUrlConfigCommandOutput,
  type Runtime,
} from '@aws-sdk/client-lambda';
import type { AwsSession } from './clients.js';
import { answerMayBeLost, bamBam, type BamBamOptions } from './bamBam.js';
import { StepError, errorMessage, isAwsError } from '../core/errors.js';
import { DEFAULT_RUNTIME } from '../core/runtimes.js';
import { roleRejectedMessage } from '../core/lambdaRole.js';
import { urlCors, type UrlPermission, type UrlSettings } from '../core/functionUrl.js';
import { MANAGED_TAG_KEY, MANAGED_TAG_VALUE, creationTags } from '../core/tags.js';

export const HANDLER = 'index.handler';
/** The session's Lambda client (built on first use). */
const lambdaClient = (aws: AwsSession): LambdaClient => aws.client('lambda', LambdaClient);

/** Tags (from GetFunction) that say bam made the function, on this machine or another. */
export function carriesManagedTag(tags: Record<string, string> | undefined): boolean {
  return tags?.[MANAGED_TAG_KEY] === MANAGED_TAG_VALUE;
}

export function isRoleRejected(err: unknown): boolean {
  return isAwsError(err, 'InvalidParameterValueException') && roleRejectedMessage(errorMessage(err instanceof StepError ? err.cause : err));
}

/**
 * Runs a Lambda call that names a role. The first time Lambda rejects the role, `recheckRole`
 * runs once (it recreates a role deleted in the console); bamBam then keeps retrying while
 * the role propagates.
 */
function withRoleRecheck<T>(call: () => Promise<T>, recheckRole?: () => Promise<void>): () => Promise<T> {
  let rechecked = false;
  return async () => {
    try {
      return await call();
    } catch (err) {
      if (recheckRole && !rechecked && isRoleRejected(err)) {
        rechecked = true;
        await recheckRole();
      }
      throw err;
    }
  };
}

/** The function's configuration, or undefined when there is no function of that name. */
export async function findFunction(aws: AwsSession, name: string): Promise<FunctionConfiguration | undefined> {
  return (await findFunctionCode(aws, name))?.Configuration;
}

export interface NewFunction {
  name: string;
  zip: Uint8Array;
  description: string;
  roleArn: string;
  runtime?: string;
  memory?: number;
  timeout?: number;
  env?: Record<string, string>;
  /** The operation token, tagged on the function so a lost answer can be told from a stranger's function. */
  token?: string;
}

/** Runtime, memory, timeout and variables, in the shape Lambda's create and update calls share. */
export interface FunctionSettingsInput {
  runtime?: string;
  memory?: number;
  timeout?: number;
  /** The complete set of variables (Lambda replaces them as a whole). */
  env?: Record<string, string>;
}

function settingsInput(settings: FunctionSettingsInput): Pick<CreateFunctionCommandInput, 'Runtime' | 'MemorySize' | 'Timeout' | 'Environment'> {
  return {
    ...(settings.runtime !== undefined ? { Runtime: settings.runtime as Runtime } : {}),
    ...(settings.memory !== undefined ? { MemorySize: settings.memory } : {}),
    ...(settings.timeout !== undefined ? { Timeout: settings.timeout } : {}),
    ...(settings.env !== undefined ? { Environment: { Variables: settings.env } } : {}),
  };
}

/** What a step that names a role may do while Lambda rejects it: re-check it once, and show the wait. */
export interface RoleRetry extends BamBamOptions {
  recheckRole?: () => Promise<void>;
}

export async function createFunction(aws: AwsSession, fn: NewFunction, retry: RoleRetry = {}): Promise<FunctionConfiguration> {
  const input: CreateFunctionCommandInput = {
    FunctionName: fn.name,
    Runtime: (fn.runtime ?? DEFAULT_RUNTIME) as Runtime,
    Handler: HANDLER,
    Role: fn.roleArn,
    Code: { ZipFile: fn.zip },
    Description: fn.description,
    Tags: creationTags(fn.token),
    Publish: false,
    ...settingsInput({ memory: fn.memory, timeout: fn.timeout, ...(fn.env && Object.keys(fn.env).length > 0 ? { env: fn.env } : {}) }),
  };
  return bamBam(aws, 'CreateFunction', withRoleRecheck(() => lambdaClient(aws).send(new CreateFunctionCommand(input)), retry.recheckRole), retry);
}

const apiPermissionId = (restApiId: string): string => `bam-apigateway-${restApiId}`;

/** Lets API Gateway invoke the function, from this API only (any stage, method and path). */
export async function addApiPermission(aws: AwsSession, target: { name: string; region: string; account: string; restApiId: string }): Promise<void> {
  const input = {
    FunctionName: target.name,
    StatementId: apiPermissionId(target.restApiId),
    Principal: 'apigateway.amazonaws.com',
    Action: 'lambda:InvokeFunction',
    SourceArn: `arn:aws:execute-api:${target.region}:${target.account}:${target.restApiId}/*/*/*`,
  };
  await addPermission(aws, input);
}

/** Drops a deleted API's permission, so the function's policy does not grow with every endpoint. */
export async function removeApiPermission(aws: AwsSession, name: string, restApiId: string): Promise<void> {
  await removePermission(aws, name, apiPermissionId(restApiId));
}

/** A resource-policy statement; one already there under its id is this one (bam derives every id from what it grants). */
async function addPermission(aws: AwsSession, input: ConstructorParameters<typeof AddPermissionCommand>[0]): Promise<void> {
  await bamBam(aws, 'AddPermission', async () => {
    try {
      await lambdaClient(aws).send(new AddPermissionCommand(input));
    } catch (err) {
      if (isAwsError(err, 'ResourceConflictException') && /already exists/i.test(errorMessage(err))) return;
      throw err;
    }
  });
}

/** Drops one statement; one already gone (or no function) leaves nothing to drop. */
async function removePermission(aws: AwsSession, name: string, statementId: string): Promise<void> {
  await bamBam(aws, 'RemovePermission', async () => {
    try {
      await lambdaClient(aws).send(new RemovePermissionCommand({ FunctionName: name, StatementId: statementId }));
    } catch (err) {
      if (isAwsError(err, 'ResourceNotFoundException')) return;
      throw err;
    }
  });
}

/** New code; with `revisionId`, only if the function is still at that revision (else PreconditionFailedException). */
export async function updateFunctionCode(aws: AwsSession, name: string, zip: Uint8Array, wait: BamBamOptions = {}, revisionId?: string): Promise<FunctionConfiguration> {
  const input = { FunctionName: name, ZipFile: zip, ...(revisionId !== undefined ? { RevisionId: revisionId } : {}) };
  return bamBam(aws, 'UpdateFunctionCode', () => lambdaClient(aws).send(new UpdateFunctionCodeCommand(input)), wait);
}

export async function updateFunctionConfiguration(
  aws: AwsSession,
  name: string,
  changes: FunctionSettingsInput & { roleArn?: string; description?: string },
  retry: RoleRetry = {},
): Promise<FunctionConfiguration> {
  const input = {
    FunctionName: name,
    ...(changes.roleArn !== undefined ? { Role: changes.roleArn } : {}),
    ...(changes.description !== undefined ? { Description: changes.description } : {}),
    ...settingsInput(changes),
  };
  return bamBam(
    aws,
    'UpdateFunctionConfiguration',
    withRoleRecheck(() => lambdaClient(aws).send(new UpdateFunctionConfigurationCommand(input)), retry.recheckRole),
    retry,
  );
}

/** Deletes the function (and with it its permissions); 'gone' when it was already deleted. */
export async function deleteFunction(aws: AwsSession, name: string): Promise<'deleted' | 'gone'> {
  try {
    await bamBam(aws, 'DeleteFunction', () => lambdaClient(aws).send(new DeleteFunctionCommand({ FunctionName: name })));
    return 'deleted';
  } catch (err) {
    if (isAwsError(err, 'ResourceNotFoundException')) return 'gone';
    // The answer was lost, but the deletion may have happened: one look says whether it did.
    if (answerMayBeLost(err) && (await findFunction(aws, name).catch(() => 'unknown')) === undefined) return 'deleted';
    throw err;
  }
}

/** Waits until a new function can run (State Active). */
export async function waitUntilActive(aws: AwsSession, name: string): Promise<void> {
  await waitFor(aws, 'FunctionActive', 'become Active', () =>
    waitUntilFunctionActiveV2({ client: lambdaClient(aws), maxWaitTime: aws.policy.lambdaWaitSeconds }, { FunctionName: name }),
  );
}

/**
 * Waits until an update is done; Lambda rejects the next update of the function until then.
 * Returns the function as the last look found it (its RevisionId changes once the update is done).
 */
export async function waitUntilUpdated(aws: AwsSession, name: string): Promise<FunctionConfiguration | undefined> {
  let done: FunctionConfiguration | undefined;
  await waitFor(aws, 'FunctionUpdated', 'finish its update', async () => {
    const result = await waitUntilFunctionUpdatedV2({ client: lambdaClient(aws), maxWaitTime: aws.policy.lambdaWaitSeconds }, { FunctionName: name });
    done = (result.reason as GetFunctionCommandOutput | undefined)?.Configuration;
  });
  return done;
}

async function waitFor(aws: AwsSession, step: string, what: string, wait: () => Promise<unknown>): Promise<void> {
  try {
    await wait();
  } catch (err) {
    // The waiter's error is a JSON dump; keep Lambda's own reason from it.
    const reason = /"(?:StateReason|LastUpdateStatusReason)":"([^"]*)"/.exec(errorMessage(err))?.[1];
    const timedOut = err instanceof Error && err.name === 'TimeoutError';
    const detail = reason ?? (timedOut ? `still waiting after ${aws.policy.lambdaWaitSeconds} s` : 'see the function in the Lambda console');
    throw new StepError(step, new Error(`the function did not ${what} (${detail})`));
  }
}

/** Every function in the region: ListFunctions returns at most 50 a page, so follow NextMarker. */
export async function listAllFunctions(aws: AwsSession): Promise<FunctionConfiguration[]> {
  const functions: FunctionConfiguration[] = [];
  let marker: string | undefined;
  do {
    const page = await bamBam(aws, 'ListFunctions', () => lambdaClient(aws).send(new ListFunctionsCommand(marker ? { Marker: marker } : {})));
    functions.push(...(page.Functions ?? []));
    marker = page.NextMarker;
  } while (marker);
  return functions;
}

/** GetFunction with its code location (a presigned URL), or undefined when there is no such function. */
export async function findFunctionCode(aws: AwsSession, name: string): Promise<GetFunctionCommandOutput | undefined> {
  try {
    return await bamBam(aws, 'GetFunction', () => lambdaClient(aws).send(new GetFunctionCommand({ FunctionName: name })));
  } catch (err) {
    if (isAwsError(err, 'ResourceNotFoundException')) return undefined;
    throw err;
  }
}

/** A function URL as Lambda reports it. */
export type FunctionUrlConfig = Pick<GetFunctionUrlConfigCommandOutput, 'FunctionUrl' | 'InvokeMode' | 'Cors'>;

/** The function's URL configuration, or undefined when it has none (or there is no such function). */
export async function findFunctionUrl(aws: AwsSession, name: string): Promise<FunctionUrlConfig | undefined> {
  try {
    return await bamBam(aws, 'GetFunctionUrlConfig', () => lambdaClient(aws).send(new GetFunctionUrlConfigCommand({ FunctionName: name })));
  } catch (err) {
    if (isAwsError(err, 'ResourceNotFoundException')) return undefined;
    throw err;
  }
}

/**
 * A public URL (AuthType NONE) for the function. A function has one URL at most, so a second
 * create, after a lost answer or an interrupted bam, finds the first: Lambda refuses it as a
 * conflict, and the URL there is taken as made (its CORS is what an earlier bam asked for).
 */
export async function createFunctionUrl(aws: AwsSession, name: string, settings: UrlSettings): Promise<FunctionUrlConfig> {
  const input = {
    FunctionName: name,
    AuthType: 'NONE' as const,
    ...(settings.cors !== undefined ? { Cors: urlCors(settings.cors) } : {}),
    ...(settings.invokeMode ? { InvokeMode: settings.invokeMode } : {}),
  };
  const made = await bamBam(
    aws,
    'CreateFunctionUrlConfig',
    async () => {
      try {
        return await lambdaClient(aws).send(new CreateFunctionUrlConfigCommand(input));
      } catch (err) {
        // Not a wait: the URL exists ("FunctionUrlConfig exists for this Lambda function").
        if (isAwsError(err, 'ResourceConflictException') && /exists/i.test(errorMessage(err))) return undefined;
        throw err;
      }
    },
    { idempotent: true },
  );
  const url = made ?? (await findFunctionUrl(aws, name));
  if (!url?.FunctionUrl) throw new StepError('CreateFunctionUrlConfig', new Error(`Lambda reported no URL for "${name}"`));
  return url;
}

/** Deletes the function's URL; 'gone' when it had none. */
export async function deleteFunctionUrlConfig(aws: AwsSession, name: string): Promise<'deleted' | 'gone'> {
  try {
    await bamBam(aws, 'DeleteFunctionUrlConfig', () => lambdaClient(aws).send(new DeleteFunctionUrlConfigCommand({ FunctionName: name })));
    return 'deleted';
  } catch (err) {
    if (isAwsError(err, 'ResourceNotFoundException')) return 'gone';
    // The answer was lost, but the deletion may have happened: one look says whether it did.
    if (answerMayBeLost(err) && (await findFunctionUrl(aws, name).catch(() => 'unknown')) === undefined) return 'deleted';
    throw err;
  }
}

/** One of the statements that make a NONE URL public (URL_PERMISSIONS); one already there is this one. */
export async function addUrlPermission(aws: AwsSession, name: string, statement: UrlPermission): Promise<void> {
  await addPermission(aws, { FunctionName: name, ...statement });
}

/** Drops one URL statement, so a function without a URL keeps no public grant. */
export async function removeUrlPermission(aws: AwsSession, name: string, statementId: string): Promise<void> {
  await removePermission(aws, name, statementId);
}

/** A URL's CORS origin (none: CORS off) and invoke mode, set as a whole; the URL itself stays. */
export async function updateFunctionUrl(aws: AwsSession, name: string, settings: UrlSettings): Promise<void> {
  const input = {
    FunctionName: name,
    // An empty Cors object clears the URL's CORS configuration.
    Cors: settings.cors !== undefined ? urlCors(settings.cors) : {},
    InvokeMode: settings.invokeMode ?? ('BUFFERED' as const),
  };
  await bamBam(aws, 'UpdateFunctionUrlConfig', () => lambdaClient(aws).send(new UpdateFunctionUrlConfigCommand(input)));
}

/** What a synchronous Invoke returned: the payload as text, the function error, the decoded log tail. */
export interface InvokeAnswer {
  payload: string;
  /** 'Unhandled' (or 'Handled') when the function failed; the payload is then its error. */
  functionError?: string;
  /** The last 4 KB of the invocation's log (LogType Tail), decoded. */
  logTail: string;
  requestId?: string;
}

/**
 * Invoke: RequestResponse with LogType Tail, or an Event invocation (`async`) whose request id is all
 * Lambda answers. Never sent twice when the answer is lost: the function may have run.
 */
export async function invokeFunction(aws: AwsSession, name: string, event: unknown, options: { async: boolean }): Promise<InvokeAnswer> {
  const input = {
    FunctionName: name,
    Payload: new TextEncoder().encode(JSON.stringify(event)),
    ...(options.async ? { InvocationType: 'Event' as const } : { InvocationType: 'RequestResponse' as const, LogType: 'Tail' as const }),
  };
  const out = await bamBam(aws, 'Invoke', () => lambdaClient(aws).send(new InvokeCommand(input)), { idempotent: false });
  return {
    payload: out.Payload ? new TextDecoder().decode(out.Payload) : '',
    ...(out.FunctionError !== undefined ? { functionError: out.FunctionError } : {}),
    logTail: out.LogResult ? Buffer.from(out.LogResult, 'base64').toString('utf8') : '',
    ...(out.$metadata?.requestId !== undefined ? { requestId: out.$metadata.requestId } : {}),
  };
}
