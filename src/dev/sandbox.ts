import { Worker } from 'node:worker_threads';
import type { FunctionError, InvokeMessage, LoadMessage, StreamPart, WorkerMessage, WorkerSetup } from './protocol.js';
import { exitMessage, heapLimits, moduleFlags, outOfMemoryError } from './runtimeRules.js';

export type InvokeOutcome =
  | { kind: 'result'; payload: string; streamed?: boolean }
  | { kind: 'error'; error: FunctionError }
  | { kind: 'timeout'; afterMs: number };

export interface LogLine {
  functionName: string;
  awsRequestId: string | undefined;
  level: string;
  text: string;
}
export type LogSink = (line: LogLine) => void;
/** bam dev's own word about a function (why it failed), not one of its log lines. */
export type NoticeSink = (text: string) => void;

export interface SandboxSpec extends Omit<WorkerSetup, 'hookUrl'> {
  /** The worker's whole process.env (a worker's env is its own copy). */
  env: Record<string, string>;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);
const HOOK_URL = new URL('./awsSdkHook.js', import.meta.url).href;

/**
 * One local Lambda sandbox: a worker thread with its own module cache and process.env, loading
 * the handler once and serving one request at a time. A timeout or a crash ends it, as Lambda
 * resets a sandbox; the pool then starts a fresh one.
 */
export class Sandbox {
  /** Resolves when the handler is loaded, or with the error that stopped it (the sandbox is then dead). */
  readonly ready: Promise<FunctionError | undefined>;
  dead = false;
  /** A spare whose runtime is up, waiting for load(). */
  standingBy = false;
  private readonly worker: Worker;
  private settleReady: (error: FunctionError | undefined) => void = () => {};
  private pending:
    | { id: number; awsRequestId: string; resolve: (outcome: InvokeOutcome) => void; timer: NodeJS.Timeout; onStream?: (part: StreamPart) => void; chunks: Uint8Array[] }
    | undefined;
  private nextId = 1;

  constructor(
    private readonly spec: SandboxSpec,
    private readonly log: LogSink,
    private readonly notice: NoticeSink = () => {},
  ) {
    const setup: WorkerSetup = {
      entryFile: spec.entryFile,
      functionName: spec.functionName,
      memoryLimitInMB: spec.memoryLimitInMB,
      invokedFunctionArn: spec.invokedFunctionArn,
      runtime: spec.runtime,
      callbacks: spec.callbacks,
      hookUrl: HOOK_URL,
      ...(spec.standby ? { standby: true } : {}),
    };
    this.ready = new Promise((resolve) => {
      this.settleReady = resolve;
    });
    this.worker = new Worker(WORKER_URL, {
      workerData: setup,
      env: spec.env,
      execArgv: moduleFlags(),
      // The memory setting bounds the heap; past it V8 stops the worker (not bam dev), as Lambda kills the sandbox.
      resourceLimits: heapLimits(spec.memoryLimitInMB),
    });
    this.worker.on('message', (message: WorkerMessage) => this.onMessage(message));
    this.worker.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') return this.onEnd((awsRequestId) => outOfMemoryError(awsRequestId));
      this.onEnd(() => ({ errorType: err.name || 'Error', errorMessage: err.message, trace: (err.stack ?? '').split('\n') }));
    });
    this.worker.on('exit', (code) => this.onEnd((awsRequestId) => ({ errorType: 'Runtime.ExitError', errorMessage: exitMessage(awsRequestId, `exit status ${code}`) })));
  }

  /** A spare (started with `standby`) loads the handler now; `ready` then says how that went. */
  load(): void {
    this.standingBy = false;
    const message: LoadMessage = { type: 'load' };
    this.worker.postMessage(message);
  }

  /** Runs one request; the sandbox must be ready and idle. */
  invoke(request: Omit<InvokeMessage, 'type' | 'id' | 'deadline'>, timeoutMs: number, onStream?: (part: StreamPart) => void): Promise<InvokeOutcome> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        resolve({ kind: 'timeout', afterMs: timeoutMs });
        void this.terminate();
      }, timeoutMs);
      this.pending = { id, awsRequestId: request.awsRequestId, resolve, timer, chunks: [], ...(onStream ? { onStream } : {}) };
      const message: InvokeMessage = { type: 'invoke', id, deadline: Date.now() + timeoutMs, ...request };
      this.worker.postMessage(message);
    });
  }

  async terminate(): Promise<void> {
    this.dead = true;
    await this.worker.terminate();
  }

  private onMessage(message: WorkerMessage): void {
    switch (message.type) {
      case 'standby':
        this.standingBy = true;
        return;
      case 'ready':
        this.settleReady(undefined);
        return;
      case 'initError':
        this.dead = true;
        this.settleReady(message.error);
        void this.worker.terminate();
        return;
      case 'log':
        this.log({ functionName: this.spec.functionName, awsRequestId: message.awsRequestId, level: message.level, text: message.text });
        return;
      case 'stream':
        this.onStreamPart(message);
        return;
      case 'result':
        this.settle(message.id, message.streamed ? { kind: 'result', payload: this.streamedPayload(), streamed: true } : { kind: 'result', payload: message.payload });
        return;
      case 'notice':
        this.notice(message.text);
        return;
      case 'error':
        if (message.fatal) {
          this.dead = true;
          void this.worker.terminate();
        }
        this.settle(message.id, { kind: 'error', error: message.error });
        return;
    }
  }

  /** A streaming handler's part goes to the listener as it comes; without one it is kept, as Invoke returns a streamed answer whole. */
  private onStreamPart(part: StreamPart): void {
    if (this.pending?.id !== part.id) return;
    if (this.pending.onStream) this.pending.onStream(part);
    else if (part.chunk) this.pending.chunks.push(part.chunk);
  }

  private streamedPayload(): string {
    return Buffer.concat(this.pending?.chunks ?? []).toString('utf8');
  }

  private settle(id: number, outcome: InvokeOutcome): void {
    if (this.pending?.id !== id) return; // a late answer after a timeout
    clearTimeout(this.pending.timer);
    const { resolve } = this.pending;
    this.pending = undefined;
    resolve(outcome);
  }

  /** The worker stopped: fail whatever it was doing (the error names the request it ended). */
  private onEnd(errorFor: (awsRequestId: string | undefined) => FunctionError): void {
    this.dead = true;
    this.settleReady(errorFor(undefined));
    if (this.pending) this.settle(this.pending.id, { kind: 'error', error: errorFor(this.pending.awsRequestId) });
  }
}
