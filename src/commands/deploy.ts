import { readFile } from 'node:fs/promises';
import type { CommandContext } from '../tasks/context.js';
import { parseEndpointType, validateFunctionName } from '../core/names.js';
import { parseMethods } from '../core/methods.js';
import { concurrently } from '../tasks/concurrently.js';
import { checkCorsMethods, parseCorsOrigin, readSettings, runtimeNotice, type FunctionSettings, type SettingsFlags } from '../tasks/settings.js';
import { ensureRole, recheckRole, requestedRole, warnIfTablesDenied, type RoleTarget } from '../tasks/roles.js';
import { apiRecord, publishApi, recordApi, removeOrphanApi, waitMessages } from '../tasks/endpoint.js';
import { openAws, type AwsSession } from '../aws/clients.js';
import { accountNumber } from '../tasks/account.js';
import type { ApiSpec } from '../core/apiDocument.js';
import { roleArn } from '../core/names.js';
import { findFunction, waitUntilActive, type RoleRetry } from '../aws/lambda.js';
import type { FunctionConfiguration } from '@aws-sdk/client-lambda';
import { checkFunctionSource, packageFunction, type PackageResult } from '../package/index.js';
import { newToken, type Intent } from '../store/intents.js';
import { defaultMethods } from '../package/description.js';
import { type ApiSettings, type EndpointType, type LambdaRecord } from '../core/records.js';
import { functionRecordFrom } from '../tasks/functionRecord.js';
import { createMayHaveHappened, createOwnFunction, importOwnApi } from '../tasks/ownCreates.js';
import { settleFunction } from '../tasks/settle.js';
import { addFunctionUrl, recordUrl, urlSettingsFor } from '../tasks/functionUrl.js';
import type { UrlSettings } from '../core/functionUrl.js';
import { BamError, UsageError, errorMessage } from '../core/errors.js';
import type { Reporter } from '../ui/reporter.js';
import type { Store } from '../store/store.js';

export interface DeployOptions extends SettingsFlags {
  methods?: string[];
  lambdaOnly?: boolean;
  permitDb?: boolean;
  role?: string;
  endpointType?: string;
  src?: string;
  /** --cors (true: any origin) or --cors ORIGIN. */
  cors?: string | boolean;
  /** --url: a function URL as the endpoint, instead of the REST API unless --restApi asks for both. */
  url?: boolean;
  restApi?: boolean;
}

/**
 * bam deploy: a new function and its public URL in three sequential AWS round trips:
 * [name free? ∥ role ∥ packaging] → [CreateFunction ∥ ImportRestApi] →
 * [permission ∥ deployment ∥ function Active]. Every resource is recorded as soon as it exists.
 */
export async function deploy(name: string, options: DeployOptions, ctx: CommandContext): Promise<LambdaRecord> {
  validateFunctionName(name);
  if (options.lambdaOnly && (options.methods || options.endpointType || options.cors !== undefined)) {
    throw new UsageError('--lambdaOnly deploys no endpoint: drop --methods, --endpointType and --cors, or drop --lambdaOnly.');
  }
  checkUrlFlags(options);
  const methods = options.methods ? parseMethods(options.methods) : await defaultMethods(name, { cwd: ctx.cwd, src: options.src });
  const cors = options.cors !== undefined ? parseCorsOrigin(options.cors) : undefined;
  checkCorsMethods(methods, cors);
  const settings = await readSettings(options, ctx.cwd, ctx.now());
  const notice = settings.runtime ? runtimeNotice(settings.runtime, ctx.now()) : undefined;
  if (notice) ctx.reporter.warn(notice);
  const config = await ctx.store.readConfig();
  const endpointType = options.endpointType ? parseEndpointType(options.endpointType) : (config.endpointType ?? 'EDGE');
  const role = requestedRole(options, config.defaultRole) ?? config.defaultRole;
  await checkFunctionSource(name, { cwd: ctx.cwd, src: options.src });
  const aws = await openAws(ctx.aws);
  const { reporter } = ctx;
  // One command at a time on this name: it reads AWS and the records only once it has the lease.
  return ctx.store.withNameLease('function', aws.region, name, waitMessages(reporter), async () => {
    await settleFunction(aws, ctx.store, name, reporter);
    const url = options.url ? { ...(cors !== undefined ? { cors } : {}) } : undefined;
    const lambdaOnly = options.lambdaOnly || (options.url && !options.restApi);
    return deployUnderLease(aws, name, { ...options, lambdaOnly, methods, cors, endpointType, role, defaultRole: config.defaultRole, settings, url }, ctx);
  });
}

interface DeployPlan extends Pick<DeployOptions, 'lambdaOnly' | 'src'> {
  methods: string[];
  cors: string | undefined;
  endpointType: EndpointType;
  role: string;
  defaultRole: string;
  settings: FunctionSettings;
  /** The function URL to make after the function, if any. */
  url: UrlSettings | undefined;
}

/** One deploy under the name's lease: what every step reads. */
interface DeployRun {
  aws: AwsSession;
  name: string;
  plan: DeployPlan;
  store: Store;
  reporter: Reporter;
}

/** What round trip 1 settles: the packed code, the account and role, and what is about to be created. */
interface Prepared {
  pkg: PackageResult;
  account: string;
  roleTarget: RoleTarget;
  /** The API to import, tagged with the operation's token (the function carries it too). */
  spec: ApiSpec & { token: string };
  /** The endpoint's settings, kept in the function's record until its API is recorded. */
  apiSettings: ApiSettings;
  functionIntent: Intent;
  apiIntent: Intent;
  /** The function URL to make once the function exists (deploy --url). */
  url: UrlSettings | undefined;
}

/** The function of round trip 2: created, then recorded and awaited Active from the moment CreateFunction answers. */
interface FunctionCreation {
  created: Promise<FunctionConfiguration>;
  recorded: Promise<void>;
  active: Promise<void>;
  /** The function URL, made and recorded (deploy --url). */
  urlRecorded: Promise<void> | undefined;
}

async function deployUnderLease(aws: AwsSession, name: string, plan: DeployPlan, ctx: CommandContext): Promise<LambdaRecord> {
  const run: DeployRun = { aws, name, plan, store: ctx.store, reporter: ctx.reporter };
  const earlier = await run.store.lambdaRecords.get(aws.region, name);

  // Round trip 1: nothing is created before the name is known to be free and the code packs.
  const prepared = await packAndCheck(run, earlier, ctx.cwd);
  // Write-ahead: what is about to be created is on disk before the calls go out.
  await openIntents(run, prepared);

  // Round trip 2: the function and its API side by side (the API only needs the function's ARN, known already).
  run.reporter.start(plan.lambdaOnly ? `Creating Lambda "${name}"` : `Creating Lambda "${name}" and its API`);
  const fn = await createTheFunction(run, prepared);
  const [created, imported] = await Promise.allSettled([fn.created, plan.lambdaOnly ? undefined : importTheApi(run, prepared)]);
  const restApiId = await checkCreated(run, prepared, fn, created, imported);

  // Round trip 3: the API answers once it may invoke the function and is deployed to its stage;
  // what exists now is recorded meanwhile (function first: the API's record belongs to it).
  if (restApiId || fn.urlRecorded) run.reporter.start(restApiId ? 'Deploying the endpoint' : 'Making its URL public');
  const apiRecorded = recordTheApi(run, prepared, fn, restApiId);
  await concurrently([
    apiRecorded,
    restApiId ? publishTheApi(run, prepared, restApiId, apiRecorded) : undefined,
    fn.active,
    fn.urlRecorded,
  ]);
  if (restApiId) reportTheEndpoint(run, prepared, restApiId);
  return readTheRecord(run);
}

/** Round trip 1: packs the code, makes sure of the account and role, and refuses a name that is taken. */
async function packAndCheck(run: DeployRun, earlier: LambdaRecord | undefined, cwd: string): Promise<Prepared> {
  const { aws, name, plan, store, reporter } = run;
  const { region } = aws;
  const { methods, cors, endpointType, role } = plan;
  const [pkg, account] = await concurrently([
    packageFunction(name, { cwd, store, src: plan.src, reporter }),
    accountNumber(aws, store).then(async (account) => {
      await ensureRole(aws, { role, account, region, reporter, store });
      return account;
    }),
    // A function URL alone is made after the function: CreateFunction itself says the name is taken.
    plan.url && plan.lambdaOnly && !earlier ? undefined : refuseExistingFunction(aws, name, earlier),
  ]);
  const url = plan.url && (await urlSettingsFor(plan.url, pkg.source.entryFile));
  warnIfTablesDenied({ name, usesDynamoDb: pkg.usesDynamoDb, role, defaultRole: plan.defaultRole, command: 'deploy' }, reporter);
  if (earlier?.api) warnStaleApi(name, earlier.api.restApiId, region, reporter);
  const token = newToken();
  const apiSettings: ApiSettings = { methods, endpointType, ...(cors !== undefined ? { cors } : {}) };
  const started = new Date().toISOString();
  return {
    pkg,
    account,
    roleTarget: { role, account, region, reporter, store },
    spec: { name, description: pkg.description, region, account, methods, endpointType, token, ...(cors !== undefined ? { cors } : {}) },
    apiSettings,
    url,
    functionIntent: { token, kind: 'function', region, name, startedAt: started, sourcePath: pkg.source.sourcePath, ...(url ? { url } : {}) },
    apiIntent: { token, kind: 'api', region, name, startedAt: started, api: apiSettings },
  };
}

async function openIntents(run: DeployRun, { functionIntent, apiIntent }: Prepared): Promise<void> {
  await run.store.intents.open([functionIntent, ...(run.plan.lambdaOnly ? [] : [apiIntent])], (message) => run.reporter.warn(message));
}

/**
 * Sends CreateFunction. The Active waiter starts the moment it answers, not when the API import
 * does, and the function is recorded at once too: an API import waiting out a rate limit must not
 * leave it unrecorded.
 */
async function createTheFunction(run: DeployRun, { pkg, account, roleTarget, spec, apiSettings, url, functionIntent }: Prepared): Promise<FunctionCreation> {
  const { aws, name, plan, store } = run;
  const { region } = aws;
  const zip = await readFile(pkg.zipPath);
  // Deploy has no variables to keep, so `--env KEY=` only leaves KEY out (settings.env lacks it).
  const newFunction = { name, zip, description: pkg.description, roleArn: roleArn(account, plan.role), token: spec.token, ...plan.settings };
  const created = createOwnFunction(aws, newFunction, roleRetry(aws, roleTarget));
  const active = created.then((fn) => (fn.State === 'Active' ? undefined : waitUntilActive(aws, name)));
  const recorded = created.then(async (fn) => {
    const record = functionRecordFrom(fn, { region, account, name, sourcePath: pkg.source.sourcePath, role: plan.role });
    await store.lambdaRecords.put(region, name, { ...record, ...(plan.lambdaOnly ? {} : { pendingApi: apiSettings }), ...(url ? { pendingUrl: url } : {}) });
    await store.intents.close(functionIntent);
  });
  // The URL needs only the function: it is made the moment CreateFunction answers, and recorded once the function is.
  const urlRecorded = url ? deployUrl(run, url, created, recorded) : undefined;
  for (const step of [active, recorded, urlRecorded]) step?.catch(() => undefined); // awaited later; a failed CreateFunction is reported from `created`
  return { created, recorded, active, urlRecorded };
}

function importTheApi(run: DeployRun, { spec }: Prepared): Promise<string> {
  return importOwnApi(run.aws, spec, waitMessages(run.reporter));
}

/**
 * The end of round trip 2: a function that could not be created ends the deploy (after cleaning
 * up); an API that could not be imported leaves the function deployed and says how to add one.
 * Returns the new API's id (undefined with --lambdaOnly).
 */
async function checkCreated(
  run: DeployRun,
  { functionIntent, apiIntent }: Prepared,
  fn: FunctionCreation,
  created: PromiseSettledResult<FunctionConfiguration>,
  imported: PromiseSettledResult<string | undefined>,
): Promise<string | undefined> {
  const { aws, name, store, reporter } = run;
  if (created.status === 'rejected') {
    reporter.fail(`Lambda "${name}" could not be created.`);
    await cleanUpAfterFailedCreate(aws, store, created.reason, imported, [functionIntent, apiIntent], reporter);
    throw created.reason;
  }
  reporter.succeed(`💥  Lambda: "${name}" has been created`);
  if (imported.status === 'rejected') {
    await Promise.allSettled([fn.recorded, fn.active, fn.urlRecorded]);
    // An import that failed for sure made nothing; one whose answer was lost stays to be settled.
    if (!createMayHaveHappened(imported.reason)) await store.intents.close(apiIntent);
    throw new BamError(`${errorMessage(imported.reason)}. Lambda "${name}" exists; add its endpoint with: bam redeploy ${name} --addEndpoint`, {
      cause: imported.reason,
    });
  }
  return imported.value;
}

/** The new API in the function's record (not yet deployed), once the function's record is written. */
async function recordTheApi(run: DeployRun, { spec, apiIntent }: Prepared, fn: FunctionCreation, restApiId: string | undefined): Promise<void> {
  await fn.recorded;
  if (!restApiId) return;
  await recordApi(run.store, run.aws.region, run.name, apiRecord(spec, restApiId, false));
  await run.store.intents.close(apiIntent);
}

/** Permission and deployment; recorded as deployed as soon as it is, even should the function then fail to become Active. */
async function publishTheApi(run: DeployRun, { spec }: Prepared, restApiId: string, apiRecorded: Promise<void>): Promise<void> {
  try {
    await publishApi(run.aws, spec, restApiId, run.reporter);
  } catch (err) {
    throw unfinishedEndpoint(run.name, err);
  }
  await apiRecorded;
  await recordApi(run.store, run.aws.region, run.name, apiRecord(spec, restApiId, true));
}

function reportTheEndpoint(run: DeployRun, { spec }: Prepared, restApiId: string): void {
  run.reporter.succeed('💥  Endpoint has been created');
  run.reporter.result(apiRecord(spec, restApiId, true).url);
}

async function readTheRecord({ store, aws, name, reporter }: DeployRun): Promise<LambdaRecord> {
  const record = await store.lambdaRecords.get(aws.region, name);
  if (!record) throw new BamError(`The record of "${name}" disappeared while deploying; run: bam list`);
  if (record.url) {
    reporter.succeed('💥  Function URL has been created');
    reporter.result(record.url.url);
  }
  return record;
}

/**
 * CreateFunction failed. If it failed for sure, nothing of it exists: the API imported beside
 * it is deleted and both intents are closed. If its answer was lost, the function may exist
 * (or yet appear): both intents stay open for the next command on the name to settle, which
 * records such a function with its endpoint still owed. The API imported beside it is deleted
 * all the same, since no record can list an API without its function.
 */
async function cleanUpAfterFailedCreate(
  aws: AwsSession,
  store: Store,
  reason: unknown,
  imported: PromiseSettledResult<string | undefined>,
  opened: Intent[],
  reporter: Reporter,
): Promise<void> {
  if (createMayHaveHappened(reason)) {
    reporter.warn(`AWS may have created it anyway; the next bam command on this function finds out and records it.`);
    if (imported.status === 'fulfilled' && imported.value) await removeOrphanApi(aws, imported.value, reporter);
    return;
  }
  const [functionIntent, apiIntent] = opened as [Intent, Intent];
  await store.intents.close(functionIntent);
  if (imported.status === 'rejected') {
    if (!createMayHaveHappened(imported.reason)) await store.intents.close(apiIntent);
    return;
  }
  if (!imported.value) {
    await store.intents.close(apiIntent);
    return;
  }
  if (await removeOrphanApi(aws, imported.value, reporter)) await store.intents.close(apiIntent);
}

/**
 * The function is gone from AWS but this machine's record of it listed an API, which may well
 * still exist (deleted in the console, the API is left behind): the record is about to be replaced.
 */
function warnStaleApi(name: string, restApiId: string, region: string, reporter: Reporter): void {
  reporter.warn(
    `An earlier "${name}" (no longer in AWS) had the API ${restApiId}, which may still exist; ` +
      `remove it in the API Gateway console or with: aws apigateway delete-rest-api --region ${region} --rest-api-id ${restApiId}`,
  );
}

/** The function and its API exist, but the API cannot answer yet: redeploy finishes it. */
function unfinishedEndpoint(name: string, err: unknown): BamError {
  return new BamError(`${errorMessage(err)}. Lambda "${name}" and its API exist; finish the endpoint with: bam redeploy ${name}`, { cause: err });
}

async function refuseExistingFunction(aws: AwsSession, name: string, record: LambdaRecord | undefined): Promise<void> {
  if (!(await findFunction(aws, name))) return;
  const unfinished = record && (record.pendingApi !== undefined || record.api?.deployed === false || record.pendingUrl !== undefined);
  if (unfinished) throw new BamError(`Lambda "${name}" exists but its endpoint is not finished (an earlier deploy was interrupted). Finish it with: bam redeploy ${name}`);
  throw new BamError(`Function "${name}" already exists in ${aws.region}. Use: bam redeploy ${name}`);
}

/** --url's companions: --restApi only beside it; REST-only flags only with the REST API. */
function checkUrlFlags(options: DeployOptions): void {
  if (options.restApi && !options.url) throw new UsageError('--restApi only goes with --url (a REST API is the default endpoint): drop --restApi, or add --url for both.');
  if (options.url && options.lambdaOnly) throw new UsageError('--lambdaOnly deploys no endpoint and --url a function URL: pass one of them.');
  if (options.url && !options.restApi && (options.methods || options.endpointType)) {
    throw new UsageError('A function URL answers every method on every path: --methods and --endpointType are for the REST API. Add --restApi for both, or drop them.');
  }
}

/** The function URL of a new function: made once CreateFunction answers, recorded once the function is. */
async function deployUrl({ aws, name, store }: DeployRun, settings: UrlSettings, creating: Promise<unknown>, functionRecorded: Promise<void>): Promise<void> {
  await creating;
  try {
    const [url] = await concurrently([addFunctionUrl(aws, name, settings), functionRecorded]);
    await recordUrl(store, aws.region, name, url);
  } catch (err) {
    // The record still owes the URL, so any later redeploy makes it.
    throw new BamError(`${errorMessage(err)}. Lambda "${name}" exists; finish its URL with: bam redeploy ${name}`, { cause: err });
  }
}

/** While Lambda rejects the role: re-check it once (recreating a deleted bam role), and show the wait. */
function roleRetry(aws: AwsSession, target: RoleTarget): RoleRetry {
  return { recheckRole: () => recheckRole(aws, target), ...waitMessages(target.reporter) };
}
