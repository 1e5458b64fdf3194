import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Help, Option } from 'commander';
import type { CommandContext, GlobalOptions } from './tasks/context.js';
import type { CreateOptions } from './commands/create.js';
import type { ConfigOptions } from './commands/config.js';
import type { LogsOptions } from './commands/logs.js';
import type { ListOptions } from './commands/list.js';
import type { DbTableOptions } from './commands/dbtable.js';
import type { GetOptions } from './commands/get.js';
import type { DeployOptions } from './commands/deploy.js';
import type { RedeployOptions } from './commands/redeploy.js';
import type { DeleteOptions } from './commands/delete.js';
import type { DevOptions } from './commands/dev.js';
import type { PackageOptions } from './commands/package.js';
import type { InvokeOptions } from './commands/invoke.js';
import type { AwsPolicy } from './aws/policy.js';
import { DEFAULT_RUNTIME } from './core/runtimes.js';
import { MANAGED_TAG_KEY } from './core/tags.js';

// Only the command that runs is imported (await import below), so `bam --help` and
// `bam --version` load no AWS SDK code.

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string; dependencies?: Record<string, string> };

export interface CliIO {
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  cwd?: string;
  /** The .bam directory (default: BAM_HOME, else ~/.bam; read here and nowhere else). */
  home?: string;
  /** How long bam waits for AWS (default AWS_POLICY; in-process tests pass a fast one). */
  policy?: AwsPolicy;
}

/** The .bam directory: machine-wide as in BAM!, `BAM_HOME` overrides it (tests always do). */
function storeRoot(io: CliIO): string {
  return io.home ?? (process.env.BAM_HOME || join(homedir(), '.bam'));
}

export function buildProgram(io: CliIO = {}): Command {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;

  /** spinner: false for a command with no long steps: plain lines, and ora is never loaded. */
  const context = async (cmd: Command, options: { quiet?: boolean; spinner?: boolean } = {}): Promise<CommandContext> => {
    const [{ createReporter }, { openStore }] = await Promise.all([import('./ui/reporter.js'), import('./store/store.js')]);
    const globals = cmd.optsWithGlobals<GlobalOptions>();
    const reporter = await createReporter({ stdout, stderr, quiet: options.quiet ?? false, ...(options.spinner === false ? { spinner: false } : {}) });
    return {
      reporter,
      cwd: io.cwd ?? process.cwd(),
      // openAws(ctx.aws) builds the session: region and profile, the retry and wait policy, and
      // the wait-notice sink (a step that passes no onWait of its own says "AWS is making us wait" here).
      aws: { region: globals.region, profile: globals.profile, policy: io.policy, onWait: (message) => reporter.warn(message) },
      store: openStore(storeRoot(io)),
      io: { input: io.stdin ?? process.stdin, output: stdout },
      now: () => new Date(),
    };
  };

  /** Commands that create or delete AWS resources finish their steps on a first Ctrl-C. */
  const guarded = async (ctx: CommandContext, work: () => Promise<unknown>): Promise<void> => {
    const { finishBeforeExit } = await import('./ui/interrupt.js');
    await finishBeforeExit(ctx.reporter, work);
  };

  /** A watch runs until the first Ctrl-C, which also lets the update under way finish (a second one exits now). */
  const watchUntilInterrupted = async (ctx: CommandContext, work: (stop: AbortSignal) => Promise<void>): Promise<void> => {
    const stop = new AbortController();
    const onInterrupt = (): void => stop.abort();
    process.once('SIGINT', onInterrupt);
    try {
      await guarded(ctx, () => work(stop.signal));
    } finally {
      process.off('SIGINT', onInterrupt);
    }
  };

  const program = new Command('bam')
    .description('Serverless framework for humans: deploy a Node.js file as an AWS Lambda function behind a public API Gateway URL.')
    .version(pkg.version, '-v, --version', 'print the bam version')
    .helpOption('-h, --help', 'show help')
    .addOption(new Option('--region <region>', 'AWS region (default: AWS_REGION or your profile\'s region)'))
    .addOption(new Option('--profile <profile>', 'AWS profile from ~/.aws/config (default: AWS_PROFILE or "default")'))
    .showSuggestionAfterError()
    .configureHelp({
      sortSubcommands: true,
      // A short term keeps the command column narrow; the description names bam man and --all.
      subcommandTerm: (cmd) => (cmd.name() === 'help' ? 'help [command]' : Help.prototype.subcommandTerm.call(new Help(), cmd)),
    })
    .configureOutput({
      writeOut: (s) => stdout.write(s),
      writeErr: (s) => stderr.write(s),
    })
    .exitOverride();

  // BAM!'s help habits: bam help, bam man, bam help COMMAND, bam help --COMMAND, bam help --all.
  program.helpCommand(false);
  program
    .command('help')
    .alias('man')
    .argument('[commands...]', 'the commands to explain, as deploy or --deploy')
    .description('show help: bam help COMMAND for one command, bam help --all for all (bam man: the same)')
    .option('--all', 'the help of every command')
    .allowUnknownOption()
    .action(async (names: string[], options: { all?: boolean }) => {
      const wanted = names.map((name) => name.replace(/^--?/, ''));
      const find = (name: string) => program.commands.find((cmd) => cmd.name() === name || cmd.aliases().includes(name));
      const unknown = wanted.find((name) => !find(name));
      // Worded by commander, with its did-you-mean, exactly as for `bam bogus` (exit 2).
      if (unknown !== undefined) await buildProgram(io).parseAsync([unknown], { from: 'user' });
      const shown = options.all ? [program, ...program.commands.filter((cmd) => cmd.name() !== 'help').sort(byName)] : wanted.map((name) => find(name)!);
      if (shown.length === 0) shown.push(program);
      stdout.write(shown.map((cmd) => cmd.helpInformation()).join('\n'));
    });

  program
    .command('version')
    .description('print the bam version')
    .action(() => {
      stdout.write(`${pkg.version}\n`);
    });

  program
    .command('create')
    .argument('<name>', 'function name: letters, digits, - and _ (up to 64)')
    .description('write a new function from a template: NAME.js (NAME.ts with --ts), or NAME/ for html templates')
    .option('--invoker', 'a function that invokes another Lambda function')
    .option('--html', 'a function that serves an html page with its css and js')
    .option('--db', 'a function that reads and writes a DynamoDB table')
    .option('--verbose', 'add comments that explain every part')
    .option('--ts', 'write it in TypeScript, the handler and its event typed')
    .action(async (name: string, _options: unknown, cmd: Command) => {
      const { create } = await import('./commands/create.js');
      await create(name, cmd.opts<CreateOptions>(), await context(cmd));
    });

  program
    .command('config')
    .description('show and change the account number and default role (prompts on a terminal)')
    .option('--accountNumber <number>', 'your 12-digit AWS account number')
    .option('--role <name>', 'IAM role for new functions (default: defaultBamRole)')
    .addOption(new Option('--roles <name>').hideHelp())
    .option('--endpointType <type>', 'default endpoint type for new APIs: edge or regional')
    .option('--json', 'print the configuration as JSON')
    .action(async (_options: unknown, cmd: Command) => {
      const { config } = await import('./commands/config.js');
      const opts = cmd.opts<ConfigOptions & { roles?: string }>();
      await config({ ...opts, role: opts.role ?? opts.roles }, await context(cmd, { quiet: Boolean(opts.json) }));
    });

  program
    .command('logs')
    .argument('<name>', 'function name')
    .description("print the function's CloudWatch Logs, oldest first, with UTC timestamps")
    .option('--since <when>', 'start from 30s, 10m, 2h, 1d, 1w ago or an ISO date/time (UTC unless it has a zone)', '10m')
    .option('--follow', 'keep printing new log events until Ctrl-C')
    .option('--json', 'print a JSON array (with --follow: one JSON object per line)')
    .action(async (name: string, _options: unknown, cmd: Command) => {
      const { logs } = await import('./commands/logs.js');
      const opts = cmd.opts<Pick<LogsOptions, 'since' | 'follow' | 'json'>>();
      await logs(name, opts, await context(cmd, { quiet: Boolean(opts.json) }));
    });

  program
    .command('list')
    .description('list the functions, endpoints and tables deployed from this machine (checked against AWS), and the other functions on AWS')
    .option('--lambdas', 'only functions and endpoints')
    .option('--dbtables', 'only DynamoDB tables')
    .addOption(new Option('--lambda').hideHelp())
    .addOption(new Option('--dbtable').hideHelp())
    .option('--json', 'print one JSON document')
    .action(async (_options: unknown, cmd: Command) => {
      const { list } = await import('./commands/list.js');
      const opts = cmd.opts<ListOptions & { lambda?: boolean; dbtable?: boolean }>();
      const options = { lambdas: opts.lambdas ?? opts.lambda, dbtables: opts.dbtables ?? opts.dbtable, json: opts.json };
      await list(options, await context(cmd, { quiet: Boolean(opts.json) }));
    });

  program
    .command('dbtable')
    .argument('<name>', 'table name: 3 to 255 letters, digits, _ . and -')
    .description('create an on-demand DynamoDB table (prompts for its keys on a terminal)')
    .option('--partitionKey <name:type>', 'partition key, type string, number or binary, e.g. id:string')
    .option('--sortKey <name:type>', 'optional sort key, e.g. createdAt:number (none: no sort key)')
    .action(async (name: string, _options: unknown, cmd: Command) => {
      const { dbtable } = await import('./commands/dbtable.js');
      const ctx = await context(cmd);
      await guarded(ctx, () => dbtable(name, cmd.opts<DbTableOptions>(), ctx));
    });

  program
    .command('get')
    .argument('<name>', 'a function on AWS')
    .description("download the function's code from AWS into ./NAME/ (then: bam redeploy NAME)")
    .option('--force', 'replace an existing ./NAME/')
    .action(async (name: string, _options: unknown, cmd: Command) => {
      const { get } = await import('./commands/get.js');
      await get(name, cmd.opts<GetOptions>(), await context(cmd));
    });

  const methodsHelp = 'HTTP methods: --methods get post, or GET,POST (GET POST PUT PATCH DELETE HEAD OPTIONS ANY)';
  const corsHelp = 'answer CORS preflights (OPTIONS) for this origin, e.g. https://example.com (default *)';
  /** The function-settings flags deploy and redeploy share (--env repeats: each adds one). */
  const settingsOptions = (cmd: Command, help: { runtime: string; env: string }): Command =>
    cmd
      .option('--runtime <runtime>', help.runtime)
      .addOption(new Option('--runtimes <runtime>').hideHelp())
      .option('--memory <MB>', 'memory in MB, 128 to 10240 (Lambda default 128)')
      .option('--timeout <seconds>', 'timeout in seconds, 1 to 900 (Lambda default 3)')
      .option('--env <KEY=VALUE>', help.env, collect)
      .option('--envFile <path>', 'set the variables of a .env file (KEY=VALUE lines); --env wins over it');
  /** The packaging flags deploy, redeploy and package share. */
  const buildOptions = (cmd: Command): Command =>
    cmd
      .option('--no-bundle', 'ship the files as they are plus node_modules instead of one esbuild bundle (TypeScript compiled file by file)')
      .option('--external <package>', 'leave this package out of the bundle and ship it in node_modules; repeat for more', collect);
  const deployCommand = program
    .command('deploy')
    .argument('<name>', 'the function: NAME.js, NAME.ts (or .mjs, .cjs, .mts, .cts) or NAME/ in this folder')
    .description('create the Lambda function NAME and its public endpoint (a REST API with stage bam)')
    .option('--methods <methods...>', `${methodsHelp}; default: the code's // methods: line, else GET`)
    .addOption(new Option('--method <methods...>').hideHelp())
    .option('--lambdaOnly', 'create only the function, no endpoint')
    .addOption(new Option('--lambda').hideHelp())
    .option('--permitDb', 'use databaseBamRole, which may read and write DynamoDB tables')
    .option('--role <name>', 'an existing IAM role for this function (default: from bam config)')
    .addOption(new Option('--roles <name>').hideHelp())
    .option('--endpointType <type>', 'edge or regional (default: from bam config, else edge)')
    .option('--cors [origin]', corsHelp)
    .option('--url', 'a Lambda function URL as the endpoint instead of the REST API (no request fee, answers up to 15 minutes)')
    .option('--restApi', 'with --url: the REST API too')
    .option('--src <path>', 'deploy this file or folder instead of looking for NAME in this folder');
  buildOptions(deployCommand);
  settingsOptions(deployCommand, { runtime: `${DEFAULT_RUNTIME} (default) or nodejs22.x`, env: 'set an environment variable; repeat for more' })
    .action(async (name: string, _options: unknown, cmd: Command) => {
      const { deploy } = await import('./commands/deploy.js');
      const opts = cmd.opts<DeployOptions & { method?: string[]; roles?: string; runtimes?: string; lambda?: boolean }>();
      const { method, roles, runtimes, lambda, ...rest } = opts;
      const options = { ...rest, methods: aliases(opts.methods, method), role: opts.role ?? roles, runtime: opts.runtime ?? runtimes, lambdaOnly: opts.lambdaOnly ?? lambda };
      const ctx = await context(cmd);
      await guarded(ctx, () => deploy(name, options, ctx));
    });

  const redeployCommand = program
    .command('redeploy')
    .argument('<names...>', 'a function deployed before (with --watch, one or more)')
    .description('update the function NAME: code, role, settings, and its endpoint\'s methods and CORS')
    .option('--methods <methods...>', `add ${methodsHelp}`)
    .addOption(new Option('--method <methods...>').hideHelp())
    .option('--rmMethods <methods...>', 'remove HTTP methods from the endpoint')
    .addOption(new Option('--rmMethod <methods...>').hideHelp())
    .option('--addEndpoint', 'give a --lambdaOnly function an endpoint (or replace one deleted in the console)')
    .option('--permitDb', 'switch to databaseBamRole (DynamoDB access)')
    .option('--revokeDb', 'switch back to the default role')
    .option('--role <name>', 'switch to this existing IAM role')
    .addOption(new Option('--roles <name>').hideHelp())
    .option('--cors [origin]', corsHelp)
    .option('--noCors', 'stop answering CORS preflights (OPTIONS)')
    .option('--url', 'give the function a Lambda function URL (with --cors: the URL\'s CORS)')
    .option('--src <path>', 'deploy this file or folder instead of looking for NAME in this folder')
    .option('--watch', 'then send every saved change of the code to Lambda until Ctrl-C');
  buildOptions(redeployCommand);
  settingsOptions(redeployCommand, {
    runtime: `switch to ${DEFAULT_RUNTIME} or nodejs22.x (upgrades a function on a runtime AWS no longer updates)`,
    env: 'set an environment variable; repeat for more; KEY= (no value) removes KEY',
  })
    .action(async (names: string[], _options: unknown, cmd: Command) => {
      const { redeploy, redeployAndWatch } = await import('./commands/redeploy.js');
      const opts = cmd.opts<RedeployOptions & { method?: string[]; rmMethod?: string[]; roles?: string; runtimes?: string }>();
      const options = {
        ...opts,
        methods: aliases(opts.methods, opts.method),
        rmMethods: aliases(opts.rmMethods, opts.rmMethod),
        role: opts.role ?? opts.roles,
        runtime: opts.runtime ?? opts.runtimes,
      };
      const ctx = await context(cmd);
      if (options.watch) return watchUntilInterrupted(ctx, (stop) => redeployAndWatch(names, options, ctx, stop));
      if (names.length > 1) throw new (await import('./core/errors.js')).UsageError(`bam redeploy takes one name (${names.length} given); several only with --watch.`);
      await guarded(ctx, () => redeploy(names[0]!, options, ctx));
    });

  program
    .command('delete')
    .argument('<name>', 'a function deployed with bam (or, with --dbtable, a table)')
    .description('delete the function NAME and its endpoint, or only the endpoint, or the DynamoDB table NAME')
    .option('--endpointOnly', 'delete only the endpoint, keep the function')
    .option('--urlOnly', 'delete only the function URL, keep the function')
    .option('--dbtable', 'delete the DynamoDB table NAME instead')
    .option('--force', `also delete a function or table bam did not make (no record here, no ${MANAGED_TAG_KEY} tag) without asking for its name`)
    .action(async (name: string, _options: unknown, cmd: Command) => {
      const opts = cmd.opts<DeleteOptions & { dbtable?: boolean }>();
      const ctx = await context(cmd);
      if (opts.dbtable) {
        const { deleteDbTable } = await import('./commands/deleteTable.js');
        return guarded(ctx, () => deleteDbTable(name, { force: opts.force }, ctx));
      }
      const { deleteLambda } = await import('./commands/delete.js');
      await guarded(ctx, () => deleteLambda(name, opts, ctx));
    });

  program
    .command('dev')
    .argument('[names...]', 'functions to run (default: every function in this folder)')
    .description('run functions locally behind an API Gateway-like server, with a local DynamoDB, until Ctrl-C')
    .option('--port <port>', 'port to listen on (0: any free port)', '3000')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--lambdaPort <port>', 'port of the local Lambda API on 127.0.0.1, printed at start (aws lambda invoke --endpoint-url http://127.0.0.1:PORT; default: --port + 2, i.e. 3002; 0: any free port)')
    .option('--methods <methods...>', "HTTP methods to enable (default: the deployed ones, else the code's // methods: line, else GET)")
    .option('--table <name:key:type...>', 'also create this local DynamoDB table, e.g. notes:id:string')
    .option('--env <KEY=VALUE>', 'set an environment variable over the deployed ones; repeat for more; KEY= removes KEY', collect)
    .option('--envFile <path>', 'set the variables of a .env file (KEY=VALUE lines); --env wins over it')
    .option('--timeout <seconds>', 'function timeout, 1 to 900 (default: the deployed one, else 3)')
    .option('--cors [origin]', 'answer CORS preflights as the deployed API does (default: the deployed setting; no origin: *)')
    .option('--url', 'serve as function URLs (payload format 2.0 events; default: for functions deployed with --url only)')
    .option('--apiTimeout <seconds>', 'API Gateway integration timeout', '29')
    .option('--fresh', 'start with an empty local DynamoDB')
    .option('--no-bundle', "run the files as they are (TypeScript compiled file by file), as deploy --no-bundle ships them, instead of deploy's esbuild bundle")
    .option('--external <package>', 'leave this package out of the bundle and load it from node_modules, as deploy --external does; repeat for more', collect)
    .action(async (names: string[], _options: unknown, cmd: Command) => {
      const { dev } = await import('./commands/dev.js');
      const { untilStopSignal } = await import('./dev/signals.js');
      // Lambda runs in UTC; set before any function starts so their dates match the cloud's.
      process.env.TZ = 'UTC';
      // Listening before start-up ends: a Ctrl-C after "Press Ctrl-C to stop." (or during start-up) stops it cleanly, never by Node's default.
      const stopped = untilStopSignal();
      const running = await dev(names, cmd.opts<DevOptions>(), await context(cmd));
      await stopped;
      await running.close();
    });

  program
    .command('invoke')
    .argument('<name>', 'the function: NAME.js (or .mjs, .cjs, .ts) or NAME/ in this folder, or the deployed NAME with --remote')
    .description("run a function once with an event: locally in bam dev's sandbox (payload on stdout, log on stderr), or the deployed one with --remote")
    .option('--event <file>', 'the event as a JSON file; - reads it from standard input')
    .option('--data <json>', 'the event as JSON, e.g. \'{"name":"Ada"}\' (default: {})')
    .option('--sample <request>', 'a sample event as bam dev makes it: api (REST proxy), url (function URL 2.0), or a request such as "get /items?x=1" or \'post /items {"name":"Ada"}\'')
    .option('--remote', 'invoke the deployed function (RequestResponse with its log tail)')
    .option('--noDev', "run it in a sandbox of its own even when a bam dev of this folder serves it (default: in that bam dev's warm sandbox)")
    .option('--async', "with --remote: an Event invocation; prints the request id only")
    .option('--json', 'print { payload, functionError, logs, durationMs } as JSON')
    .option('--no-bundle', "locally: run the files as they are (TypeScript compiled file by file) instead of deploy's esbuild bundle")
    .option('--external <package>', 'locally: leave this package out of the bundle and load it from node_modules; repeat for more', collect)
    .action(async (name: string, _options: unknown, cmd: Command) => {
      // Progress and logs go to stderr: stdout carries only the payload, for pipes. Both load at once: start-up is most of a warm invoke.
      const [{ invoke }, ctx] = await Promise.all([import('./commands/invoke.js'), context(cmd, { quiet: true, spinner: false })]);
      await invoke(name, cmd.opts<InvokeOptions>(), ctx);
    });

  const packageCommand = program
    .command('package')
    .argument('<name>', 'the function: NAME.js, NAME.ts (or .mjs, .cjs, .mts, .cts) or NAME/ in this folder')
    .description('build the zip deploy would upload, without AWS: prints its path, size, CodeSha256 and dependencies')
    .option('--src <path>', 'package this file or folder instead of looking for NAME in this folder')
    .option('--json', 'print the result as JSON');
  buildOptions(packageCommand)
    .action(async (name: string, _options: unknown, cmd: Command) => {
      const opts = cmd.opts<PackageOptions>();
      const [{ packageCommand }, ctx] = await Promise.all([import('./commands/package.js'), context(cmd, { quiet: Boolean(opts.json) })]);
      await packageCommand(name, opts, ctx);
    });

  return program;
}

const byName = (a: Command, b: Command): number => a.name().localeCompare(b.name());

/** Commander's way to repeat a flag: each --env adds one value. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A list flag and its hidden alias (--methods and --method) given together count as one list. */
function aliases(list: string[] | undefined, alias: string[] | undefined): string[] | undefined {
  return list || alias ? [...(list ?? []), ...(alias ?? [])] : undefined;
}

/** Runs bam with these arguments and returns the exit code; never throws. */
export async function main(argv: string[], io: CliIO = {}): Promise<number> {
  // The SDK warns about Node 20 on every client; bam states its support in the README instead.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const stderr = io.stderr ?? process.stderr;
  if (!io.stdout) process.stdout.on('error', stopOnClosedPipe);
  const program = buildProgram(io);
  const args = argv.slice(2);
  if (args.length === 0) {
    program.outputHelp();
    return 0;
  }
  const tooOld = asksOnlyForHelp(args) ? undefined : sdkNeedsNewerNode(installedSdk(), process.versions.node);
  if (tooOld) {
    stderr.write(`${tooOld}\n`);
    return 1;
  }
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2; // commander has already said what was wrong
    }
    return reportError(err, stderr, program.opts<GlobalOptions>().profile ?? process.env.AWS_PROFILE);
  }
}

/** The reader of bam's output went away (`bam logs NAME | head`): stop quietly, as Unix tools do. */
function stopOnClosedPipe(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
}

async function reportError(err: unknown, stderr: NodeJS.WritableStream, profile: string | undefined): Promise<number> {
  const { BamError, errorMessage } = await import('./core/errors.js');
  const { style } = await import('./ui/style.js');
  let shown: unknown = err;
  if (!(err instanceof BamError) || err.name === 'StepError') {
    const { explainCredentialError, explainNetworkError } = await import('./aws/clients.js');
    shown = explainCredentialError(err, profile) ?? explainNetworkError(err) ?? err;
  }
  const message = errorMessage(shown).split('\n')[0] ?? 'unknown error';
  stderr.write(`${style.error(`Error: ${message}`)}\n`);
  if (process.env.BAM_DEBUG === '1' && err instanceof Error && err.stack) stderr.write(`${err.stack}\n`);
  return shown instanceof BamError ? shown.exitCode : 1;
}

/**
 * What the installed AWS SDK says about Node, as one line, or undefined when this Node will do.
 * bam's own code runs on Node 20, but its `^3` SDK ranges take releases that need Node 22 (those
 * from 2027 on), and bam hides the SDK's own Node notice: an install on an older Node is told
 * here, before anything loads the SDK.
 */
export function sdkNeedsNewerNode(sdk: InstalledPackage[], nodeVersion: string): string | undefined {
  const [major = 0, minor = 0] = nodeVersion.split('.').map(Number);
  let strictest: { package: InstalledPackage; major: number; minor: number } | undefined;
  for (const installed of sdk) {
    const wanted = /^\s*>=\s*v?(\d+)(?:\.(\d+))?/.exec(installed.engines?.node ?? '');
    if (!wanted) continue;
    const [needMajor, needMinor] = [Number(wanted[1]), Number(wanted[2] ?? 0)];
    if (strictest && (needMajor < strictest.major || (needMajor === strictest.major && needMinor <= strictest.minor))) continue;
    strictest = { package: installed, major: needMajor, minor: needMinor };
  }
  if (!strictest || major > strictest.major || (major === strictest.major && minor >= strictest.minor)) return undefined;
  const need = strictest.minor > 0 ? `${strictest.major}.${strictest.minor}` : String(strictest.major);
  const { name, version, engines } = strictest.package;
  return `bam needs Node ${need} or later with this AWS SDK (you have ${nodeVersion}): ${name}${version ? ` ${version}` : ''} requires node ${engines?.node}. Install Node 22 or 24.`;
}

export interface InstalledPackage {
  name: string;
  version?: string;
  engines?: { node?: string };
}

/** `bam -h`, `bam help …`, `bam -v`: answered even where the SDK could not run. */
function asksOnlyForHelp(args: string[]): boolean {
  return ['help', 'man', 'version'].includes(args[0] ?? '') || args.some((arg) => ['-h', '--help', '-v', '--version'].includes(arg));
}

/**
 * The package.json of each @aws-sdk package bam depends on, found the way Node finds them
 * (node_modules folders upwards from here): a few small reads, no SDK code loaded.
 */
function installedSdk(): InstalledPackage[] {
  const found: InstalledPackage[] = [];
  for (const name of Object.keys(pkg.dependencies ?? {}).filter((dep) => dep.startsWith('@aws-sdk/'))) {
    for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
      try {
        found.push({ ...(JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as InstalledPackage), name });
        break;
      } catch {
        if (dirname(dir) === dir) break; // not installed: the command that needs it says so
      }
    }
  }
  return found;
}
