import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { relative } from 'node:path';
import type { CommandContext } from '../tasks/context.js';
import { isTableName, validateFunctionName, validateTableName } from '../core/names.js';
import { keyNameProblem, parseKeyType } from '../core/keys.js';
import { type DbTableRecord, type LambdaRecord } from '../core/records.js';
import { dbTableRecords, lambdaRecords, readConfig } from '../store/records.js';
import { storePaths } from '../store/paths.js';
import { findSource } from '../package/source.js';
import { BamError, UsageError } from '../core/errors.js';
import { discoverFunctions, findFunctions, localFunction, type FoundFunction, type LocalSettings } from '../dev/functions.js';
import { parseMethods } from '../core/methods.js';
import { applyEnv } from '../core/env.js';
import { checkCorsMethods, parseCorsOrigin, readSettings } from '../tasks/settings.js';
import { FunctionHost } from '../dev/functionHost.js';
import type { LogLine } from '../dev/sandbox.js';
import { startLocalDynamo, type LocalTable } from '../dev/localDynamo.js';
import { createLambdaApi } from '../dev/lambdaApi.js';
import { createApiServer, type AccessLine } from '../dev/apiServer.js';
import { LineBuffer } from '../dev/lineBuffer.js';

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
}

// The account id functions see when bam does not know the user's (never a real one).
const LOCAL_ACCOUNT = '000000000000';
const API_GATEWAY_TIMEOUT_S = 29;

/**
 * bam dev: runs the functions of the current folder locally behind an API Gateway–like server,
 * with a local DynamoDB (dynalite) and a local Lambda Invoke endpoint, until close() is called.
 */
export async function dev(names: string[], options: DevOptions, ctx: CommandContext): Promise<DevHandle> {
  const input = await validateInput(names, options, ctx.cwd);
  const region = ctx.aws.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const found = await findServedFunctions(names, ctx);
  const [records, tableRecords, config] = await Promise.all([lambdaRecords.inRegion(region), dbTableRecords.inRegion(region), readConfig()]);

  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const closer of closers.splice(0).reverse()) await closer().catch(() => undefined);
  };
  try {
    const dynamo = await startLocalDynamo({ fresh: Boolean(options.fresh) });
    closers.push(() => dynamo.close());
    const created = await dynamo.ensureTables(tablesToCreate(found, records, tableRecords, input));
    ctx.reporter.info(`Local DynamoDB at ${dynamo.endpoint}, data in ${storePaths.devDb()}${created.length > 0 ? `; created table ${created.join(', ')}` : ''}`);

    const hosts = new Map<string, FunctionHost>();
    const invokeOnly = new Map<string, Promise<FunctionHost | undefined>>();
    closers.push(async () => {
      await Promise.all([...hosts.values()].map((h) => h.close()));
      await Promise.all([...invokeOnly.values()].map(async (h) => (await h)?.close()));
    });
    const output = new LineBuffer((text) => ctx.reporter.info(text));
    closers.push(() => Promise.resolve(output.flush()));
    const log = (line: LogLine) => output.add(formatLog(line));
    // What bam dev says about a function (its runtime's rules, why it failed) comes after its log lines.
    const notice = (text: string) => {
      output.flush();
      ctx.reporter.warn(text);
    };
    const announceReload = batched((reloaded) => output.add(`Reloaded ${reloaded.join(', ')}: files changed.`));

    const lambdaApi = createLambdaApi((name) => {
      const served = hosts.get(name);
      if (served) return Promise.resolve(served);
      // Functions invoked by others but not served over HTTP start on first use.
      if (!invokeOnly.has(name)) invokeOnly.set(name, startInvokeOnly(name));
      return invokeOnly.get(name) as Promise<FunctionHost | undefined>;
    });
    const lambdaEndpoint = `http://127.0.0.1:${await listen(lambdaApi, input.lambdaPort, '127.0.0.1', '--lambdaPort')}`;
    closers.push(() => stopServer(lambdaApi));
    ctx.reporter.info(`Local Lambda API at ${lambdaEndpoint} (e.g. aws lambda invoke --endpoint-url ${lambdaEndpoint} --function-name NAME out.json)`);

    const settings: LocalSettings = {
      region,
      accountId: config.accountNumber ?? LOCAL_ACCOUNT,
      methods: input.methods,
      timeoutSeconds: input.timeoutSeconds,
      env: input.env,
      ...(input.unsetEnv ? { unsetEnv: input.unsetEnv } : {}),
      ...(input.cors !== undefined ? { cors: input.cors } : {}),
      dynamoDbEndpoint: dynamo.endpoint,
      lambdaEndpoint,
    };
    const startInvokeOnly = async (name: string): Promise<FunctionHost | undefined> => {
      const source = await findSource(name, { cwd: ctx.cwd }).catch(() => undefined);
      if (!source) return undefined;
      const host = new FunctionHost(localFunction(source, records[name], settings), log, notice);
      host.watchSource(() => announceReload(name));
      return host;
    };
    for (const { source, methods } of found) hosts.set(source.name, new FunctionHost(localFunction(source, records[source.name], settings, methods), log, notice));

    const api = createApiServer({
      single: names.length === 1,
      hosts,
      accountId: settings.accountId,
      apiTimeoutMs: input.apiTimeoutMs,
      access: (line) => reportAccess(line, output, ctx),
    });
    const port = await listen(api, input.port, input.host);
    closers.push(() => stopServer(api));

    for (const host of hosts.values()) {
      host.warm();
      host.watchSource(() => announceReload(host.fn.name));
    }
    const base = `http://${input.host.includes(':') ? `[${input.host}]` : input.host}:${port}/`;
    const functions = [...hosts.values()].map(({ fn }) => ({ name: fn.name, url: names.length === 1 ? base : `${base}${encodeURIComponent(fn.name)}/` }));
    for (const [i, { name, url }] of functions.entries()) {
      const fn = found[i]?.source;
      ctx.reporter.result(`${name} (${fn ? relative(ctx.cwd, fn.sourcePath) || '.' : name}) ${hosts.get(name)?.fn.methods.join(',') ?? ''} at ${url}`);
    }
    ctx.reporter.info('Press Ctrl-C to stop.');
    return { url: functions[0]?.url ?? base, functions, dynamoDbEndpoint: dynamo.endpoint, lambdaEndpoint, close };
  } catch (err) {
    await close();
    throw err;
  }
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

/**
 * The recorded tables, --table ones, and for a function that uses DynamoDB but whose table is
 * not among them, a table named as the db templates read it: TABLE_NAME, else the function's
 * name; partition key PARTITION_KEY (default `id`), a number when PARTITION_KEY_TYPE=number.
 */
function tablesToCreate(found: FoundFunction[], records: Record<string, LambdaRecord>, tableRecords: Record<string, DbTableRecord>, input: DevInput): LocalTable[] {
  const tables = new Map<string, LocalTable>();
  for (const [name, { partitionKey, sortKey }] of Object.entries(tableRecords)) tables.set(name, { name, partitionKey, ...(sortKey ? { sortKey } : {}) });
  for (const table of input.tables) tables.set(table.name, table);
  for (const { source, usesDynamoDb } of found) {
    if (!usesDynamoDb) continue;
    const env = applyEnv(records[source.name]?.env ?? {}, input);
    const name = env.TABLE_NAME ?? source.name;
    const partitionKey = { name: env.PARTITION_KEY ?? 'id', type: env.PARTITION_KEY_TYPE === 'number' ? ('N' as const) : ('S' as const) };
    if (!tables.has(name) && isTableName(name)) tables.set(name, { name, partitionKey });
  }
  return [...tables.values()];
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

function formatLog({ functionName, awsRequestId, level, text }: LogLine): string {
  return `${functionName} ${awsRequestId ?? '-'} ${level} ${text}`;
}

function reportAccess(line: AccessLine, output: LineBuffer, ctx: CommandContext): void {
  const text = `${line.method} ${line.url} ${line.statusCode} ${line.ms.toFixed(1)} ms`;
  if (!line.problem) return output.add(text);
  output.flush();
  ctx.reporter.warn(`${text}: ${line.problem}`);
}

async function listen(server: Server, port: number, host: string, flag = '--port'): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new BamError(`Port ${port} on ${host} is in use. Pick another with ${flag} ${port + 1} (or ${flag} 0 for any free port).`));
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
