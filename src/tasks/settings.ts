import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FunctionConfiguration } from '@aws-sdk/client-lambda';
import type { FunctionSettingsInput } from '../aws/lambda.js';
import { DEFAULT_RUNTIME, NODE_RUNTIMES, findRuntime, isRetiredNodeRuntime, runtimeDates, runtimeStage, usableRuntimes } from '../core/runtimes.js';
import { UsageError } from '../core/errors.js';
import { applyEnv } from '../core/env.js';
import { parseDotenv } from '../core/dotenv.js';

export const MEMORY_MB = { min: 128, max: 10240 };
export const TIMEOUT_S = { min: 1, max: 900 };
/** Lambda refuses a function whose variables, as JSON, exceed 4 KB. */
export const ENV_LIMIT_BYTES = 4096;
/** An --envFile larger than this cannot fit in 4 KB of variables, even with comments and blank lines. */
export const ENV_FILE_MAX_BYTES = 64 * 1024;

const ENV_KEY = /^[A-Za-z][A-Za-z0-9_]*$/;
// Set by the Lambda runtime itself; CreateFunction refuses them.
const RESERVED_ENV_KEYS = new Set([
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_LAMBDA_RUNTIME_API',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);

/** The function-settings flags, as commander hands them over. */
export interface SettingsFlags {
  runtime?: string;
  memory?: string;
  timeout?: string;
  env?: string[];
  envFile?: string;
}

/** Validated settings; only what the flags asked for is set. */
export interface FunctionSettings {
  runtime?: string;
  memory?: number;
  timeout?: number;
  /** Variables to set (--envFile, then --env over it). */
  env?: Record<string, string>;
  /** Variables to remove: `--env KEY=` with nothing after the =. */
  unsetEnv?: string[];
}

/** Reads and checks every settings flag (and the --envFile) before anything is sent to AWS. */
export async function readSettings(flags: SettingsFlags, cwd: string, now: Date = new Date()): Promise<FunctionSettings> {
  const fromFile = flags.envFile !== undefined ? await readEnvFile(flags.envFile, cwd) : {};
  const { set, unset } = parseEnvFlags(flags.env ?? []);
  const env = { ...fromFile, ...set };
  for (const key of unset) delete env[key];
  checkEnvSize(env);
  return {
    ...(flags.runtime !== undefined ? { runtime: parseRuntime(flags.runtime, now) } : {}),
    ...(flags.memory !== undefined ? { memory: parseInteger('--memory', flags.memory, MEMORY_MB, 'MB') } : {}),
    ...(flags.timeout !== undefined ? { timeout: parseInteger('--timeout', flags.timeout, TIMEOUT_S, 'seconds') } : {}),
    ...(flags.env !== undefined || flags.envFile !== undefined ? { env } : {}),
    ...(unset.length > 0 ? { unsetEnv: unset } : {}),
  };
}

/**
 * A runtime AWS still lets functions be created on (or switched to) today. Names are
 * case-insensitive; a runtime AWS has blocked is refused with its date and the one to use.
 */
export function parseRuntime(value: string, now: Date): string {
  const name = value.trim().toLowerCase();
  const runtime = findRuntime(name);
  const usable = usableRuntimes(now);
  const instead = `Use --runtime ${DEFAULT_RUNTIME}`;
  if (runtime && !usable.includes(name)) {
    throw new UsageError(`--runtime ${name}: AWS blocked new functions on it on ${runtime.createBlocked} (and updates on ${runtime.updateBlocked}). ${instead}.`);
  }
  if (!runtime && isRetiredNodeRuntime(name)) {
    throw new UsageError(`--runtime ${name}: AWS retired it before ${NODE_RUNTIMES[NODE_RUNTIMES.length - 1]!.name}; it can no longer be created or updated. ${instead}.`);
  }
  if (!runtime) throw new UsageError(`--runtime "${value}" is not a Lambda Node.js runtime bam knows. Use one of ${usable.join(', ')} (default ${DEFAULT_RUNTIME}).`);
  return name;
}

/**
 * One line for a runtime that works today but not for long (anything older than the default):
 * "nodejs22.x: deprecated 2027-04-30, … Lambda's current runtime is nodejs24.x." Undefined otherwise.
 */
export function runtimeNotice(name: string, now: Date): string | undefined {
  const runtime = findRuntime(name);
  if (!runtime || name === DEFAULT_RUNTIME) return undefined;
  const stage = runtimeStage(runtime, now);
  const when = stage === 'supported' ? runtimeDates(runtime) : `${runtimeDates(runtime)} (it is deprecated now)`;
  return `${name}: ${when}. Move to ${DEFAULT_RUNTIME} before then: --runtime ${DEFAULT_RUNTIME}`;
}

function parseInteger(flag: string, value: string, range: { min: number; max: number }, unit: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < range.min || n > range.max) {
    throw new UsageError(`${flag} "${value}" must be a whole number of ${unit} from ${range.min} to ${range.max}.`);
  }
  return n;
}

/** `--env KEY=VALUE`, repeatable; `--env KEY=` (empty) asks to remove KEY. */
export function parseEnvFlags(values: string[]): { set: Record<string, string>; unset: string[] } {
  const set: Record<string, string> = {};
  const unset = new Set<string>();
  for (const value of values) {
    const at = value.indexOf('=');
    if (at <= 0) throw new UsageError(`--env "${value}" must look like KEY=VALUE (KEY= removes KEY).`);
    const key = value.slice(0, at);
    checkEnvKey(key, '--env');
    const text = value.slice(at + 1);
    if (text === '') {
      unset.add(key);
      delete set[key];
    } else {
      set[key] = text;
      unset.delete(key);
    }
  }
  return { set, unset: [...unset] };
}

async function readEnvFile(path: string, cwd: string): Promise<Record<string, string>> {
  const full = resolve(cwd, path);
  let text: string;
  try {
    // Checked before opening: reading a FIFO or a device (/dev/zero) would block or never end.
    const info = await stat(full);
    if (!info.isFile()) throw new UsageError(`--envFile: ${path} is not a regular file. Give the path of a .env file.`);
    if (info.size > ENV_FILE_MAX_BYTES) {
      throw new UsageError(`--envFile: ${path} is ${info.size} bytes; Lambda allows ${ENV_LIMIT_BYTES} bytes of variables. Give the path of a .env file.`);
    }
    text = await readFile(full, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--envFile: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}). Give the path of a .env file.`);
  }
  const env = parseDotenv(text, path);
  for (const key of Object.keys(env)) checkEnvKey(key, path);
  return env;
}

function checkEnvKey(key: string, where: string): void {
  if (!ENV_KEY.test(key)) throw new UsageError(`${where}: "${key}" is not a valid variable name (a letter, then letters, digits and _).`);
  if (RESERVED_ENV_KEYS.has(key)) throw new UsageError(`${where}: ${key} is reserved: Lambda sets it itself. Pick another name.`);
}

/** Refuses variables over Lambda's 4 KB limit (counted as Lambda does: the JSON of the map). */
export function checkEnvSize(env: Record<string, string>): void {
  const size = Buffer.byteLength(JSON.stringify(env));
  if (size > ENV_LIMIT_BYTES) {
    throw new UsageError(`The environment variables take ${size} bytes; Lambda allows ${ENV_LIMIT_BYTES}. Keep large values in a file or a table instead.`);
  }
}

/** `--cors` alone means any origin; an ORIGIN must be * or scheme://host[:port], without a path. */
export function parseCorsOrigin(value: string | boolean): string {
  if (value === true || value === '*') return '*';
  const origin = typeof value === 'string' ? value.trim() : '';
  let url: URL | undefined;
  try {
    url = new URL(origin);
  } catch {
    url = undefined;
  }
  const bare = url !== undefined && url.pathname === '/' && !url.search && !url.hash && !url.username && !origin.endsWith('#') && !origin.endsWith('?');
  if (!url || !bare || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UsageError(`--cors "${String(value)}" is not an origin. Use * or one like https://example.com (scheme, host and optional port, no path).`);
  }
  return url.origin;
}

/** API Gateway answers OPTIONS itself when CORS is on, so the function cannot also have it. */
export function checkCorsMethods(methods: string[], cors: string | undefined): void {
  if (cors !== undefined && methods.includes('OPTIONS')) {
    throw new UsageError('With CORS on, API Gateway answers OPTIONS itself: drop OPTIONS from the methods, or leave out --cors (on redeploy: --noCors).');
  }
}

/**
 * What redeploy must send to make the function match the flags, compared with the function's
 * current configuration (not the record: the console may have changed it). Variables are
 * merged into the current ones; empty when nothing differs.
 */
export function settingsChanges(current: FunctionConfiguration, settings: FunctionSettings): FunctionSettingsInput {
  const currentEnv = current.Environment?.Variables ?? {};
  const env = settings.env !== undefined || settings.unsetEnv !== undefined ? applyEnv(currentEnv, settings) : currentEnv;
  checkEnvSize(env);
  return {
    ...(settings.runtime !== undefined && settings.runtime !== current.Runtime ? { runtime: settings.runtime } : {}),
    ...(settings.memory !== undefined && settings.memory !== current.MemorySize ? { memory: settings.memory } : {}),
    ...(settings.timeout !== undefined && settings.timeout !== current.Timeout ? { timeout: settings.timeout } : {}),
    ...(sameEnv(env, currentEnv) ? {} : { env }),
  };
}

function sameEnv(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => b[key] === a[key]);
}
