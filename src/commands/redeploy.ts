import { access, readFile } from 'node:fs/promises';
import type { FunctionConfiguration } from '@aws-sdk/client-lambda';
import type { CommandContext } from '../tasks/context.js';
import type { Store } from '../store/store.js';
import { validateFunctionName } from '../core/names.js';
import { combineMethods, parseMethods, sameMethods } from '../core/methods.js';
import { concurrently } from '../tasks/concurrently.js';
import {
  checkCorsMethods,
  parseCorsOrigin,
  readSettings,
  runtimeNotice,
  settingsChanges,
  type FunctionSettings,
  type SettingsFlags,
} from '../tasks/settings.js';
import { ensureRole, recheckRole, requestedRole, warnIfTablesDenied, type RoleTarget } from '../tasks/roles.js';
import { apiRecord, publishApi, recordApi, recordFunction, waitMessages } from '../tasks/endpoint.js';
import { openAws, type AwsSession } from '../aws/clients.js';
import { accountNumber } from '../tasks/account.js';
import { apiDescription, type ApiSpec } from '../core/apiDocument.js';
import { createDeployment, findRestApi, putRestApi, updateApiDescription } from '../aws/apiGateway.js';
import { roleArn, roleNameFromArn } from '../core/names.js';
import {
  findFunction,
  removeApiPermission,
  updateFunctionCode,
  updateFunctionConfiguration,
  waitUntilUpdated,
  type FunctionSettingsInput,
} from '../aws/lambda.js';
import { DEFAULT_RUNTIME, acceptsUpdates, findRuntime } from '../core/runtimes.js';
import { stripApiToken } from '../core/tags.js';
import { checkFunctionSource, packageFunction, type BuildFlags, type PackageResult } from '../package/index.js';
import { defaultMethods } from '../package/description.js';
import { newToken, type Intent } from '../store/intents.js';
import { type ApiRecord, type ApiSettings, type BamConfig, type EndpointType, type LambdaRecord } from '../core/records.js';
import { functionRecordFrom, recordedSettings } from '../tasks/functionRecord.js';
import { createMayHaveHappened, importOwnApi } from '../tasks/ownCreates.js';
import { settleFunction } from '../tasks/settle.js';
import { changeFunctionUrl, finishFunctionUrl, streamsResponse, urlChanges, urlSettingsFor, urlToMake } from '../tasks/functionUrl.js';
import { BamError, UsageError } from '../core/errors.js';
import type { Reporter } from '../ui/reporter.js';
import { buildInputs } from '../package/inputs.js';
import { findSource } from '../package/source.js';
import { watchFunctions, type WatchedFunction } from '../tasks/watch/loop.js';

export interface RedeployOptions extends SettingsFlags, BuildFlags {
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
  /** --url: give the function a function URL (--cors then sets the URL's CORS). */
  url?: boolean;
  /** After the redeploy, send every save until Ctrl-C (redeployAndWatch). */
  watch?: boolean;
}

/** What the endpoint flags ask for, before AWS is asked anything. */
interface EndpointRequest {
  add: string[];
  remove: string[];
  addEndpoint: boolean;
  /** What a new API gets when --methods names none: the code's `// methods:` line, else GET (as deploy). */
  newApiMethods: string[];
  /** The allowed origin to set, null to turn CORS off, undefined to keep what is there. */
  cors?: string | null;
}

/** What happens to the endpoint, once AWS has said whether the recorded API still exists. */
type EndpointPlan =
  | { kind: 'none' }
  | { kind: 'dropStale'; restApiId: string }
  | { kind: 'put'; api: ApiRecord; methods: string[]; cors?: string }
  | { kind: 'publish'; api: ApiRecord }
  | { kind: 'import'; methods: string[]; cors?: string; endpointType?: EndpointType; replaces?: ApiRecord };

/**
 * bam redeploy: new code, role, settings, methods or CORS for an existing function. Unchanged
 * code costs one round trip (GetFunction ∥ GetRestApi) and no write call; changed code three
 * (GetFunction → UpdateFunctionCode → update finished), and changed settings one
 * UpdateFunctionConfiguration after that. Variables are merged into the function's current ones.
 */
export async function redeploy(name: string, options: RedeployOptions, ctx: CommandContext): Promise<LambdaRecord> {
  validateFunctionName(name);
  if (options.cors !== undefined && options.noCors) throw new UsageError('--cors and --noCors contradict each other: pass one of them.');
  const flags = {
    add: options.methods ? parseMethods(options.methods) : [],
    remove: options.rmMethods ? parseMethods(options.rmMethods, '--rmMethods') : [],
    addEndpoint: Boolean(options.addEndpoint),
    ...(options.cors !== undefined && !options.url ? { cors: parseCorsOrigin(options.cors) } : options.noCors ? { cors: null } : {}),
  };
  const urlCors = options.url && options.cors !== undefined ? parseCorsOrigin(options.cors) : undefined;
  const now = ctx.now();
  const settings = await readSettings(options, ctx.cwd, now);
  const config = await ctx.store.readConfig();
  const role = requestedRole(options, config.defaultRole);
  const aws = await openAws(ctx.aws);
  const src = await sourceToRedeploy(name, options.src, (await ctx.store.lambdaRecords.get(aws.region, name))?.sourcePath, ctx);
  const request: EndpointRequest = { ...flags, newApiMethods: await defaultMethods(name, { cwd: ctx.cwd, ...(src !== undefined ? { src } : {}) }) };
  // One command at a time on this name: concurrent method changes apply one after the other.
  return ctx.store.withNameLease('function', aws.region, name, waitMessages(ctx.reporter), async () => {
    await settleFunction(aws, ctx.store, name, ctx.reporter);
    return redeployUnderLease(aws, name, { options: { ...options, ...(src !== undefined ? { src } : {}) }, request, settings, role, config, now, urlCors }, ctx);
  });
}

/**
 * Where the code is: --src, else NAME in this folder, else where bam last deployed it from (run
 * from another folder, redeploy still finds it, and says so). The handler is checked before any
 * AWS call, so a broken file changes nothing.
 */
async function sourceToRedeploy(name: string, src: string | undefined, recorded: string | undefined, ctx: CommandContext): Promise<string | undefined> {
  try {
    await checkFunctionSource(name, { cwd: ctx.cwd, src });
    return src;
  } catch (err) {
    if (src !== undefined || !recorded || !(err instanceof BamError) || !err.message.startsWith('Could not find the code')) throw err;
    if (!(await pathExists(recorded))) {
      throw new BamError(`${err.message.replace(/ Create it with: .*$/, '')} bam last deployed "${name}" from ${recorded}, which is gone too. Point to the code with --src PATH.`);
    }
    await checkFunctionSource(name, { cwd: ctx.cwd, src: recorded });
    ctx.reporter.info(`No "${name}" in this folder: redeploying it from ${recorded}, where bam last deployed it from.`);
    return recorded;
  }
}

const pathExists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

interface RedeployInput {
  options: RedeployOptions;
  request: EndpointRequest;
  settings: FunctionSettings;
  role: string | undefined;
  config: BamConfig;
  now: Date;
  /** The CORS origin of a URL --url makes. */
  urlCors: string | undefined;
}

async function redeployUnderLease(aws: AwsSession, name: string, input: RedeployInput, ctx: CommandContext): Promise<LambdaRecord> {
  const { options, settings, role, config, now } = input;
  const { region } = aws;
  const { reporter } = ctx;
  const record = await ctx.store.lambdaRecords.get(region, name);
  // A function whose only endpoint is its URL takes --cors and --noCors for the URL.
  const { request, urlCorsFlag } = corsForUrl(record, input.request);
  checkMethodRequest(name, record, request);

  // Round trip 1: the function and its API as AWS has them, while the code is packaged.
  const [pkg, current, apiNow, account] = await concurrently([
    packageFunction(name, { cwd: ctx.cwd, store: ctx.store, src: options.src, reporter, bundle: options.bundle, external: options.external, runtime: settings.runtime ?? record?.runtime }),
    findFunction(aws, name),
    record?.api ? findRestApi(aws, record.api.restApiId) : undefined,
    accountNumber(aws, ctx.store).then(async (account) => {
      if (role) await ensureRole(aws, { role, account, region, reporter, store: ctx.store });
      return account;
    }),
  ]);
  if (!current) throw new BamError(`Function "${name}" does not exist in ${region}. Deploy it first: bam deploy ${name}`);
  if (!record) await ctx.store.lambdaRecords.put(region, name, functionRecordFrom(current, { region, account, name, sourcePath: pkg.source.sourcePath }));
  else await catchUpRecord(ctx.store, region, name, record, current);

  const roleTarget: RoleTarget | undefined = role ? { role, account, region, reporter, store: ctx.store } : undefined;
  const roleAfter = role ?? (current.Role ? roleNameFromArn(current.Role) : '');
  warnIfTablesDenied({ name, usesDynamoDb: pkg.usesDynamoDb, role: roleAfter, defaultRole: config.defaultRole, command: 'redeploy' }, reporter);
  const changes = functionChanges(current, pkg, roleTarget, settings);
  checkRuntime(name, current.Runtime ?? DEFAULT_RUNTIME, changes, settings, now, reporter);
  const plan = planEndpoint(record, apiNow !== undefined, request);
  // A new `// description:` reaches the API too (a regenerated document carries it already).
  const wantedDescription = apiDescription({ name, description: pkg.description });
  const describeApi =
    apiNow?.id && (plan.kind === 'none' || plan.kind === 'publish') && (stripApiToken(apiNow.description) ?? '') !== wantedDescription
      ? () => updateApiDescription(aws, apiNow.id!, wantedDescription)
      : undefined;
  const spec = (target: { methods: string[]; cors?: string | undefined; endpointType?: EndpointType | undefined }): ApiSpec => ({
    name,
    description: pkg.description,
    region,
    account,
    methods: target.methods,
    endpointType: target.endpointType ?? config.endpointType ?? 'EDGE',
    ...(target.cors !== undefined ? { cors: target.cors } : {}),
  });

  if (plan.kind === 'dropStale') {
    reporter.warn(`The API of "${name}" (${plan.restApiId}) no longer exists in AWS; its record is dropped. Add a new one (same methods and CORS) with: bam redeploy ${name} --addEndpoint`);
    // The vanished API's invoke permission goes too, so the function's policy names no dead API.
    await concurrently([recordApi(ctx.store, region, name, undefined), removeApiPermission(aws, name, plan.restApiId)]);
  }
  if (request.addEndpoint && (plan.kind === 'none' || plan.kind === 'put') && record?.api) {
    reporter.info(`"${name}" already has an endpoint: ${record.api.url}`);
  }
  const recordNow = await ctx.store.lambdaRecords.get(region, name);
  const asked = urlToMake(name, recordNow, options.url, input.urlCors, reporter);
  const url = asked && (await urlSettingsFor(asked, pkg.source.entryFile));
  const urlUpdate = url ? undefined : urlChanges(recordNow, urlCorsFlag !== undefined ? urlCorsFlag : input.urlCors, await streamsResponse(pkg.source.entryFile));
  if (!changes.code && !changes.config && !describeApi && !url && !urlUpdate && (plan.kind === 'none' || plan.kind === 'dropStale')) {
    reporter.succeed(`Lambda "${name}" is up to date; nothing to change.`);
    return (await ctx.store.lambdaRecords.get(region, name)) ?? functionRecordFrom(current, { region, account, name, sourcePath: pkg.source.sourcePath });
  }

  // Round trips 2 and 3: the function's updates and the endpoint's, side by side.
  const functionChanged = changes.code || changes.config !== undefined;
  reporter.start(functionChanged ? `Updating Lambda "${name}"` : `Updating the endpoint of "${name}"`);
  const [, api, , made, changedUrl] = await concurrently([
    updateTheFunction(aws, ctx.store, name, pkg, changes, roleTarget, reporter, !acceptsUpdates(current.Runtime ?? DEFAULT_RUNTIME, now)),
    changeTheEndpoint(aws, ctx.store, plan, spec, pkg.source.sourcePath, reporter),
    describeApi?.(),
    url ? finishFunctionUrl(aws, ctx.store, name, url) : undefined,
    urlUpdate && recordNow?.url ? changeFunctionUrl(aws, ctx.store, name, recordNow.url.url, urlUpdate) : undefined,
  ]);
  if (functionChanged) reporter.succeed(`Lambda: "${name}" has been updated`);
  if (plan.kind === 'import') reporter.succeed('💥  Endpoint has been created');
  else if (plan.kind === 'put' || plan.kind === 'publish' || describeApi) reporter.succeed(`Endpoint: "${name}" has been updated`);
  if (api) reporter.result(api.url);
  if (made) {
    reporter.succeed('💥  Function URL has been created');
    reporter.result(made.url);
  }
  if (changedUrl) reporter.succeed(`Function URL: "${name}" has been updated`);
  const updated = await ctx.store.lambdaRecords.get(region, name);
  if (!updated) throw new BamError(`The record of "${name}" disappeared while redeploying; run: bam list`);
  return updated;
}

/**
 * An update whose answer was lost (or a bam killed after Lambda took it) leaves the record
 * behind what Lambda runs; with nothing left to change, no later update would correct it.
 * The record takes what Lambda reports (no AWS call: round trip 1 already asked).
 */
async function catchUpRecord(store: Store, region: string, name: string, record: LambdaRecord, current: FunctionConfiguration): Promise<void> {
  const reported = { codeSha256: current.CodeSha256 ?? record.codeSha256, description: current.Description ?? '', ...recordedSettings(current) };
  const recorded = { codeSha256: record.codeSha256, description: record.description, runtime: record.runtime, memory: record.memory, timeout: record.timeout, env: record.env };
  if (JSON.stringify(reported) !== JSON.stringify(recorded)) await recordFunction(store, region, name, reported);
}

/** --cors/--noCors go to the URL of a function that has a URL and no REST API (nor asks for one). */
function corsForUrl(record: LambdaRecord | undefined, request: EndpointRequest): { request: EndpointRequest; urlCorsFlag?: string | null } {
  const urlOnly = record?.url !== undefined && !record.api && !record.pendingApi;
  if (!urlOnly || request.cors === undefined || request.add.length > 0 || request.remove.length > 0 || request.addEndpoint) return { request };
  const { cors, ...rest } = request;
  return { request: rest, urlCorsFlag: cors };
}

/** Method flags that can be judged from the record alone fail before any AWS call. */
function checkMethodRequest(name: string, record: LambdaRecord | undefined, request: EndpointRequest): void {
  const api = record?.api;
  const known = knownEndpoint(record);
  const both = request.add.filter((method) => request.remove.includes(method));
  if (both.length > 0) throw new UsageError(`${both.join(', ')} is both added (--methods) and removed (--rmMethods): pass it to one of them.`);
  if (request.remove.length > 0 && !api && request.add.length === 0 && !request.addEndpoint) {
    throw new UsageError(`"${name}" has no endpoint recorded, so there is no method to remove. Add one with: bam redeploy ${name} --addEndpoint`);
  }
  if (request.cors !== undefined && !api && request.add.length === 0 && !request.addEndpoint) {
    throw new UsageError(`"${name}" has no endpoint recorded, so CORS has nothing to apply to. Add one with: bam redeploy ${name} --addEndpoint --cors`);
  }
  const existing = api?.methods ?? [];
  const unknown = request.remove.filter((method) => !existing.includes(method) && !request.add.includes(method));
  if (api && unknown.length > 0) {
    throw new UsageError(`The endpoint of "${name}" has no ${unknown.join(', ')} method (it has ${existing.join(', ')}). See: bam list`);
  }
  if (asksForEndpoint(request) && targetMethods(known, request).length === 0) {
    throw new UsageError(`An endpoint needs at least one method. To remove the endpoint: bam delete ${name} --endpointOnly`);
  }
  if (known || asksForEndpoint(request)) checkCorsMethods(targetMethods(known, request), targetCors(known, request));
}

/** The endpoint's settings as bam knows them: the API's, else the one a deploy still owes, else the last one that vanished. */
function knownEndpoint(record: LambdaRecord | undefined): ApiSettings | undefined {
  return record?.api ?? record?.pendingApi ?? record?.lastApi;
}

function asksForEndpoint(request: EndpointRequest): boolean {
  return request.add.length > 0 || request.remove.length > 0 || request.addEndpoint || typeof request.cors === 'string';
}

/** The allowed origin after the flags: the recorded one unless --cors or --noCors says otherwise. */
function targetCors(known: ApiSettings | undefined, request: EndpointRequest): string | undefined {
  return request.cors === undefined ? known?.cors : (request.cors ?? undefined);
}

/** The methods after the flags: the recorded ones (a new API's defaults when none are given), plus and minus. */
function targetMethods(known: ApiSettings | undefined, request: EndpointRequest): string[] {
  const base = known?.methods ?? (request.add.length > 0 ? [] : request.newApiMethods);
  return combineMethods(base, request.add, request.remove);
}

function planEndpoint(record: LambdaRecord | undefined, apiExists: boolean, request: EndpointRequest): EndpointPlan {
  const api = record?.api;
  const known = knownEndpoint(record);
  const methods = targetMethods(known, request);
  const cors = targetCors(known, request);
  if (api && apiExists) {
    // A CORS change is an endpoint change like a method change: the document is regenerated.
    if (!sameMethods(methods, api.methods) || cors !== api.cors) return { kind: 'put', api, methods, ...(cors !== undefined ? { cors } : {}) };
    return api.deployed ? { kind: 'none' } : { kind: 'publish', api };
  }
  // An endpoint an interrupted deploy still owes is made without being asked again.
  const wanted = asksForEndpoint(request) || (!api && record?.pendingApi !== undefined);
  if (!wanted) return api ? { kind: 'dropStale', restApiId: api.restApiId } : { kind: 'none' };
  // A lambda-only function, or an API deleted behind bam's back: a new API (of the same type,
  // methods and CORS as the last one) replaces the record.
  return {
    kind: 'import',
    methods,
    ...(cors !== undefined ? { cors } : {}),
    ...(known ? { endpointType: known.endpointType } : {}),
    ...(api ? { replaces: api } : {}),
  };
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
  store: Store,
  name: string,
  pkg: PackageResult,
  changes: FunctionChanges,
  role: RoleTarget | undefined,
  reporter: Reporter,
  configurationFirst: boolean,
): Promise<void> {
  const record = (fn: FunctionConfiguration) =>
    recordFunction(store, aws.region, name, {
      codeSha256: fn.CodeSha256 ?? pkg.codeSha256,
      description: fn.Description ?? pkg.description,
      role: fn.Role ? roleNameFromArn(fn.Role) : (role?.role ?? ''),
      ...recordedSettings(fn),
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

type SpecOf = (target: { methods: string[]; cors?: string | undefined; endpointType?: EndpointType | undefined }) => ApiSpec;

async function changeTheEndpoint(aws: AwsSession, store: Store, plan: EndpointPlan, spec: SpecOf, sourcePath: string, reporter: Reporter): Promise<ApiRecord | undefined> {
  switch (plan.kind) {
    case 'put': {
      const target = spec({ ...plan, endpointType: plan.api.endpointType });
      await putRestApi(aws, plan.api.restApiId, target, waitMessages(reporter));
      await recordApi(store, target.region, target.name, apiRecord(target, plan.api.restApiId, false));
      await createDeployment(aws, plan.api.restApiId, waitMessages(reporter));
      return recordPublished(store, target, plan.api.restApiId);
    }
    case 'publish': {
      const target = spec(plan.api);
      await publishApi(aws, target, plan.api.restApiId, reporter);
      return recordPublished(store, target, plan.api.restApiId);
    }
    case 'import': {
      const token = newToken();
      const target = { ...spec(plan), token };
      const intent: Intent = {
        token,
        kind: 'api',
        region: target.region,
        name: target.name,
        startedAt: new Date().toISOString(),
        sourcePath,
        api: { methods: target.methods, endpointType: target.endpointType, ...(target.cors !== undefined ? { cors: target.cors } : {}) },
      };
      await store.intents.open([intent], (message) => reporter.warn(message));
      let restApiId: string;
      try {
        restApiId = await importOwnApi(aws, target, waitMessages(reporter));
      } catch (err) {
        // A failed import made nothing; one whose answer was lost is settled by the next command.
        if (!createMayHaveHappened(err)) await store.intents.close(intent);
        throw err;
      }
      await recordApi(store, target.region, target.name, apiRecord(target, restApiId, false));
      await store.intents.close(intent);
      // The new API is published while the vanished API's permission goes.
      await concurrently([
        publishApi(aws, target, restApiId, reporter),
        plan.replaces ? removeApiPermission(aws, target.name, plan.replaces.restApiId) : undefined,
      ]);
      return recordPublished(store, target, restApiId);
    }
    default:
      return undefined;
  }
}

async function recordPublished(store: Store, spec: ApiSpec, restApiId: string): Promise<ApiRecord> {
  const api = apiRecord(spec, restApiId, true);
  await recordApi(store, spec.region, spec.name, api);
  return api;
}

/**
 * bam redeploy NAME... --watch: each function redeployed as above, then every save sent until
 * `stop` (the first Ctrl-C): new code straight to Lambda, a new description through redeploy.
 */
export async function redeployAndWatch(names: string[], options: RedeployOptions, ctx: CommandContext, stop: AbortSignal): Promise<void> {
  const unique = [...new Set(names)];
  if (unique.length > 1 && options.src !== undefined) throw new UsageError('--src points to one function\'s code: with several names, run bam in the folder that holds them.');
  const redeployed: LambdaRecord[] = [];
  for (const name of unique) redeployed.push(await redeploy(name, options, ctx));
  const aws = await openAws(ctx.aws);
  const watched = redeployed.map((record, i) => watchedFunction(unique[i]!, record, options, ctx));
  await watchFunctions(watched, { aws, store: ctx.store, reporter: ctx.reporter, cwd: ctx.cwd, stop });
}

/**
 * Builds from where the redeploy found the code, with the same build options (bundling, externals,
 * the runtime's Node major), so an unchanged save makes the same zip; settings flags apply again
 * only through a whole redeploy.
 */
function watchedFunction(name: string, record: LambdaRecord, options: RedeployOptions, ctx: CommandContext): WatchedFunction {
  const src = options.src ?? record.sourcePath;
  const build = { bundle: options.bundle, external: options.external, runtime: record.runtime };
  return {
    name,
    build: async () => {
      const pkg = await packageFunction(name, { cwd: ctx.cwd, store: ctx.store, src, ...build });
      return { ...pkg, entryFile: pkg.source.entryFile };
    },
    inputs: async () => buildInputs(await findSource(name, { cwd: ctx.cwd, src }), ctx.store.paths.staging(name)),
    redeploy: () => redeploy(name, { ...options, src }, ctx),
  };
}
