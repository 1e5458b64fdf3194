import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** How a bam child process ended. */
export interface BamRun {
  args: string[];
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** It ran past its time limit and was killed. */
  timedOut: boolean;
}

export interface BamChild {
  child: ChildProcess;
  done: Promise<BamRun>;
}

export interface BamProcessOptions {
  cwd: string;
  /** BAM_HOME */
  home: string;
  /** AWS_ENDPOINT_URL: the fake AWS. */
  endpoint: string;
  /** Killed (SIGKILL) after this long: no test waits on a hung child. */
  timeoutMs?: number;
}

const live = new Set<ChildProcess>();

/**
 * The environment of a bam child: nothing of the caller's AWS setup (profiles, keys, region,
 * config files) leaks in; dummy keys, the fake's endpoint, plain output.
 */
export function bamEnv(options: BamProcessOptions): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(AWS_|BAM_)/.test(key)));
  return {
    ...env,
    BAM_HOME: options.home,
    AWS_ENDPOINT_URL: options.endpoint,
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'x',
    AWS_CONFIG_FILE: join(options.home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(options.home, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    CI: 'true',
    NO_COLOR: '1',
  };
}

/** Starts the built CLI (bin/bam.js → dist/) as a child process. */
export function startBam(args: string[], options: BamProcessOptions): BamChild {
  const child = spawn(process.execPath, [join(root, 'bin/bam.js'), ...args], {
    cwd: options.cwd,
    env: bamEnv(options),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 20_000);
  const done = new Promise<BamRun>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ args, code, signal, stdout, stderr, timedOut });
    });
  });
  return { child, done };
}

export function runBam(args: string[], options: BamProcessOptions): Promise<BamRun> {
  return startBam(args, options).done;
}

/** SIGKILLs the children this module started that still run (for afterEach). */
export function killLeftoverBams(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** A run, as lines for a failure message. */
export function describeRun(run: BamRun): string {
  const end = run.timedOut ? 'timed out' : run.signal ? `killed by ${run.signal}` : `exit ${run.code}`;
  return [`$ bam ${run.args.join(' ')}  (${end})`, indent('stdout', run.stdout), indent('stderr', run.stderr)].join('\n');
}

function indent(label: string, text: string): string {
  return text.trim() ? `  ${label}:\n${text.trimEnd().replace(/^/gm, '    ')}` : `  ${label}: (empty)`;
}
