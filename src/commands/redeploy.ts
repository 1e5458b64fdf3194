import { readFile } from 'node:fs/promises';
import type { FunctionConfiguration } from '@aws-sdk/client-lambda';
import type { CommandContext } from './context.js';
import { validateFunctionName } from './names.js';
import { DEFAULT_METHODS, combineMethods, parseMethods, sameMethods } from './shared/methods.js';
import { concurrently } from './shared/concurrently.js';
import {
  checkCorsMethods,
  parseCorsOrigin,
  readSettings,
  recordedSettings,
  runtimeNotice,
  settingsChanges,
  type FunctionSettings,
  type SettingsFlags,
} from './shared/settings.js';
import { ensureRole, recheckRole, requestedRole, type RoleTarget } from './shared/roles.js';
import { apiRecord, importApi, publishApi, recordApi, recordFunction, waitMessages } from './shared/endpoint.js';
import { accountNumber, openAws, type AwsSession } from '../aws/clients.js';
import { functionArn, type ApiSpec } from '../aws/apiDocument.js';
import { createDeployment, findRestApi, putRestApi } from '../aws/apiGateway.js';
import { roleArn, roleNameFromArn } from '../aws/iam.js';
import {
  findFunction,
  removeApiPermission,
  updateFunctionCode,
  updateFunctionConfiguration,
  waitUntilUpdated,
  type FunctionSettingsInput,
} from '../aws/lambda.js';
import { DEFAULT_RUNTIME, acceptsUpdates, findRuntime } from '../core/runtimes.js';
import { checkFunctionSource, packageFunction, type PackageResult } from '../package/index.js';
import { lambdaRecords, readConfig, type ApiRecord, type LambdaRecord } from '../store/records.js';
import { BamError, UsageError } from '../ui/errors.js';
import type { Reporter } from '../ui/reporter.js';

export interface RedeployOptions extends SettingsFlags {
  methods?: string[];
  rmMethods?: string[];
  addEndpoint?: boolean;
  permitDb?: boolean;
  revokeDb?: boolean;
  role?: string;
  src?: string;
  /** --cors (true: any origin) or --cors ORIGIN. */
  cors?: string | boolean;
  noCors?: boolean;
}

/** What the endpoint flags ask for, before AWS is asked anything. */
interface EndpointRequest {
  add: string[];
  remove: string[];
  addEndpoint: boolean;
  /** The allowed origin to set, null to turn CORS off, undefined to keep what is there. */
  cors?: string | null;
}

/** What happens to the endpoint, once AWS has said whether the recorded API still exists. */
type EndpointPlan =
  | { kind: 'none' }
  | { kind: 'dropStale'; restApiId: string }
  | { kind: 'put'; api: ApiRecord; methods: string[]; cors?: string }
  | { kind: 'publish'; api: ApiRecord }
  | { kind: 'import'; methods: string[]; cors?: string; replaces?: ApiRecord };

/**
 * bam redeploy: new code, role, settings, methods or CORS for an existing function. Unchanged
 * code costs one round trip (GetFunction ∥ GetRestApi) and no write call; changed code three
 * (GetFunction → UpdateFunctionCode → update finished), and changed settings one
 * UpdateFunctionConfiguration after that. Variables are merged into the function's current ones.
 */
export async function redeploy(name: string, options: RedeployOptions, ctx: CommandContext): Promise<LambdaRecord> {
  validateFunctionName(name);
  if (options.cors !== undefined && options.noCors) throw new UsageError('--cors and --noCors contradict each other: pass one of them.');
  const request: EndpointRequest = {
    add: options.methods ? parseMethods(options.methods) : [],
    remove: options.rmMethods ? parseMethods(options.rmMethods, '--rmMethods') : [],
    addEndpoint: Boolean(options.addEndpoint),
    ...(options.cors !== undefined ? { cors: parseCorsOrigin(options.cors) } : options.noCors ? { cors: null } : {}),
  };
  const now = ctx.now();
  const settings = await readSettings(options, ctx.cwd, now);
  const config = await readConfig();
  const role = requestedRole(options, config.defaultRole);
  await checkFunctionSource(name, { cwd: ctx.cwd, src: options.src });
  const aws = await openAws(ctx.aws);
  const { region } = aws;
  const { reporter } = ctx;
  const record = await lambdaRecords.get(region, name);
  checkMethodRequest(name, record?.api, request);

  // Round trip 1: the function and its API as AWS has them, while the code is packaged.
  const [pkg, current, recordedApiExists, account] = await concurrently([
    packageFunction(name, { cwd: ctx.cwd, src: options.src, reporter }),
    findFunction(aws, name),
    record?.api ? findRestApi(aws, record.api.restApiId).then((api) => api !== undefined) : undefined,
    accountNumber(aws).then(async (account) => {
      if (role) await ensureRole(aws, { role, account, region, reporter });
      return account;
    }),
  ]);
  if (!current) throw new BamError(`Function "${name}" does not exist in ${region}. Deploy it first: bam deploy ${name}`);
  if (!record) await lambdaRecords.put(region, name, adoptedRecord(current, pkg, region, account, name));

  const roleTarget: RoleTarget | undefined = role ? { role, account, region, reporter } : undefined;
  const changes = functionChanges(current, pkg, roleTarget, settings);
  checkRuntime(name, current.Runtime ?? DEFAULT_RUNTIME, changes, settings, now, reporter);
  const plan = planEndpoint(record?.api, recordedApiExists ?? false, request);
  const spec = (methods: string[], cors: string | undefined, api?: ApiRecord): ApiSpec => ({
    name,
    description: pkg.description,
    region,
    account,
    methods,
    endpointType: api?.endpointType ?? config.endpointType ?? 'EDGE',
    ...(cors !== undefined ? { cors } : {}),
  });

  if (plan.kind === 'dropStale') {
    reporter.warn(`The API of "${name}" (${plan.restApiId}) no longer exists in AWS; its record is dropped. Add a new one with: bam redeploy ${name} --addEndpoint`);
    await recordApi(region, name, undefined);
  }
  if (request.addEndpoint && (plan.kind === 'none' || plan.kind === 'put') && record?.api) {
    reporter.info(`"${name}" already has an endpoint: ${record.api.url}`);
  }
  if (!changes.code && !changes.config && (plan.kind === 'none' || plan.kind === 'dropStale')) {
    reporter.succeed(`Lambda "${name}" is up to date; nothing to change.`);
    return (await lambdaRecords.get(region, name)) ?? adoptedRecord(current, pkg, region, account, name);
  }

  // Round trips 2 and 3: the function's updates and the endpoint's, side by side.
  reporter.start(`Updating Lambda "${name}"`);
  const [, api] = await concurrently([
    updateTheFunction(aws, name, pkg, changes, roleTarget, reporter, !acceptsUpdates(current.Runtime ?? DEFAULT_RUNTIME, now)),
    changeTheEndpoint(aws, plan, spec, reporter),
  ]);
  reporter.succeed(`Lambda: "${name}" has been updated`);
  if (api) reporter.result(api.url);
  const updated = await lambdaRecords.get(region, name);
  if (!updated) throw new BamError(`The record of "${name}" disappeared while redeploying; run: bam list`);
  return updated;
}

/** Method flags that can be judged from the record alone fail before any AWS call. */
function checkMethodRequest(name: string, api: ApiRecord | undefined, request: EndpointRequest): void {
  const existing = api?.methods ?? [];
  if (request.remove.length > 0 && !api && request.add.length === 0 && !request.addEndpoint) {
    throw new UsageError(`"${name}" has no endpoint recorded, so there is no method to remove. Add one with: bam redeploy ${name} --addEndpoint`);
  }
  if (request.cors !== undefined && !api && request.add.length === 0 && !request.addEndpoint) {
    throw new UsageError(`"${name}" has no endpoint recorded, so CORS has nothing to apply to. Add one with: bam redeploy ${name} --addEndpoint --cors`);
  }
  const unknown = request.remove.filter((method) => !existing.includes(method) && !request.add.includes(method));
  if (api && unknown.length > 0) {
    throw new UsageError(`The endpoint of "${name}" has no ${unknown.join(', ')} method (it has ${existing.join(', ')}). See: bam list`);
  }
  if (asksForEndpoint(request) && targetMethods(api, request).length === 0) {
    throw new UsageError(`An endpoint needs at least one method. To remove the endpoint: bam delete ${name} --endpointOnly`);
  }
  if (api || asksForEndpoint(request)) checkCorsMethods(targetMethods(api, request), targetCors(api, request));
}

function asksForEndpoint(request: EndpointRequest): boolean {
  return request.add.length > 0 || request.remove.length > 0 || request.addEndpoint || typeof request.cors === 'string';
}

/** The allowed origin after the flags: the recorded one unless --cors or --noCors says otherwise. */
function targetCors(api: ApiRecord | undefined, request: EndpointRequest): string | undefined {
  return request.cors === undefined ? api?.cors : (request.cors ?? undefined);
}

/** The methods after the flags: the recorded ones (GET for a new API when none are given), plus and minus. */
function targetMethods(api: ApiRecord | undefined, request: EndpointRequest): string[] {
  const base = api?.methods ?? (request.add.length > 0 ? [] : DEFAULT_METHODS);
  return combineMethods(base, request.add, request.remove);
}

function planEndpoint(api: ApiRecord | undefined, apiExists: boolean, request: EndpointRequest): EndpointPlan {
  const methods = targetMethods(api, request);
  const cors = targetCors(api, request);
  if (api && apiExists) {
    // A CORS change is an endpoint change like a method change: the document is regenerated.
    if (!sameMethods(methods, api.methods) || cors !== api.cors) return { kind: 'put', api, methods, ...(cors !== undefined ? { cors } : {}) };
    return api.deployed ? { kind: 'none' } : { kind: 'publish', api };
  }
  if (!asksForEndpoint(request)) return api ? { kind: 'dropStale', restApiId: api.restApiId } : { kind: 'none' };
  // A lambda-only function, or an API deleted behind bam's back: a new API (of the same type) replaces the record.
  return { kind: 'import', methods, ...(cors !== undefined ? { cors } : {}), ...(api ? { replaces: api } : {}) };
}

interface FunctionChanges {
  code: boolean;
  /** Everything for the one UpdateFunctionConfiguration: role, description and settings. */
  config?: FunctionSettingsInput & { roleArn?: string; description?: string };
}

function functionChanges(current: FunctionConfiguration, pkg: PackageResult, role: RoleTarget | undefined, settings: FunctionSettings): FunctionChanges {
  const wantedRole = role ? roleArn(role.account, role.role) : undefined;
  const config = {
    ...(wantedRole && wantedRole !== current.Role ? { roleArn: wantedRole } : {}),
    ...(pkg.description !== (current.Description ?? '') ? { description: pkg.description } : {}),
    ...settingsChanges(current, settings),
  };
  return { code: pkg.codeSha256 !== current.CodeSha256, ...(Object.keys(config).length > 0 ? { config } : {}) };
}

/**
 * New code, then (once Lambda has finished applying it: it rejects overlapping updates) the
 * configuration; the command ends when the last update is done. A function on a runtime AWS
 * no longer updates gets its new runtime first, since its code update would be refused. Each
 * update is recorded as soon as Lambda accepts it, so a failure half-way leaves a record that
 * says what AWS has.
 */
async function updateTheFunction(
  aws: AwsSession,
  name: string,
  pkg: PackageResult,
  changes: FunctionChanges,
  role: RoleTarget | undefined,
  reporter: Reporter,
  configurationFirst: boolean,
): Promise<void> {
  const record = (fn: FunctionConfiguration) =>
    recordFunction(aws.region, name, {
      codeSha256: fn.CodeSha256 ?? pkg.codeSha256,
      description: fn.Description ?? pkg.description,
      role: fn.Role ? roleNameFromArn(fn.Role) : (role?.role ?? ''),
      ...recordedSettings(fn, DEFAULT_RUNTIME),
      sourcePath: pkg.source.sourcePath,
      deployedAt: new Date().toISOString(),
    });
  const code = changes.code ? async () => updateFunctionCode(aws, name, await readFile(pkg.zipPath), waitMessages(reporter)) : undefined;
  const { config } = changes;
  const configuration = config
    ? () =>
        updateFunctionConfiguration(aws, name, config, {
          ...(role ? { recheckRole: () => recheckRole(aws, role) } : {}),
          ...waitMessages(reporter),
        })
    : undefined;
  let last: FunctionConfiguration | undefined;
  for (const update of configurationFirst ? [configuration, code] : [code, configuration]) {
    if (!update) continue;
    if (last && last.LastUpdateStatus !== 'Successful') await waitUntilUpdated(aws, name);
    last = await update();
    await record(last);
  }
  if (last && last.LastUpdateStatus !== 'Successful') await waitUntilUpdated(aws, name);
}

/**
 * AWS refuses updates to a function on a blocked runtime: say so before any write, with the
 * upgrade command; a runtime that still works but not for long gets a one-line notice.
 */
function checkRuntime(name: string, runtime: string, changes: FunctionChanges, settings: FunctionSettings, now: Date, reporter: Reporter): void {
  const upgrading = changes.config?.runtime !== undefined;
  if (!acceptsUpdates(runtime, now) && !upgrading) {
    const since = findRuntime(runtime)?.updateBlocked;
    const message =
      `Lambda "${name}" runs ${runtime}, which AWS no longer updates${since ? ` (blocked since ${since})` : ''}. ` +
      `Upgrade it with: bam redeploy ${name} --runtime ${DEFAULT_RUNTIME}`;
    if (changes.code || changes.config) throw new BamError(message);
    reporter.warn(message);
    return;
  }
  const notice = runtimeNotice(settings.runtime ?? runtime, now);
  if (notice) reporter.warn(settings.runtime ? notice : `"${name}" runs ${notice}`);
}

type SpecOf = (methods: string[], cors: string | undefined, api?: ApiRecord) => ApiSpec;

async function changeTheEndpoint(aws: AwsSession, plan: EndpointPlan, spec: SpecOf, reporter: Reporter): Promise<ApiRecord | undefined> {
  switch (plan.kind) {
    case 'put': {
      const target = spec(plan.methods, plan.cors, plan.api);
      await putRestApi(aws, plan.api.restApiId, target, waitMessages(reporter));
      await recordApi(target.region, target.name, apiRecord(target, plan.api.restApiId, false));
      await createDeployment(aws, plan.api.restApiId, waitMessages(reporter));
      return recordPublished(target, plan.api.restApiId);
    }
    case 'publish': {
      const target = spec(plan.api.methods, plan.api.cors, plan.api);
      await publishApi(aws, target, plan.api.restApiId, reporter);
      return recordPublished(target, plan.api.restApiId);
    }
    case 'import': {
      const target = spec(plan.methods, plan.cors, plan.replaces);
      const restApiId = await importApi(aws, target, reporter);
      // The new API is recorded while it is being published; the vanished API's permission goes.
      await concurrently([
        recordApi(target.region, target.name, apiRecord(target, restApiId, false)),
        publishApi(aws, target, restApiId, reporter),
        plan.replaces ? removeApiPermission(aws, target.name, plan.replaces.restApiId) : undefined,
      ]);
      return recordPublished(target, restApiId);
    }
    default:
      return undefined;
  }
}

async function recordPublished(spec: ApiSpec, restApiId: string): Promise<ApiRecord> {
  const api = apiRecord(spec, restApiId, true);
  await recordApi(spec.region, spec.name, api);
  return api;
}

/** A function deployed from elsewhere (or before a crash) gets a record, so later steps can add to it. */
function adoptedRecord(current: FunctionConfiguration, pkg: PackageResult, region: string, account: string, name: string): LambdaRecord {
  return {
    arn: current.FunctionArn ?? functionArn(region, account, name),
    role: current.Role ? roleNameFromArn(current.Role) : '',
    ...recordedSettings(current, DEFAULT_RUNTIME),
    description: current.Description ?? '',
    codeSha256: current.CodeSha256 ?? '',
    sourcePath: pkg.source.sourcePath,
    deployedAt: current.LastModified ?? new Date().toISOString(),
  };
}
