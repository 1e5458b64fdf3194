import type { CommandContext } from '../tasks/context.js';
import type { Store } from '../store/store.js';
import { describeKey } from '../core/keys.js';
import { runtimeMark } from '../core/runtimes.js';
import { openAws, type AwsSession } from '../aws/clients.js';
import { findRestApi } from '../aws/apiGateway.js';
import { ENDPOINT_KINDS, formatFunctionUrl, functionUrlFields, urlInAws, type EndpointKind, type FunctionUrlEntry } from '../tasks/functionUrlEntry.js';
import { roleNameFromArn } from '../core/names.js';
import { describeTable } from '../aws/dynamodb.js';
import { listAllFunctions } from '../aws/lambda.js';
import { type ApiRecord, type DbTableRecord, type EndpointType, type KeyRecord, type LambdaRecord } from '../core/records.js';
import { style } from '../ui/style.js';

export interface ListOptions {
  lambdas?: boolean;
  dbtables?: boolean;
  json?: boolean;
}

/** What `bam list --json` prints; the text layout shows the same content. */
export interface Inventory {
  region: string;
  lambdas?: LambdaEntry[];
  otherLambdas?: OtherLambdaEntry[];
  dbTables?: TableEntry[];
  /** Creates an interrupted bam left open: the next command on the name settles them. */
  unsettled?: UnsettledEntry[];
}

export interface UnsettledEntry {
  kind: 'function' | 'api' | 'table';
  name: string;
  startedAt: string;
}

export interface LambdaEntry {
  name: string;
  description: string;
  runtime: string;
  /** Set when AWS has deprecated or blocked the runtime: "AWS blocks updates since 2026-09-30". */
  runtimeWarning?: string;
  memory?: number;
  timeout?: number;
  /** The names of its environment variables; never the values, which may be secrets. */
  env?: string[];
  /** The name of its IAM role (the record keeps the ARN). */
  role?: string;
  /** False when the function was deleted outside bam (the record is stale). */
  inAws: boolean;
  /** cors: the origin allowed when API Gateway answers CORS preflights. */
  endpoint?: { url: string; endpointType: EndpointType; methods: string[]; cors?: string; inAws: boolean };
  /** Which endpoints it has: a REST API, a function URL, both, or none. */
  endpointKind: EndpointKind;
  /** Its function URL; pending when an interrupted command still owes it (a redeploy makes it). */
  functionUrl?: FunctionUrlEntry;
}

export interface OtherLambdaEntry {
  name: string;
  description: string;
  runtime?: string;
  runtimeWarning?: string;
}

export interface TableEntry {
  name: string;
  partitionKey: KeyRecord;
  sortKey?: KeyRecord;
  inAws: boolean;
  /** DynamoDB's status when it is not ACTIVE (CREATING, DELETING, ...). */
  status?: string;
}

// Enough to be quick with many records, few enough to stay under API Gateway's 10 calls per second.
const CONCURRENT_CHECKS = 8;

/** bam list: records of this machine checked against AWS, plus the account's other functions. */
export async function list(options: ListOptions, ctx: CommandContext): Promise<void> {
  // Neither flag, or both, shows everything (as in BAM!).
  const both = Boolean(options.lambdas) === Boolean(options.dbtables);
  const showLambdas = both || Boolean(options.lambdas);
  const showTables = both || Boolean(options.dbtables);

  const aws = await openAws(ctx.aws);
  ctx.reporter.start(`Checking your resources in ${aws.region}...`);
  let inventory: Inventory;
  try {
    const [lambdas, tables] = await Promise.all([
      showLambdas ? checkLambdas(aws, ctx.store, ctx.now()) : undefined,
      showTables ? checkTables(aws, ctx.store) : undefined,
    ]);
    const unsettled = (await ctx.store.intents.inRegion(aws.region))
      .filter((intent) => (intent.kind === 'table' ? showTables : showLambdas))
      .map(({ kind, name, startedAt }) => ({ kind, name, startedAt }));
    inventory = { region: aws.region, ...lambdas, ...(tables ? { dbTables: tables } : {}), ...(unsettled.length > 0 ? { unsettled } : {}) };
  } finally {
    ctx.reporter.stop();
  }
  ctx.reporter.result(options.json ? JSON.stringify(inventory, null, 2) : formatInventory(inventory));
}

/** Lambda records against ListFunctions (all pages), their APIs against GetRestApi and their URLs against GetFunctionUrlConfig, concurrently. */
async function checkLambdas(aws: AwsSession, store: Store, now: Date): Promise<Pick<Inventory, 'lambdas' | 'otherLambdas'>> {
  const records = Object.entries(await store.lambdaRecords.inRegion(aws.region)).sort(byName);
  const [functions, apisFound, urlsFound] = await Promise.all([
    listAllFunctions(aws),
    mapConcurrently(records, CONCURRENT_CHECKS, async ([, record]) => (record.api ? (await findRestApi(aws, record.api.restApiId)) !== undefined : false)),
    mapConcurrently(records, CONCURRENT_CHECKS, ([name, record]) => urlInAws(aws, name, record)),
  ]);
  // AWS's runtime wins over the record's: the console may have changed it.
  const runtimeInAws = new Map(functions.map((fn) => [fn.FunctionName ?? '', fn.Runtime ?? '']));
  const recorded = new Set(records.map(([name]) => name));
  const lambdas = records.map(([name, record], i) => {
    const runtime = runtimeInAws.get(name) || record.runtime;
    return lambdaEntry(name, { ...record, runtime }, runtimeInAws.has(name), apisFound[i] ?? false, now, urlsFound[i] ?? false);
  });
  const otherLambdas = functions
    .filter((fn) => fn.FunctionName && !recorded.has(fn.FunctionName))
    .map((fn) => ({ name: fn.FunctionName ?? '', description: fn.Description ?? '', ...(fn.Runtime ? runtimeFields(fn.Runtime, now) : {}) }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { lambdas, otherLambdas };
}

/** The runtime, and AWS's verdict on it when it is deprecated or blocked. */
function runtimeFields(runtime: string, now: Date): { runtime: string; runtimeWarning?: string } {
  const warning = runtimeMark(runtime, now);
  return { runtime, ...(warning ? { runtimeWarning: warning } : {}) };
}

function lambdaEntry(name: string, record: LambdaRecord, inAws: boolean, apiInAws: boolean, now: Date, urlFound: boolean): LambdaEntry {
  return {
    name,
    description: record.description,
    ...runtimeFields(record.runtime, now),
    ...(record.memory !== undefined ? { memory: record.memory } : {}),
    ...(record.timeout !== undefined ? { timeout: record.timeout } : {}),
    ...(record.env && Object.keys(record.env).length > 0 ? { env: Object.keys(record.env).sort() } : {}),
    ...(record.role ? { role: roleNameFromArn(record.role) } : {}),
    inAws,
    ...(record.api ? { endpoint: endpointEntry(record.api, apiInAws) } : {}),
    ...functionUrlFields(record, urlFound),
  };
}

function endpointEntry(api: ApiRecord, inAws: boolean): NonNullable<LambdaEntry['endpoint']> {
  return { url: api.url, endpointType: api.endpointType, methods: api.methods, ...(api.cors !== undefined ? { cors: api.cors } : {}), inAws };
}

/** Table records against DescribeTable, concurrently. */
async function checkTables(aws: AwsSession, store: Store): Promise<TableEntry[]> {
  const records = Object.entries(await store.dbTableRecords.inRegion(aws.region)).sort(byName);
  const found = await mapConcurrently(records, CONCURRENT_CHECKS, ([name]) => describeTable(aws, name));
  return records.map(([name, record], i) => tableEntry(name, record, found[i]?.TableStatus));
}

function tableEntry(name: string, record: DbTableRecord, status: string | undefined): TableEntry {
  return {
    name,
    partitionKey: record.partitionKey,
    ...(record.sortKey ? { sortKey: record.sortKey } : {}),
    inAws: status !== undefined,
    ...(status !== undefined && status !== 'ACTIVE' ? { status } : {}),
  };
}

const GONE = '  (no longer in AWS)';

/** BAM!'s layout: headings at 2 spaces, names at 4, details at 6, a blank line between entries. */
export function formatInventory(inventory: Inventory): string {
  const sections: string[] = [];
  if (inventory.lambdas) {
    const heading = `  ${style.ok('Lambdas and endpoints deployed from this machine:')}`;
    sections.push(
      inventory.lambdas.length === 0
        ? `${heading}\n    There are no lambdas in ${inventory.region} deployed from this machine.`
        : `${heading}\n${inventory.lambdas.map(formatLambda).join('\n\n')}`,
    );
  }
  if (inventory.otherLambdas && inventory.otherLambdas.length > 0) {
    const other = (fn: OtherLambdaEntry): string => `    ${fn.name}${fn.runtimeWarning ? style.warn(`  (${fn.runtime ?? ''}: ${fn.runtimeWarning})`) : ''}`;
    sections.push(`  Other lambdas on AWS:\n${inventory.otherLambdas.map(other).join('\n')}`);
  }
  if (inventory.dbTables) {
    const heading = `  ${style.ok('DynamoDB tables deployed from this machine:')}`;
    sections.push(
      inventory.dbTables.length === 0
        ? `${heading}\n    No DynamoDB tables in ${inventory.region} have been deployed from this machine.`
        : `${heading}\n${inventory.dbTables.map(formatTable).join('\n\n')}`,
    );
  }
  if (inventory.unsettled) {
    const lines = inventory.unsettled.map((entry) => `    ${entry.kind === 'api' ? 'the API of' : entry.kind} ${style.bam(entry.name)}  (since ${entry.startedAt})`);
    const hint = '    The next bam command on that name finds out what exists and records it.';
    sections.push(`  ${style.warn('Interrupted creates, not settled yet:')}\n${lines.join('\n')}\n${hint}`);
  }
  return sections.map((section) => `${section}\n`).join('\n');
}

function formatLambda(entry: LambdaEntry): string {
  const lines = [`    ${style.bam(entry.name)}${entry.inAws ? '' : style.warn(GONE)}`];
  if (entry.description.trim()) lines.push(`      description: ${entry.description}`);
  const settings = [`runtime: ${entry.runtime}${entry.runtimeWarning ? style.warn(` (${entry.runtimeWarning})`) : ''}`];
  if (entry.memory !== undefined) settings.push(`memory: ${entry.memory} MB`);
  if (entry.timeout !== undefined) settings.push(`timeout: ${entry.timeout} s`);
  if (entry.role) settings.push(`role: ${entry.role}`);
  lines.push(`      ${settings.join(', ')}`);
  if (entry.env) lines.push(`      environment: ${entry.env.join(', ')}`);
  // The kind is spelled out once a function URL is in play (an API's lines say REST already).
  if (entry.functionUrl) lines.push(`      endpoint kind: ${ENDPOINT_KINDS[entry.endpointKind]}`, ...formatFunctionUrl(entry.functionUrl, style.warn(GONE)));
  if (entry.endpoint) {
    lines.push(`      endpoint: ${entry.endpoint.url}${entry.endpoint.inAws ? '' : style.warn(GONE)}`);
    lines.push(`      endpoint type: ${entry.endpoint.endpointType.toLowerCase()}`);
    lines.push(`      http methods: ${entry.endpoint.methods.join(', ')}`);
    if (entry.endpoint.cors !== undefined) lines.push(`      cors: ${entry.endpoint.cors}`);
  }
  return lines.join('\n');
}

function formatTable(entry: TableEntry): string {
  const gone = entry.inAws ? '' : style.warn(GONE);
  const status = entry.status ? style.warn(`  (${entry.status})`) : '';
  const lines = [`    ${style.bam(entry.name)}${gone}${status}`, `      partition key: ${describeKey(entry.partitionKey)}`];
  if (entry.sortKey) lines.push(`      sort key: ${describeKey(entry.sortKey)}`);
  return lines.join('\n');
}

const byName = <T>([a]: [string, T], [b]: [string, T]): number => a.localeCompare(b);

/** Like Promise.all over items.map(fn), with at most `limit` calls in flight. */
async function mapConcurrently<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
