import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CommandContext } from '../tasks/context.js';
import { validateFunctionName } from '../core/names.js';
import { BamError, UsageError, errorMessage } from '../core/errors.js';
import type { FoundFunction, LocalSettings } from '../dev/functions.js';
import type { LocalDynamo } from '../dev/localDynamo.js';
import type { LambdaRecord } from '../core/records.js';
import { EndpointGone, invokeLocalEndpoint } from '../dev/lambdaClient.js';
import type { AwsSession } from '../aws/clients.js';
import { removeDeadProcessesBuilds } from '../store/devBuilds.js';

// A local invoke through a running bam dev loads only what it needs to send one HTTP request: the
// sandbox, the function finder, the AWS SDK and the sample builders are imported where used.

export interface InvokeOptions {
  /** A file holding the event's JSON, or `-` for standard input. */
  event?: string;
  /** The event's JSON itself. */
  data?: string;
  /** Print `{ payload, functionError, logs, durationMs }` instead of the payload and the log. */
  json?: boolean;
  /** Call the deployed function instead of the local code. */
  remote?: boolean;
  /** With --remote: an Event invocation (prints the request id, waits for nothing). */
  async?: boolean;
  /** A sample event: api, url, or a method and path (`get /items?x=1`, `post /items BODY`). */
  sample?: string;
  /** Run it in a sandbox of its own even when a bam dev of this folder serves it. */
  noDev?: boolean;
  /** --no-bundle: run the files as they are instead of deploy's bundle (local only). */
  bundle?: boolean;
  /** --external: packages the bundle leaves to node_modules (local only). */
  external?: string[];
}

/** What one invocation gave, wherever it ran. */
interface InvokeResult {
  /** The payload as Lambda returns it (JSON text). */
  payload: string;
  /** 'Unhandled' when the function failed (the payload is then its error). */
  functionError?: string;
  /** The invocation's log: START, the function's lines, END, REPORT. */
  logs: string;
  durationMs: number;
}

// The account id local functions see when bam does not know the user's (as bam dev).
const LOCAL_ACCOUNT = '000000000000';
/**
 * A standalone local invoke has no local Lambda API (nor a local DynamoDB when another bam dev
 * holds it): the SDK is pointed at a closed port, so a call fails at once (with the local keys it
 * could never reach an account).
 */
const NO_LOCAL_ENDPOINT = 'http://127.0.0.1:9';

/**
 * bam invoke: runs the function once with an event and prints its result payload on stdout and its
 * log on stderr; locally in bam dev's sandbox, or with --remote the deployed function. A function
 * that fails makes the command fail (exit 1) after its error payload is printed.
 */
export async function invoke(name: string, options: InvokeOptions, ctx: CommandContext): Promise<void> {
  validateFunctionName(name);
  if (options.async && !options.remote) throw new UsageError('--async sends an Event invocation to the deployed function: use it with --remote.');
  if (options.noDev && options.remote) throw new UsageError('--noDev picks how the local code runs: leave it out with --remote.');
  const aws = options.remote ? await (await import('../aws/clients.js')).openAws(ctx.aws) : undefined;
  const region = aws?.region ?? localRegion(ctx);
  const event = options.sample !== undefined ? await readSample(name, options, region, ctx) : await readEvent(options, ctx);
  if (aws && options.async) {
    const { invokeFunction } = await import('../aws/lambda.js');
    const { requestId } = await invokeFunction(aws, name, event, { async: true });
    ctx.reporter.result(requestId ?? '');
    return;
  }
  const result = aws ? await invokeRemote(aws, name, event) : await invokeLocal(name, event, region, options, ctx);
  printResult(name, result, Boolean(options.json), ctx);
}

/** The region bam dev runs functions in: --region, else the environment's, else us-east-1. */
function localRegion(ctx: CommandContext): string {
  return ctx.aws.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

/** --sample: the event bam dev would make for that request, in the shape the function is served with. */
async function readSample(name: string, options: InvokeOptions, region: string, ctx: CommandContext): Promise<unknown> {
  if (options.data !== undefined || options.event !== undefined) throw new UsageError('Give the event once: --sample, --event FILE, --event - or --data JSON.');
  const [record, config, { sampleEvent, parseSample }] = await Promise.all([ctx.store.lambdaRecords.get(region, name), ctx.store.readConfig(), import('../dev/sampleEvent.js')]);
  // As bam dev: a function whose only endpoint is a URL gets URL events.
  const servedAsUrl = Boolean((record?.url ?? record?.pendingUrl) && !record?.api);
  return sampleEvent(parseSample(options.sample ?? '', servedAsUrl), { name, accountId: config.accountNumber ?? LOCAL_ACCOUNT, region }, ctx.now());
}

/** --data, else --event FILE or --event - (stdin), else `{}` as the Lambda console sends. */
async function readEvent(options: InvokeOptions, ctx: CommandContext): Promise<unknown> {
  if (options.data !== undefined && options.event !== undefined) throw new UsageError('Give the event once: --event FILE, --event - or --data JSON.');
  let text: string;
  let from: string;
  if (options.data !== undefined) {
    text = options.data;
    from = '--data';
  } else if (options.event === '-') {
    text = await readAll(ctx.io.input);
    from = 'standard input';
  } else if (options.event !== undefined) {
    from = options.event;
    try {
      text = await readFile(resolve(ctx.cwd, options.event), 'utf8');
    } catch (err) {
      throw new UsageError(`Cannot read the event file ${options.event}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}.`);
    }
  } else {
    return {};
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(`The event in ${from} is not valid JSON (${errorMessage(err).split('\n')[0]}): give a JSON value, e.g. --data '{"key":"value"}'.`);
  }
}

async function readAll(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Through the bam dev of this folder that serves it, when one runs; else in a sandbox of its own. */
async function invokeLocal(name: string, event: unknown, region: string, options: InvokeOptions, ctx: CommandContext): Promise<InvokeResult> {
  const throughDev = options.noDev ? undefined : await invokeThroughDev(name, event, region, ctx, 'serving it');
  return throughDev ?? invokeStandalone(name, event, region, options, ctx);
}

/**
 * Sends the event to the local Lambda API of a running bam dev of this folder in this region that
 * serves this function: its warm sandbox (the module state kept between invokes), its local
 * DynamoDB and Lambda API, its --env. With 'not serving it', one that does not (it starts the
 * function for the invoke): the way to its local DynamoDB. undefined when none does;
 * one whose API no longer answers has stopped, and its endpoint file is removed.
 */
async function invokeThroughDev(name: string, event: unknown, region: string, ctx: CommandContext, which: 'serving it' | 'not serving it'): Promise<InvokeResult | undefined> {
  const endpoints = await ctx.store.devEndpoints.running();
  for (const endpoint of endpoints.filter((e) => e.cwd === ctx.cwd && e.region === region && e.functions.includes(name) === (which === 'serving it'))) {
    const started = performance.now();
    let answer;
    try {
      answer = await invokeLocalEndpoint(endpoint.url, name, event);
    } catch (err) {
      if (!(err instanceof EndpointGone)) throw err;
      await ctx.store.devEndpoints.withdraw(endpoint);
      continue;
    }
    if (!answer) continue;
    const durationMs = performance.now() - started;
    ctx.reporter.info(which === 'serving it' ? `Ran in the warm sandbox of bam dev (pid ${endpoint.pid}, ${endpoint.url}).` : `Ran in bam dev (pid ${endpoint.pid}, ${endpoint.url}), which holds the local DynamoDB.`);
    return { payload: answer.payload, ...(answer.functionError !== undefined ? { functionError: answer.functionError } : {}), logs: answer.logTail, durationMs };
  }
  return undefined;
}

/**
 * One run in a fresh sandbox, as bam dev would run it: the record's settings and environment, and
 * for a function that uses DynamoDB bam dev's local DynamoDB (its data, its tables) while it runs.
 */
async function invokeStandalone(name: string, event: unknown, region: string, options: InvokeOptions, ctx: CommandContext): Promise<InvokeResult> {
  const [{ findFunctions, localFunction }, { FunctionHost }, { invokePayload }] = await Promise.all([import('../dev/functions.js'), import('../dev/functionHost.js'), import('../dev/lambdaApi.js')]);
  const [[found], record, config] = await Promise.all([findFunctions([name], ctx.cwd), ctx.store.lambdaRecords.get(region, name), ctx.store.readConfig(), removeDeadProcessesBuilds(ctx.store.paths)]);
  if (!found) throw new BamError(`No function ${name} in ${ctx.cwd}.`);
  if (found.usesDynamoDb && !options.noDev) {
    // A bam dev of this folder holds the local DynamoDB (one folder, one process): the function runs there, on its data.
    const inDev = await invokeThroughDev(name, event, region, ctx, 'not serving it');
    if (inDev) return inDev;
  }
  const dynamo = found.usesDynamoDb ? await startTheLocalDynamo(found, record, region, ctx) : undefined;
  const settings: LocalSettings = {
    region,
    accountId: config.accountNumber ?? LOCAL_ACCOUNT,
    env: {},
    dynamoDbEndpoint: dynamo?.endpoint ?? NO_LOCAL_ENDPOINT,
    lambdaEndpoint: NO_LOCAL_ENDPOINT,
    build: { bundle: options.bundle !== false, external: options.external ?? [], buildDir: ctx.store.paths.devBuild, cwd: ctx.cwd },
  };
  // The log comes from the invocation's tail; bam's own notices (runtime rules, why it failed) go to stderr.
  const host = new FunctionHost(localFunction(found.source, record, settings, found.methods), () => {}, (text) => ctx.reporter.warn(text));
  try {
    await host.checkBuild();
    const started = performance.now();
    const { awsRequestId, outcome, log } = await host.invoke(event, undefined, { tail: true });
    const durationMs = performance.now() - started;
    return {
      payload: invokePayload(outcome, awsRequestId),
      ...(outcome.kind !== 'result' ? { functionError: 'Unhandled' } : {}),
      logs: log ?? '',
      durationMs,
    };
  } finally {
    await host.close();
    await dynamo?.close();
  }
}

/**
 * bam dev's local DynamoDB (the store's dev-db, the tables bam dev would make for this function)
 * for the one invocation. A bam dev of another folder holds it while it runs: then
 * none, and the function's calls fail (a closed port, never AWS).
 */
async function startTheLocalDynamo(found: FoundFunction, record: LambdaRecord | undefined, region: string, ctx: CommandContext): Promise<LocalDynamo | undefined> {
  const name = found.source.name;
  const [{ startLocalDynamo }, { localTables }, { AWS_POLICY }, tableRecords] = await Promise.all([import('../dev/localDynamo.js'), import('../dev/localTables.js'), import('../aws/policy.js'), ctx.store.dbTableRecords.inRegion(region)]);
  const warn = (why: string) => ctx.reporter.warn(`${name} uses DynamoDB, but the local DynamoDB cannot start: ${why.replace(/\.$/, '')}. Its DynamoDB calls fail.`);
  try {
    const dynamo = await startLocalDynamo({
      fresh: false,
      folder: ctx.store.paths.devDb(),
      policy: ctx.aws.policy ?? AWS_POLICY,
      tables: localTables([found], record ? { [name]: record } : {}, tableRecords, [], { env: {} }),
    });
    // Started (and its tables made) before the invocation, as bam dev does for such a function:
    // dynalite's start does not count against the function's timeout.
    await dynamo.start().catch(async (err: unknown) => {
      await dynamo.close();
      throw err;
    });
    return dynamo;
  } catch (err) {
    // The data is one folder, held by a running bam dev (of another folder: one of this folder serving it runs it itself).
    warn(errorMessage(err));
    return undefined;
  }
}

/** Invoke RequestResponse with LogType Tail: the payload, the function error and the last 4 KB of its log. */
async function invokeRemote(aws: AwsSession, name: string, event: unknown): Promise<InvokeResult> {
  const { invokeFunction } = await import('../aws/lambda.js');
  const started = performance.now();
  const answer = await invokeFunction(aws, name, event, { async: false });
  return {
    payload: answer.payload,
    ...(answer.functionError !== undefined ? { functionError: answer.functionError } : {}),
    logs: answer.logTail,
    durationMs: performance.now() - started,
  };
}

function printResult(name: string, result: InvokeResult, json: boolean, ctx: CommandContext): void {
  if (json) {
    ctx.reporter.result(JSON.stringify({ payload: parsedPayload(result.payload), functionError: result.functionError ?? null, logs: result.logs, durationMs: Math.round(result.durationMs * 100) / 100 }, null, 2));
  } else {
    if (result.logs) ctx.reporter.info(result.logs.replace(/\n$/, ''));
    ctx.reporter.result(result.payload);
  }
  if (result.functionError !== undefined) throw new BamError(`${name} failed (${result.functionError}): ${errorSummary(result.payload)}`);
}

/** The payload as JSON when it is JSON (it always is from Lambda), else its text. */
function parsedPayload(payload: string): unknown {
  try {
    return JSON.parse(payload) as unknown;
  } catch {
    return payload;
  }
}

function errorSummary(payload: string): string {
  const error = parsedPayload(payload) as { errorType?: unknown; errorMessage?: unknown } | null;
  if (error && typeof error === 'object' && typeof error.errorMessage === 'string') return `${typeof error.errorType === 'string' ? error.errorType : 'Error'}: ${error.errorMessage.split('\n')[0]}`;
  return 'see the payload above';
}
