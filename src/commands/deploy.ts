import { readFile } from 'node:fs/promises';
import type { FunctionConfiguration } from '@aws-sdk/client-lambda';
import type { CommandContext } from './context.js';
import { validateFunctionName } from './names.js';
import { parseEndpointType } from './config.js';
import { DEFAULT_METHODS, parseMethods } from './shared/methods.js';
import { concurrently } from './shared/concurrently.js';
import { checkCorsMethods, parseCorsOrigin, readSettings, recordedSettings, runtimeNotice, type SettingsFlags } from './shared/settings.js';
import { ensureRole, recheckRole, requestedRole, type RoleTarget } from './shared/roles.js';
import { apiRecord, importApi, publishApi, recordApi, removeOrphanApi, waitMessages } from './shared/endpoint.js';
import { accountNumber, openAws, type AwsSession } from '../aws/clients.js';
import { functionArn, type ApiSpec } from '../aws/apiDocument.js';
import { roleArn } from '../aws/iam.js';
import { createFunction, findFunction, waitUntilActive, type RoleRetry } from '../aws/lambda.js';
import { DEFAULT_RUNTIME } from '../core/runtimes.js';
import { checkFunctionSource, packageFunction, type PackageResult } from '../package/index.js';
import { lambdaRecords, readConfig, type LambdaRecord } from '../store/records.js';
import { BamError, UsageError, errorMessage } from '../ui/errors.js';
import type { Reporter } from '../ui/reporter.js';

export interface DeployOptions extends SettingsFlags {
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
  const { region } = aws;
  const { reporter } = ctx;
  const earlier = await lambdaRecords.get(region, name);

  // Round trip 1: nothing is created before the name is known to be free and the code packs.
  const [pkg, account] = await concurrently([
    packageFunction(name, { cwd: ctx.cwd, src: options.src, reporter }),
    accountNumber(aws).then(async (account) => {
      await ensureRole(aws, { role, account, region, reporter });
      return account;
    }),
    refuseExistingFunction(aws, name),
  ]);
  const roleTarget: RoleTarget = { role, account, region, reporter };
  if (earlier?.api) warnStaleApi(name, earlier.api.restApiId, region, reporter);
  const spec: ApiSpec = { name, description: pkg.description, region, account, methods, endpointType, ...(cors !== undefined ? { cors } : {}) };

  // Round trip 2: the API only needs the function's ARN, which is known already.
  reporter.start(options.lambdaOnly ? `Creating Lambda "${name}"` : `Creating Lambda "${name}" and its API`);
  const zip = await readFile(pkg.zipPath);
  // Deploy has no variables to keep, so `--env KEY=` only leaves KEY out (settings.env lacks it).
  const newFunction = { name, zip, description: pkg.description, roleArn: roleArn(account, role), ...settings };
  const creating = createFunction(aws, newFunction, roleRetry(aws, roleTarget));
  // The Active waiter starts the moment CreateFunction answers, not when the API import does.
  const activation = creating.then((fn) => (fn.State === 'Active' ? undefined : waitUntilActive(aws, name)));
  // Recorded at once too: an API import waiting out a rate limit must not leave the function unrecorded.
  const functionRecorded = creating.then((fn) => lambdaRecords.put(region, name, newRecord(fn, pkg, roleTarget)));
  for (const step of [activation, functionRecorded]) step.catch(() => undefined); // awaited below; a failed CreateFunction is reported from `created`
  const [created, imported] = await Promise.allSettled([
    creating,
    options.lambdaOnly ? Promise.resolve(undefined) : importApi(aws, spec, reporter),
  ]);
  if (created.status === 'rejected') {
    reporter.fail(`Lambda "${name}" could not be created.`);
    if (imported.status === 'fulfilled' && imported.value) await removeOrphanApi(aws, imported.value, reporter);
    throw created.reason;
  }
  reporter.succeed(`💥  Lambda: "${name}" has been created`);
  if (imported.status === 'rejected') {
    await Promise.allSettled([functionRecorded, activation]);
    throw new BamError(`${errorMessage(imported.reason)}. Lambda "${name}" exists; add its endpoint with: bam redeploy ${name} --addEndpoint`, {
      cause: imported.reason,
    });
  }
  const restApiId = imported.value;

  // Round trip 3: the API answers once it may invoke the function and is deployed to its stage.
  // What exists now is recorded meanwhile (function first: the API's record belongs to it).
  if (restApiId) reporter.start('Deploying the endpoint');
  const apiRecorded = functionRecorded.then(() => (restApiId ? recordApi(region, name, apiRecord(spec, restApiId, false)) : undefined));
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

async function refuseExistingFunction(aws: AwsSession, name: string): Promise<void> {
  if (await findFunction(aws, name)) {
    throw new BamError(`Function "${name}" already exists in ${aws.region}. Use: bam redeploy ${name}`);
  }
}

/** While Lambda rejects the role: re-check it once (recreating a deleted bam role), and show the wait. */
function roleRetry(aws: AwsSession, target: RoleTarget): RoleRetry {
  return { recheckRole: () => recheckRole(aws, target), ...waitMessages(target.reporter) };
}

function newRecord(fn: FunctionConfiguration, pkg: PackageResult, target: RoleTarget): LambdaRecord {
  return {
    arn: fn.FunctionArn ?? functionArn(target.region, target.account, pkg.name),
    role: target.role,
    description: pkg.description,
    codeSha256: fn.CodeSha256 ?? pkg.codeSha256,
    sourcePath: pkg.source.sourcePath,
    deployedAt: new Date().toISOString(),
    ...recordedSettings(fn, DEFAULT_RUNTIME),
  };
}
