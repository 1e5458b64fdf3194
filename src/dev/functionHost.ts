import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, extname } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { FunctionSource } from '../package/source.js';
import { Sandbox, type InvokeOutcome, type LogSink, type NoticeSink } from './sandbox.js';
import type { StreamPart } from './protocol.js';
import { failureNotice, nodeVersionNotice, type RuntimeRules } from './runtimeRules.js';

/** A function as bam dev runs it: its code and the settings its deployed twin would have. */
export interface LocalFunction {
  name: string;
  source: FunctionSource;
  /** Upper-case HTTP methods enabled on its API (ANY enables all). */
  methods: string[];
  timeoutMs: number;
  memoryMb: number;
  /** The Lambda runtime it is deployed on (or would be), and what that changes. */
  runtime: RuntimeRules;
  /** The sandbox's whole process.env. */
  env: Record<string, string>;
  invokedFunctionArn: string;
  /** Allowed origin when the deployed API answers CORS preflights. */
  cors?: string;
  /** Served as a function URL (payload format 2.0), with the URL's own CORS origin if any. */
  url?: { cors?: string };
}

export interface Invocation {
  awsRequestId: string;
  outcome: InvokeOutcome;
  /** With `tail`: the invocation's log as Lambda writes it (START, the function's lines, END, REPORT). */
  log?: string;
}

// Lambda scales by adding sandboxes; locally a few per function are plenty and bound memory.
const MAX_SANDBOXES = 4;
const RELOAD_DEBOUNCE_MS = 40;

/**
 * Runs one function like Lambda: a pool of sandboxes, each serving one request at a time, new
 * ones started on demand; when the function's files change, every sandbox is retired (busy
 * ones once their request ends) so the next request loads the new code.
 */
export class FunctionHost {
  private readonly idle: Sandbox[] = [];
  private readonly generationOf = new Map<Sandbox, number>();
  private readonly waiters: ((sandbox: Sandbox) => void)[] = [];
  private generation = 0;
  private watcher: FSWatcher | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private spawned = false;
  /** What bam dev has said about this code already (cleared when the code changes). */
  private readonly said = new Set<string>();
  /** Log lines of the invocations running with LogType Tail, by request id. */
  private readonly tails = new Map<string, string[]>();

  constructor(
    readonly fn: LocalFunction,
    private readonly log: LogSink,
    private readonly notice: NoticeSink = () => {},
  ) {}

  /** Starts one sandbox ahead of the first request, so it answers at once. */
  warm(): void {
    if (this.idle.length > 0 || this.generationOf.size >= MAX_SANDBOXES || this.closed) return;
    this.idle.push(this.spawn());
  }

  async invoke(event: unknown, clientContext?: unknown, options: { tail?: boolean; onStream?: (part: StreamPart) => void } = {}): Promise<Invocation> {
    const awsRequestId = randomUUID();
    const tail = options.tail ? [`START RequestId: ${awsRequestId} Version: $LATEST`] : undefined;
    if (tail) this.tails.set(awsRequestId, tail);
    const started = performance.now();
    const sandbox = await this.acquire();
    const initError = await sandbox.ready;
    let outcome: InvokeOutcome;
    if (initError) {
      outcome = { kind: 'error', error: initError };
    } else {
      outcome = await sandbox.invoke({ event, awsRequestId, clientContext }, this.fn.timeoutMs, options.onStream);
    }
    this.release(sandbox);
    this.report(awsRequestId, outcome, Boolean(initError));
    if (!tail) return { awsRequestId, outcome };
    this.tails.delete(awsRequestId);
    const ms = performance.now() - started;
    tail.push(`END RequestId: ${awsRequestId}`, `REPORT RequestId: ${awsRequestId}\tDuration: ${ms.toFixed(2)} ms\tBilled Duration: ${Math.ceil(ms)} ms\tMemory Size: ${this.fn.memoryMb} MB\t`);
    return { awsRequestId, outcome, log: `${tail.join('\n')}\n` };
  }

  /** Every log line goes to bam dev's output, and to the tail of the invocation that asked for one. */
  private readonly record: LogSink = (line) => {
    if (line.awsRequestId !== undefined) this.tails.get(line.awsRequestId)?.push(`${new Date().toISOString()}\t${line.awsRequestId}\t${line.level}\t${line.text}`);
    this.log(line);
  };

  /** Reloads the code when the function's files change. */
  watchSource(onReload: () => void): void {
    const { source } = this.fn;
    // A single-file function may require its neighbours, so any script beside it counts.
    const folder = source.kind === 'file' ? dirname(source.sourcePath) : source.sourcePath;
    const relevant = (file: string | null): boolean =>
      source.kind === 'dir' || file === null || file === basename(source.sourcePath) || ['.js', '.mjs', '.cjs', '.json'].includes(extname(file));
    try {
      this.watcher = watch(folder, { recursive: source.kind === 'dir', persistent: false }, (_event, file) => {
        if (!relevant(file)) return;
        clearTimeout(this.reloadTimer);
        this.reloadTimer = setTimeout(() => {
          this.reload();
          onReload();
        }, RELOAD_DEBOUNCE_MS);
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      this.watcher = undefined; // the folder vanished: nothing to watch
    }
  }

  /** Retires every sandbox; the next request (and a fresh warm one) load the current code. */
  reload(): void {
    this.generation += 1;
    this.said.clear();
    for (const sandbox of this.idle.splice(0)) this.retire(sandbox);
    this.warm();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reloadTimer);
    this.watcher?.close();
    await Promise.all([...this.generationOf.keys()].map((sandbox) => sandbox.terminate()));
    this.generationOf.clear();
  }

  private spawn(): Sandbox {
    if (!this.spawned) {
      this.spawned = true;
      const versionNotice = nodeVersionNotice(this.fn.name, this.fn.runtime);
      if (versionNotice) this.notice(versionNotice);
    }
    const sandbox = new Sandbox(
      {
        entryFile: this.fn.source.entryFile,
        functionName: this.fn.name,
        memoryLimitInMB: this.fn.memoryMb,
        invokedFunctionArn: this.fn.invokedFunctionArn,
        runtime: this.fn.runtime.name,
        callbacks: this.fn.runtime.callbacks,
        env: this.fn.env,
      },
      this.record,
      (text) => this.sayOnce(text),
    );
    this.generationOf.set(sandbox, this.generation);
    return sandbox;
  }

  private acquire(): Promise<Sandbox> {
    // A sandbox can end while idle (a process.exit or crash after its answer): Lambda starts afresh.
    for (let sandbox = this.idle.pop(); sandbox; sandbox = this.idle.pop()) {
      if (!sandbox.dead) return Promise.resolve(sandbox);
      this.generationOf.delete(sandbox);
    }
    if (this.generationOf.size < MAX_SANDBOXES) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(sandbox: Sandbox): void {
    if (sandbox.dead || this.closed || this.generationOf.get(sandbox) !== this.generation) this.retire(sandbox);
    else this.idle.push(sandbox);
    const waiter = this.waiters.shift();
    if (waiter) void this.acquire().then(waiter);
  }

  private retire(sandbox: Sandbox): void {
    this.generationOf.delete(sandbox);
    void sandbox.terminate();
  }

  /** Failures are shown as Lambda would log them in CloudWatch. */
  private report(awsRequestId: string, outcome: InvokeOutcome, atInit: boolean): void {
    if (this.closed) return; // stopping bam dev ends the running requests: not the function's failure
    const line = (text: string) => this.record({ functionName: this.fn.name, awsRequestId, level: 'ERROR', text });
    if (outcome.kind === 'timeout') line(`Task timed out after ${(outcome.afterMs / 1000).toFixed(2)} seconds`);
    if (outcome.kind === 'error') {
      const { errorType, errorMessage, trace } = outcome.error;
      // The stack begins with the message, which can span lines: only the frames after it add anything.
      const firstLine = errorMessage.split('\n')[0] ?? '';
      const skip = firstLine !== '' && trace?.[0]?.includes(firstLine) ? errorMessage.split('\n').length : 1;
      const stack = trace && trace.length > skip ? `\n${trace.slice(skip).join('\n')}` : '';
      line(`${atInit ? 'Init failed: ' : ''}${errorType}: ${errorMessage}${stack}`);
      const why = failureNotice({ name: this.fn.name, runtime: this.fn.runtime.name, memoryMb: this.fn.memoryMb, entryFile: this.fn.source.entryFile }, outcome.error);
      if (why) this.sayOnce(why);
    }
  }

  /** One line per reason until the code changes, however many requests fail for it. */
  private sayOnce(text: string): void {
    if (this.closed || this.said.has(text)) return;
    this.said.add(text);
    this.notice(text);
  }
}
