import { readdir, readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { findSource, sourceFolder, type FunctionSource } from '../package/source.js';
import { parseSourceFile } from '../package/typescript.js';
import { exportsHandler } from '../package/handler.js';
import { importedSpecifiers } from '../package/imports.js';
import type { LambdaRecord } from '../core/records.js';
import { applyEnv } from '../core/env.js';
import type { LocalFunction } from './functionHost.js';
import { DEFAULT_RUNTIME, runtimeNodeMajor } from '../core/runtimes.js';
import { runtimeRules } from './runtimeRules.js';
import { DEFAULT_METHODS, declaredMethods } from '../core/methods.js';

/** What the code says about itself, read from its syntax tree (never by running it). */
export interface FoundFunction {
  source: FunctionSource;
  /** It imports a DynamoDB client, so it needs a table. */
  usesDynamoDb: boolean;
  /** Its `// methods:` line, when it has one. */
  methods?: string[];
}

// The forms findSource finds: JavaScript, and TypeScript as written.
const SCRIPT_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Every function in a folder: NAME.js|mjs|cjs exporting handler, and NAME/ folders with index.*. */
export async function discoverFunctions(cwd: string, warn: (text: string) => void): Promise<FoundFunction[]> {
  const entries = await readdir(cwd, { withFileTypes: true });
  const names = new Set<string>();
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const name = entry.isDirectory() ? entry.name : SCRIPT_EXTENSIONS.includes(extname(entry.name)) ? entry.name.slice(0, -extname(entry.name).length) : '';
    if (FUNCTION_NAME.test(name)) names.add(name);
  }
  const found: FoundFunction[] = [];
  for (const name of [...names].sort()) {
    const source = await findSource(name, { cwd }).catch(() => undefined);
    if (!source) continue;
    try {
      const inspected = await inspectFunction(source);
      if (inspected.exportsHandler) found.push({ source, usesDynamoDb: inspected.usesDynamoDb, ...(inspected.methods ? { methods: inspected.methods } : {}) });
    } catch (err) {
      warn(`Skipped ${name}: ${(err as Error).message}`);
    }
  }
  return found;
}

/** The named functions; their code must exist (the error lists the paths tried). */
export async function findFunctions(names: string[], cwd: string): Promise<FoundFunction[]> {
  return Promise.all(
    names.map(async (name) => {
      const source = await findSource(name, { cwd });
      const text = await readFile(source.entryFile, 'utf8');
      // A `// methods:` line that names no method is the user's to fix: say so, as deploy would.
      const methods = declaredMethods(text);
      const inspected = await inspectFunction(source).catch(() => ({ usesDynamoDb: false }));
      return { source, usesDynamoDb: inspected.usesDynamoDb, ...(methods ? { methods } : {}) };
    }),
  );
}

async function inspectFunction(source: FunctionSource): Promise<{ exportsHandler: boolean; usesDynamoDb: boolean; methods: string[] | undefined }> {
  const text = await readFile(source.entryFile, 'utf8');
  const { program } = await parseSourceFile(text, source.entryFile, source.entryFile, {});
  const specifiers = importedSpecifiers(program);
  return {
    exportsHandler: exportsHandler(program),
    usesDynamoDb: specifiers.some((s) => s === '@aws-sdk/client-dynamodb' || s === '@aws-sdk/lib-dynamodb'),
    methods: declaredMethods(text),
  };
}

export interface LocalSettings {
  region: string;
  accountId: string;
  /** --methods, for every function served. */
  methods?: string[];
  /** --timeout in seconds. */
  timeoutSeconds?: number;
  /** --envFile and --env, set over each function's recorded env. */
  env: Record<string, string>;
  /** `--env KEY=`: variables taken away from the recorded env. */
  unsetEnv?: string[];
  /** --cors: the origin preflights allow, for every function served (else the recorded one). */
  cors?: string;
  /** --url: serve every function as a function URL (else those whose record has a URL and no API). */
  url?: boolean;
  dynamoDbEndpoint: string;
  lambdaEndpoint: string;
  /** How the code is built: deploy's bundle (--external as deploy takes it), or --no-bundle's files. */
  build: LocalBuild;
}

/** bam dev's --no-bundle and --external, where each function's bundle is written, and the folder errors are named from. */
interface LocalBuild {
  bundle: boolean;
  external: string[];
  buildDir: (name: string) => string;
  cwd: string;
}

// Lambda's defaults, as bam deploy uses them.
const DEFAULT_TIMEOUT_S = 3;
const DEFAULT_MEMORY_MB = 128;
// Local code gets these instead of the user's keys: nothing it does can reach a real account.
const LOCAL_CREDENTIAL = 'bam-dev-local';

/**
 * A function with its deployed twin's settings: the record's methods, timeout, memory, runtime and
 * env. Never deployed, it gets the methods its `// methods:` line declares (as deploy would), else GET.
 */
export function localFunction(source: FunctionSource, record: LambdaRecord | undefined, settings: LocalSettings, declared?: string[]): LocalFunction {
  const name = source.name;
  const cors = settings.cors ?? record?.api?.cors;
  const memoryMb = record?.memory ?? DEFAULT_MEMORY_MB;
  const runtime = record?.runtime ?? DEFAULT_RUNTIME;
  const taskRoot = sourceFolder(source);
  const invokedFunctionArn = `arn:aws:lambda:${settings.region}:${settings.accountId}:function:${name}`;
  const lambdaEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    _HANDLER: 'index.handler',
    LAMBDA_TASK_ROOT: taskRoot,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_REGION: settings.region,
    AWS_DEFAULT_REGION: settings.region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIAL,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIAL,
    AWS_SESSION_TOKEN: LOCAL_CREDENTIAL,
    AWS_ENDPOINT_URL_DYNAMODB: settings.dynamoDbEndpoint,
    AWS_ENDPOINT_URL_LAMBDA: settings.lambdaEndpoint,
    // The SDK's warning about the local Node version says nothing about the deployed function.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  return {
    name,
    source,
    methods: settings.methods ?? record?.api?.methods.map((m) => m.toUpperCase()) ?? declared ?? DEFAULT_METHODS,
    timeoutMs: (settings.timeoutSeconds ?? record?.timeout ?? DEFAULT_TIMEOUT_S) * 1000,
    memoryMb,
    runtime: runtimeRules(runtime),
    // Like Lambda, the user's variables come first and the runtime's reserved ones win.
    env: { ...applyEnv(record?.env ?? {}, settings), ...lambdaEnv },
    invokedFunctionArn,
    code: settings.build.bundle
      ? { bundle: true, buildDir: settings.build.buildDir(name), nodeMajor: runtimeNodeMajor(runtime) ?? runtimeNodeMajor(DEFAULT_RUNTIME)!, external: settings.build.external, cwd: settings.build.cwd }
      : { bundle: false },
    ...(cors !== undefined ? { cors } : {}),
    ...servedAsUrl(record, settings),
  };
}

/** A function URL's settings when the function is served as one: asked for, or its only recorded endpoint. */
function servedAsUrl(record: LambdaRecord | undefined, settings: LocalSettings): { url?: { cors?: string } } {
  const recorded = record?.url ?? record?.pendingUrl;
  if (!settings.url && !(recorded && !record?.api)) return {};
  const cors = settings.cors ?? recorded?.cors;
  return { url: cors !== undefined ? { cors } : {} };
}
