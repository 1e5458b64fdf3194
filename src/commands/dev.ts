import type { Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { relative } from 'node:path';
import type { CommandContext } from '../tasks/context.js';
import { AWS_POLICY } from '../aws/policy.js';
import { validateFunctionName, validateTableName } from '../core/names.js';
import { keyNameProblem, parseKeyType } from '../core/keys.js';
import { type LambdaRecord } from '../core/records.js';
import { BamError, UsageError } from '../core/errors.js';
import { discoverFunctions, findFunctions, localFunction, type FoundFunction, type LocalSettings } from '../dev/functions.js';
import { parseMethods } from '../core/methods.js';
import { checkCorsMethods, parseCorsOrigin, readSettings } from '../tasks/settings.js';
import { FunctionHost } from '../dev/functionHost.js';
import type { LogLine } from '../dev/sandbox.js';
import { startLocalDynamo, type LocalDynamo, type LocalTable } from '../dev/localDynamo.js';
import { localTables } from '../dev/localTables.js';
import { createLambdaApi } from '../dev/lambdaApi.js';
import { createApiServer, ownsConnections, type AccessLine } from '../dev/apiServer.js';
import { accessText } from '../dev/restRules.js';
import { LineBuffer } from '../dev/lineBuffer.js';
import { removeDeadProcessesBuilds } from '../store/devBuilds.js';

export interface DevOptions {
  port?: string;
  host?: string;
  lambdaPort?: string;
  methods?: string[];
  table?: string[];
  env?: string[];
  envFile?: string;
  timeout?: string;
  /** --cors (true: any origin) or --cors ORIGIN. */
  cors?: string | boolean;
  apiTimeout?: string;
  fresh?: boolean;
  /** --url: serve the functions as function URLs (payload format 2.0). */
  url?: boolean;
  /** --no-bundle: run the files as they are instead of deploy's bundle. */
  bundle?: boolean;
  /** --external: packages the bundle leaves to node_modules, as deploy's does. */
  external?: string[];
}

export interface DevHandle {
  /** Where the first (or only) function is served. */
  url: string;
  /** Every function served and its URL. */
  functions: { name: string; url: string }[];
  dynamoDbEndpoint: string;
  lambdaEndpoint: string;
  close(): Promise<void>;
}

interface DevInput {
  port: number;
  lambdaPort: number;
  host: string;
  methods?: string[];
  tables: LocalTable[];
  env: Record<string, string>;
  unsetEnv?: string[];
  timeoutSeconds?: number;
  apiTimeoutMs: number;
  cors?: string;
  /** --url: every function served as a function URL. */
  url: boolean;
  bundle: boolean;
  external: string[];
}

// The account id functions see when bam does not know the user's (never a real one).
const LOCAL_ACCOUNT = '000000000000';
const API_GATEWAY_TIMEOUT_S = 29;

/** What every step of bam dev's start reads, and where each one leaves what stops it. */
interface DevRun {
  ctx: CommandContext;
  names: string[];
  input: DevInput;
  /** The local DynamoDB, once started: a function started later for the Lambda API gets its tables there. */
  dynamo?: LocalDynamo;
  /** Undone in reverse order by close(), or when a later step fails. */
  closers: (() => Promise<void>)[];
}

/** Where functions' log lines and bam dev's own notices go, in order. */
interface DevOutput {
  log: (line: LogLine) => void;
  /** What bam dev says about a function (its runtime's rules, why it failed) comes after its log lines. */
  notice: (text: string) => void;
  announceReload: (name: string) => void;
  buffer: LineBuffer;
}

/** The functions served over HTTP, and those only invoked by others (started on first use). */
interface DevHosts {
  served: Map<string, FunctionHost>;
  invokeOnly: Map<string, Promise<FunctionHost | undefined>>;
}

/**
 * bam dev: runs the functions of the current folder locally behind an API Gateway–like server,
 * with a local DynamoDB (dynalite) and a local Lambda Invoke endpoint, until close() is called.
 */
export async function dev(names: string[], options: DevOptions, ctx: CommandContext): Promise<DevHandle> {
  const input = await validateInput(names, options, ctx.cwd);
  const region = ctx.aws.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const found = await findServedFunctions(names, ctx);
  const [records, tableRecords, config] = await Promise.all([ctx.store.lambdaRecords.inRegion(region), ctx.store.dbTableRecords.inRegion(region), ctx.store.readConfig(), removeDeadProcessesBuilds(ctx.store.paths)]);

  await checkPortsFree(input);
  const run: DevRun = { ctx, names, input, closers: [] };
  const close = async (): Promise<void> => {
    for (const closer of run.closers.splice(0).reverse()) await closer().catch(() => undefined);
  };
  try {
    const needsDynamoDbNow = input.tables.length > 0 || found.some((fn) => fn.usesDynamoDb);
    const dynamoDbEndpoint = await startTheDynamoDb(run, Boolean(options.fresh), localTables(found, records, tableRecords, input.tables, input), needsDynamoDbNow);
    const hosts = keepTheHosts(run);
    const output = openTheOutput(run);
    // The Lambda API starts first: every function is told its endpoint. A function it is asked
    // for that is not served over HTTP starts on first use, with the same settings.
    const lambdaEndpoint = await startTheLambdaApi(run, hosts, (name) => hostFor(name));
    const settings = localSettings(ctx, region, config.accountNumber, input, dynamoDbEndpoint, lambdaEndpoint);
    const hostFor = (name: string) => startInvokeOnly(run, name, records, settings, output);
    hostTheFunctions(hosts, found, records, settings, output);
    const port = await startTheApiServer(run, hosts, settings.accountId, output);
    watchTheFunctions(hosts, output);
    await advertiseTheEndpoint(run, lambdaEndpoint, region, [...hosts.served.keys()]);
    const functions = announceTheUrls(run, hosts, found, port);
    return { url: functions[0]?.url ?? baseUrl(input.host, port), functions, dynamoDbEndpoint, lambdaEndpoint, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The local DynamoDB's endpoint, listening at once. dynalite itself starts now when a function
 * imports a DynamoDB client or --table names a table (its tables are made before the first
 * request), else on the first call a function makes to it: one that uses none never waits for it.
 */
async function startTheDynamoDb(run: DevRun, fresh: boolean, tables: LocalTable[], now: boolean): Promise<string> {
  const { ctx, closers } = run;
  const folder = ctx.store.paths.devDb();
  const createdLine = (created: string[]) => (created.length > 0 ? `; created table ${created.join(', ')}` : '');
  const dynamo = await startLocalDynamo({
    fresh,
    folder,
    policy: ctx.aws.policy ?? AWS_POLICY,
    tables,
    onFirstCall: (outcome) => {
      if ('error' in outcome) ctx.reporter.warn(`The local DynamoDB could not start: ${outcome.error.message}`);
      else ctx.reporter.info(`Local DynamoDB started for a function's first call${createdLine(outcome.created)}`);
    },
  });
  closers.push(() => dynamo.close());
  run.dynamo = dynamo;
  if (!now) {
    ctx.reporter.info(`Local DynamoDB at ${dynamo.endpoint}, data in ${folder} (it starts on a function's first call)`);
    return dynamo.endpoint;
  }
  const created = await dynamo.start();
  ctx.reporter.info(`Local DynamoDB at ${dynamo.endpoint}, data in ${folder}${createdLine(created)}`);
  return dynamo.endpoint;
}

function openTheOutput({ ctx, closers }: DevRun): DevOutput {
  const buffer = new LineBuffer((text) => ctx.reporter.info(text));
  closers.push(() => Promise.resolve(buffer.flush()));
  return {
    buffer,
    log: (line) => buffer.add(formatLog(line)),
    notice: (text) => {
      buffer.flush();
      ctx.reporter.warn(text);
    },
    announceReload: batched((reloaded) => buffer.add(`Reloaded ${reloaded.join(', ')}: files changed.`)),
  };
}

function keepTheHosts({ closers }: DevRun): DevHosts {
  const hosts: DevHosts = { served: new Map(), invokeOnly: new Map() };
  closers.push(async () => {
    await Promise.all([...hosts.served.values()].map((h) => h.close()));
    await Promise.all([...hosts.invokeOnly.values()].map(async (h) => (await h)?.close()));
  });
  return hosts;
}

async function startTheLambdaApi({ ctx, input, closers }: DevRun, hosts: DevHosts, startInvokeOnly: (name: string) => Promise<FunctionHost | undefined>): Promise<string> {
  const lambdaApi = createLambdaApi((name) => {
    const served = hosts.served.get(name);
    if (served) return Promise.resolve(served);
    if (!hosts.invokeOnly.has(name)) hosts.invokeOnly.set(name, startInvokeOnly(name));
    return hosts.invokeOnly.get(name) as Promise<FunctionHost | undefined>;
  });
  const endpoint = `http://127.0.0.1:${await listen(lambdaApi, input.lambdaPort, '127.0.0.1', '--lambdaPort')}`;
  closers.push(() => stopServer(lambdaApi));
  ctx.reporter.info(`Local Lambda API at ${endpoint} (e.g. aws lambda invoke --endpoint-url ${endpoint} --function-name NAME out.json)`);
  return endpoint;
}

/**
 * Tells bam invoke where this bam dev's Lambda API is (a file in the store) until it stops, so
 * consecutive invokes run in the warm sandbox. A second Ctrl-C exits without close(): the file
 * then goes on process exit; a killed bam dev's file is skipped by its readers.
 */
async function advertiseTheEndpoint({ ctx, closers }: DevRun, url: string, region: string, functions: string[]): Promise<void> {
  const { devEndpoints } = ctx.store;
  const endpoint = { pid: process.pid, url, port: Number(new URL(url).port), functions, cwd: ctx.cwd, region, startedAt: ctx.now().toISOString() };
  await devEndpoints.advertise(endpoint);
  const onExit = () => devEndpoints.withdrawNow(endpoint);
  process.once('exit', onExit);
  closers.push(async () => {
    process.off('exit', onExit);
    await devEndpoints.withdraw(endpoint);
  });
}

function localSettings(ctx: CommandContext, region: string, accountNumber: string | undefined, input: DevInput, dynamoDbEndpoint: string, lambdaEndpoint: string): LocalSettings {
  return {
    build: { bundle: input.bundle, external: input.external, buildDir: ctx.store.paths.devBuild, cwd: ctx.cwd },
    region,
    accountId: accountNumber ?? LOCAL_ACCOUNT,
    methods: input.methods,
    timeoutSeconds: input.timeoutSeconds,
    env: input.env,
    ...(input.unsetEnv ? { unsetEnv: input.unsetEnv } : {}),
    ...(input.cors !== undefined ? { cors: input.cors } : {}),
    ...(input.url ? { url: true } : {}),
    dynamoDbEndpoint,
    lambdaEndpoint,
  };
}

/** A function only invoked by others: found in this folder, started, and reloaded when its files change. */
async function startInvokeOnly({ ctx, input, dynamo }: DevRun, name: string, records: Record<string, LambdaRecord>, settings: LocalSettings, output: DevOutput): Promise<FunctionHost | undefined> {
  const [found] = await findFunctions([name], ctx.cwd).catch(() => []);
  if (!found) return undefined;
  const { source } = found;
  // Its tables, as bam dev makes them for a function it serves (and bam invoke for one it runs).
  if (found.usesDynamoDb && dynamo) {
    const tables = localTables([found], records, await ctx.store.dbTableRecords.inRegion(settings.region), [], input);
    const created = await dynamo.addTables(tables);
    if (created.length > 0) ctx.reporter.info(`Local DynamoDB: created table ${created.join(', ')} for ${name}`);
  }
  const host = new FunctionHost(localFunction(source, records[name], settings), output.log, output.notice);
  host.watchSource(() => output.announceReload(name));
  return host;
}

function hostTheFunctions(hosts: DevHosts, found: FoundFunction[], records: Record<string, LambdaRecord>, settings: LocalSettings, output: DevOutput): void {
  for (const { source, methods } of found) hosts.served.set(source.name, new FunctionHost(localFunction(source, records[source.name], settings, methods), output.log, output.notice));
}

async function startTheApiServer({ ctx, names, input, closers }: DevRun, hosts: DevHosts, accountId: string, output: DevOutput): Promise<number> {
  const api = createApiServer({
    single: names.length === 1,
    hosts: hosts.served,
    accountId,
    apiTimeoutMs: input.apiTimeoutMs,
    access: (line) => reportAccess(line, output.buffer, ctx),
    accessText: (text) => output.buffer.add(text),
    ownConnections: ownsConnections(process.env.BAM_DEV_OWN_CONNECTIONS),
  });
  const port = await listen(api, input.port, input.host);
  closers.push(() => stopServer(api));
  return port;
}

/** Each served function starts warming now, and reloads when its files change. */
function watchTheFunctions(hosts: DevHosts, output: DevOutput): void {
  for (const host of hosts.served.values()) {
    host.warm();
    host.watchSource(() => output.announceReload(host.fn.name));
  }
}

function baseUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

/** One line per served function: its name, where its code is, its methods and its URL. */
function announceTheUrls({ ctx, names, input }: DevRun, hosts: DevHosts, found: FoundFunction[], port: number): { name: string; url: string }[] {
  const base = baseUrl(input.host, port);
  const functions = [...hosts.served.values()].map(({ fn }) => ({ name: fn.name, url: names.length === 1 ? base : `${base}${encodeURIComponent(fn.name)}/` }));
  for (const [i, { name, url }] of functions.entries()) {
    const fn = found[i]?.source;
    ctx.reporter.result(`${name} (${fn ? relative(ctx.cwd, fn.sourcePath) || '.' : name}) ${servedAs(hosts.served.get(name))} at ${url}`);
  }
  ctx.reporter.info('Press Ctrl-C to stop.');
  return functions;
}

/** The same parsers as deploy's, so a flag means the same locally and in the cloud. */
async function validateInput(names: string[], options: DevOptions, cwd: string): Promise<DevInput> {
  for (const name of names) validateFunctionName(name);
  const port = Number(options.port ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port "${options.port ?? ''}" must be a port number (0 to 65535; 0 picks a free one).`);
  const lambdaPort = options.lambdaPort === undefined ? (port === 0 ? 0 : port + 2) : Number(options.lambdaPort);
  if (!Number.isInteger(lambdaPort) || lambdaPort < 0 || lambdaPort > 65535) throw new UsageError(`--lambdaPort "${options.lambdaPort ?? lambdaPort}" must be a port number (0 to 65535; 0 picks a free one).`);
  const apiTimeout = options.apiTimeout === undefined ? API_GATEWAY_TIMEOUT_S : Number(options.apiTimeout);
  if (!Number.isFinite(apiTimeout) || apiTimeout <= 0 || apiTimeout > 900) {
    throw new UsageError(`--apiTimeout "${options.apiTimeout ?? ''}" must be a number of seconds up to 900.`);
  }
  const methods = options.methods ? parseMethods(options.methods) : undefined;
  const cors = options.cors !== undefined ? parseCorsOrigin(options.cors) : undefined;
  if (methods) checkCorsMethods(methods, cors);
  const settings = await readSettings({ env: options.env, envFile: options.envFile, timeout: options.timeout }, cwd);
  return {
    port,
    url: Boolean(options.url),
    bundle: options.bundle !== false,
    external: options.external ?? [],
    lambdaPort,
    host: options.host ?? '127.0.0.1',
    ...(methods ? { methods } : {}),
    tables: (options.table ?? []).map(parseTableFlag),
    env: settings.env ?? {},
    ...(settings.unsetEnv ? { unsetEnv: settings.unsetEnv } : {}),
    timeoutSeconds: settings.timeout,
    apiTimeoutMs: apiTimeout * 1000,
    ...(cors !== undefined ? { cors } : {}),
  };
}

/** `--table name:partitionKey[:type]` (type string or number; string when left out). */
export function parseTableFlag(value: string): LocalTable {
  const [name = '', key = '', type = 'string', ...rest] = value.split(':');
  if (key === '' || rest.length > 0) throw new UsageError(`--table "${value}" must look like name:partitionKey:type, e.g. --table notes:id:string`);
  validateTableName(name);
  const keyProblem = keyNameProblem(key);
  if (keyProblem) throw new UsageError(`--table: ${keyProblem}`);
  const keyType = parseKeyType(type);
  if (!keyType) throw new UsageError(`--table "${value}": "${type}" is not a key type: use string or number.`);
  return { name, partitionKey: { name: key, type: keyType } };
}

async function findServedFunctions(names: string[], ctx: CommandContext): Promise<FoundFunction[]> {
  if (names.length > 0) return findFunctions(names, ctx.cwd);
  const found = await discoverFunctions(ctx.cwd, (text) => ctx.reporter.warn(text));
  if (found.length === 0) {
    throw new BamError(`No functions in ${ctx.cwd} (a NAME.js exporting handler, or a NAME/ folder with index.js). Create one with: bam create hello`);
  }
  return found;
}

/** Collects names for a moment so one edit that reloads several functions is one line. */
function batched(report: (names: string[]) => void, ms = 100): (name: string) => void {
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  return (name) => {
    pending.add(name);
    timer ??= setTimeout(() => {
      timer = undefined;
      report([...pending].sort());
      pending.clear();
    }, ms).unref();
  };
}

/** How a served function answers: as a function URL, or the methods of its API. */
function servedAs(host: FunctionHost | undefined): string {
  return host?.fn.url ? 'URL' : (host?.fn.methods.join(',') ?? '');
}

function formatLog({ functionName, awsRequestId, level, text }: LogLine): string {
  return `${functionName} ${awsRequestId ?? '-'} ${level} ${text}`;
}

function reportAccess(line: AccessLine, output: LineBuffer, ctx: CommandContext): void {
  const text = accessText(line);
  if (!line.problem) return output.add(text);
  output.flush();
  ctx.reporter.warn(`${text}: ${line.problem}`);
}

/**
 * Both ports are tried before anything starts: one line names every busy one (another bam dev
 * holds both), and nothing is said before it. listen() still reports one taken meanwhile.
 */
async function checkPortsFree(input: DevInput): Promise<void> {
  const wanted = [
    { port: input.port, host: input.host, flag: '--port' },
    { port: input.lambdaPort, host: '127.0.0.1', flag: '--lambdaPort' },
  ].filter(({ port }) => port !== 0);
  const busy: typeof wanted = [];
  for (const wish of wanted) if (await portInUse(wish.port, wish.host)) busy.push(wish);
  const [first, second] = busy;
  if (!first) return;
  if (!second) throw portInUseError(first.port, first.host, first.flag);
  throw new BamError(`Ports ${first.port} on ${first.host} (${first.flag}) and ${second.port} on ${second.host} (${second.flag}) are in use. Pick others with ${first.flag} ${first.port + 1} ${second.flag} ${second.port + 1} (or 0 for any free port).`);
}

function portInUse(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
    probe.listen(port, host, () => probe.close(() => resolve(false)));
  });
}

function portInUseError(port: number, host: string, flag: string): BamError {
  return new BamError(`Port ${port} on ${host} is in use. Pick another with ${flag} ${port + 1} (or ${flag} 0 for any free port).`);
}

async function listen(server: Server, port: number, host: string, flag = '--port'): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(portInUseError(port, host, flag));
      else reject(new BamError(`Cannot listen on ${host}:${port}: ${err.message}`));
    });
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
