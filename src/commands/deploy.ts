import { readFile } from 'node:fs/promises';
import type { CommandContext } from '../tasks/context.js';
import { parseEndpointType, validateFunctionName } from '../core/names.js';
import { DEFAULT_METHODS, parseMethods } from '../core/methods.js';
import { concurrently } from '../tasks/concurrently.js';
import { checkCorsMethods, parseCorsOrigin, readSettings, runtimeNotice, type FunctionSettings, type SettingsFlags } from '../tasks/settings.js';
import { ensureRole, recheckRole, requestedRole, warnIfTablesDenied, type RoleTarget } from '../tasks/roles.js';
import { apiRecord, publishApi, recordApi, removeOrphanApi, waitMessages } from '../tasks/endpoint.js';
import { openAws, type AwsSession } from '../aws/clients.js';
import { accountNumber } from '../tasks/account.js';
import type { ApiSpec } from '../core/apiDocument.js';
import { roleArn } from '../core/names.js';
import { findFunction, waitUntilActive, type RoleRetry } from '../aws/lambda.js';
import { checkFunctionSource, packageFunction, type BuildFlags } from '../package/index.js';
import { intents, newToken, type Intent } from '../store/intents.js';
import { withNameLease } from '../store/lease.js';
import { type ApiSettings, type EndpointType, type LambdaRecord } from '../core/records.js';
import { lambdaRecords, readConfig } from '../store/records.js';
import { functionRecordFrom } from '../tasks/functionRecord.js';
import { createMayHaveHappened, createOwnFunction, importOwnApi } from '../tasks/ownCreates.js';
import { settleFunction } from '../tasks/settle.js';
import { BamError, UsageError, errorMessage } from '../core/errors.js';
import type { Reporter } from '../ui/reporter.js';

export interface DeployOptions extends SettingsFlags, BuildFlags {
  methods?: string[];
  lambdaOnly?: boolean;
  permitDb?: boolean;
  role?: string;
  endpointType?: string;
  src?: string;
  /** --cors (true: any origin) or --cors ORIGIN. */
  cors?: string | boolean;
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
  const methods = options.methods ? parseMethods(options.methods) : DEFAULT_METHODS;
  const cors = options.cors !== undefined ? parseCorsOrigin(options.cors) : undefined;
  checkCorsMethods(methods, cors);
  const settings = await readSettings(options, ctx.cwd, ctx.now());
  const notice = settings.runtime ? runtimeNotice(settings.runtime, ctx.now()) : undefined;
  if (notice) ctx.reporter.warn(notice);
  const config = await readConfig();
  const endpointType = options.endpointType ? parseEndpointType(options.endpointType) : (config.endpointType ?? 'EDGE');
  const role = requestedRole(options, config.defaultRole) ?? config.defaultRole;
  await checkFunctionSource(name, { cwd: ctx.cwd, src: options.src });
  const aws = await openAws(ctx.aws);
  const { reporter } = ctx;
  // One command at a time on this name: it reads AWS and the records only once it has the lease.
  return withNameLease('function', aws.region, name, waitMessages(reporter), async () => {
    await settleFunction(aws, name, reporter);
    return deployUnderLease(aws, name, { ...options, methods, cors, endpointType, role, defaultRole: config.defaultRole, settings }, ctx);
  });
}

interface DeployPlan extends Pick<DeployOptions, 'lambdaOnly' | 'src' | 'bundle' | 'external'> {
  methods: string[];
  cors: string | undefined;
  endpointType: EndpointType;
  role: string;
  defaultRole: string;
  settings: FunctionSettings;
}

async function deployUnderLease(aws: AwsSession, name: string, plan: DeployPlan, ctx: CommandContext): Promise<LambdaRecord> {
  const { region } = aws;
  const { reporter } = ctx;
  const { methods, cors, endpointType, role, settings } = plan;
  const earlier = await lambdaRecords.get(region, name);

  // Round trip 1: nothing is created before the name is known to be free and the code packs.
  const [pkg, account] = await concurrently([
    packageFunction(name, { cwd: ctx.cwd, src: plan.src, reporter, bundle: plan.bundle, external: plan.external, runtime: settings.runtime }),
    accountNumber(aws).then(async (account) => {
      await ensureRole(aws, { role, account, region, reporter });
      return account;
    }),
    refuseExistingFunction(aws, name, earlier),
  ]);
  const roleTarget: RoleTarget = { role, account, region, reporter };
  warnIfTablesDenied({ name, usesDynamoDb: pkg.usesDynamoDb, role, defaultRole: plan.defaultRole, command: 'deploy' }, reporter);
  if (earlier?.api) warnStaleApi(name, earlier.api.restApiId, region, reporter);
  const token = newToken();
  const spec: ApiSpec = { name, description: pkg.description, region, account, methods, endpointType, token, ...(cors !== undefined ? { cors } : {}) };
  const apiSettings: ApiSettings = { methods, endpointType, ...(cors !== undefined ? { cors } : {}) };

  // Write-ahead: what is about to be created is on disk before the calls go out.
  const started = new Date().toISOString();
  const functionIntent: Intent = { token, kind: 'function', region, name, startedAt: started, sourcePath: pkg.source.sourcePath };
  const apiIntent: Intent = { token, kind: 'api', region, name, startedAt: started, api: apiSettings };
  await intents.open([functionIntent, ...(plan.lambdaOnly ? [] : [apiIntent])], (message) => reporter.warn(message));

  // Round trip 2: the API only needs the function's ARN, which is known already.
  reporter.start(plan.lambdaOnly ? `Creating Lambda "${name}"` : `Creating Lambda "${name}" and its API`);
  const zip = await readFile(pkg.zipPath);
  // Deploy has no variables to keep, so `--env KEY=` only leaves KEY out (settings.env lacks it).
  const newFunction = { name, zip, description: pkg.description, roleArn: roleArn(account, role), token, ...settings };
  const creating = createOwnFunction(aws, newFunction, roleRetry(aws, roleTarget));
  // The Active waiter starts the moment CreateFunction answers, not when the API import does.
  const activation = creating.then((fn) => (fn.State === 'Active' ? undefined : waitUntilActive(aws, name)));
  // Recorded at once too: an API import waiting out a rate limit must not leave the function unrecorded.
  const functionRecorded = creating.then(async (fn) => {
    const record = functionRecordFrom(fn, { region, account, name, sourcePath: pkg.source.sourcePath, role });
    await lambdaRecords.put(region, name, { ...record, ...(plan.lambdaOnly ? {} : { pendingApi: apiSettings }) });
    await intents.close(functionIntent);
  });
  for (const step of [activation, functionRecorded]) step.catch(() => undefined); // awaited below; a failed CreateFunction is reported from `created`
  const [created, imported] = await Promise.allSettled([
    creating,
    plan.lambdaOnly ? Promise.resolve(undefined) : importOwnApi(aws, { ...spec, token }, waitMessages(reporter)),
  ]);
  if (created.status === 'rejected') {
    reporter.fail(`Lambda "${name}" could not be created.`);
    await cleanUpAfterFailedCreate(aws, created.reason, imported, [functionIntent, apiIntent], reporter);
    throw created.reason;
  }
  reporter.succeed(`💥  Lambda: "${name}" has been created`);
  if (imported.status === 'rejected') {
    await Promise.allSettled([functionRecorded, activation]);
    // An import that failed for sure made nothing; one whose answer was lost stays to be settled.
    if (!createMayHaveHappened(imported.reason)) await intents.close(apiIntent);
    throw new BamError(`${errorMessage(imported.reason)}. Lambda "${name}" exists; add its endpoint with: bam redeploy ${name} --addEndpoint`, {
      cause: imported.reason,
    });
  }
  const restApiId = imported.value;

  // Round trip 3: the API answers once it may invoke the function and is deployed to its stage.
  // What exists now is recorded meanwhile (function first: the API's record belongs to it).
  if (restApiId) reporter.start('Deploying the endpoint');
  const apiRecorded = functionRecorded.then(async () => {
    if (!restApiId) return;
    await recordApi(region, name, apiRecord(spec, restApiId, false));
    await intents.close(apiIntent);
  });
  const published = restApiId
    ? publishApi(aws, spec, restApiId, reporter).then(
        // Recorded as deployed as soon as it is, even should the function then fail to become Active.
        () => apiRecorded.then(() => recordApi(region, name, apiRecord(spec, restApiId, true))),
        (err: unknown) => Promise.reject(unfinishedEndpoint(name, err)),
      )
    : undefined;
  await concurrently([apiRecorded, published, activation]);
  if (restApiId) {
    reporter.succeed('💥  Endpoint has been created');
    reporter.result(apiRecord(spec, restApiId, true).url);
  }
  const record = await lambdaRecords.get(region, name);
  if (!record) throw new BamError(`The record of "${name}" disappeared while deploying; run: bam list`);
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
  await intents.close(functionIntent);
  if (imported.status === 'rejected') {
    if (!createMayHaveHappened(imported.reason)) await intents.close(apiIntent);
    return;
  }
  if (!imported.value) {
    await intents.close(apiIntent);
    return;
  }
  if (await removeOrphanApi(aws, imported.value, reporter)) await intents.close(apiIntent);
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
  const unfinished = record && (record.pendingApi !== undefined || record.api?.deployed === false);
  if (unfinished) throw new BamError(`Lambda "${name}" exists but its endpoint is not finished (an earlier deploy was interrupted). Finish it with: bam redeploy ${name}`);
  throw new BamError(`Function "${name}" already exists in ${aws.region}. Use: bam redeploy ${name}`);
}

/** While Lambda rejects the role: re-check it once (recreating a deleted bam role), and show the wait. */
function roleRetry(aws: AwsSession, target: RoleTarget): RoleRetry {
  return { recheckRole: () => recheckRole(aws, target), ...waitMessages(target.reporter) };
}
