import { Worker } from 'node:worker_threads';
import type { FunctionError, InvokeBatch, InvokeMessage, LoadMessage, StreamPart, WorkerMessage, WorkerSetup } from './protocol.js';
import { exitMessage, heapLimits, moduleFlags, outOfMemoryError } from './runtimeRules.js';

export type InvokeOutcome =
  | { kind: 'result'; payload: string; streamed?: boolean }
  | { kind: 'error'; error: FunctionError }
  | { kind: 'timeout'; afterMs: number };

/** What a sandbox did with a request: its outcome, or nothing when it ended before the request's turn came. */
export type SandboxOutcome = InvokeOutcome | { kind: 'notStarted' };

interface Pending {
  id: number;
  awsRequestId: string;
  resolve: (outcome: SandboxOutcome) => void;
  timeoutMs: number;
  timer?: NodeJS.Timeout;
  /** performance.now() when its turn came. */
  startedAt?: number;
  onStream?: (part: StreamPart) => void;
  chunks: Uint8Array[];
}

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
 * the handler once and serving one request at a time. Requests given to it while one runs are
 * sent at once and wait in the worker, in order (no round trip between two requests). A timeout
 * or a crash ends it, as Lambda resets a sandbox; the requests still waiting in it come back as
 * `notStarted`, for a fresh sandbox to run.
 */
export class Sandbox {
  /** Resolves when the handler is loaded, or with the error that stopped it (the sandbox is then dead). */
  readonly ready: Promise<FunctionError | undefined>;
  dead = false;
  /** A spare whose runtime is up, waiting for load(). */
  standingBy = false;
  private readonly worker: Worker;
  private settleReady: (error: FunctionError | undefined) => void = () => {};
  /** Requests sent to the worker and not answered yet, oldest (the running one) first. */
  private readonly pending: Pending[] = [];
  /** How long its requests take, on average of the recent ones (undefined before the first answer). */
  averageMs: number | undefined;
  /** Requests given in this turn of the event loop, sent together at its end. */
  private outbox: InvokeMessage[] = [];
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

  /** Requests given to it and not answered yet (the running one and those waiting behind it). */
  get inFlight(): number {
    return this.pending.length;
  }

  /**
   * Runs one request once those before it have answered; the sandbox must be ready. Its timeout
   * starts when it does.
   */
  invoke(request: { event: unknown; awsRequestId: string; clientContext?: unknown }, timeoutMs: number, onStream?: (part: StreamPart) => void): Promise<SandboxOutcome> {
    if (this.dead) return Promise.resolve({ kind: 'notStarted' });
    const id = this.nextId++;
    return new Promise((resolve) => {
      const pending: Pending = { id, awsRequestId: request.awsRequestId, resolve, timeoutMs, chunks: [], ...(onStream ? { onStream } : {}) };
      this.pending.push(pending);
      if (this.pending.length === 1) this.startClock(pending);
      const message: InvokeMessage = {
        id,
        event: JSON.stringify(request.event) ?? 'null',
        awsRequestId: request.awsRequestId,
        timeoutMs,
        ...(request.clientContext === undefined ? {} : { clientContext: request.clientContext }),
      };
      if (this.outbox.push(message) === 1) process.nextTick(() => this.send());
    });
  }

  /** Each message wakes the worker (a system call, and a thread switch on a busy machine): one per turn is enough. */
  private send(): void {
    const batch: InvokeBatch = { type: 'invokes', invokes: this.outbox };
    this.outbox = [];
    if (!this.dead) this.worker.postMessage(batch);
  }

  async terminate(): Promise<void> {
    this.dead = true;
    this.returnWaiting();
    await this.worker.terminate();
  }

  /** How long the running request has run (0 when none runs). */
  runningForMs(): number {
    const started = this.pending[0]?.startedAt;
    return started === undefined ? 0 : performance.now() - started;
  }

  /** The request at the head has started in the worker (as far as bam dev can tell): its timeout runs. */
  private startClock(pending: Pending): void {
    pending.startedAt = performance.now();
    pending.timer = setTimeout(() => {
      this.dead = true; // before the answer, so the next request is not started here
      this.settle(pending.id, { kind: 'timeout', afterMs: pending.timeoutMs });
      void this.terminate();
    }, pending.timeoutMs);
  }

  /** The sandbox is ending: the requests behind the running one (whose clock runs) never started, so they go back. */
  private returnWaiting(): void {
    const running = this.pending[0]?.timer === undefined ? 0 : 1;
    for (const waiting of this.pending.splice(running)) waiting.resolve({ kind: 'notStarted' });
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
        void this.terminate();
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
        if (message.fatal) this.dead = true; // before the answer, so the next request is not started here
        this.settle(message.id, { kind: 'error', error: message.error });
        if (message.fatal) void this.terminate();
        return;
    }
  }

  /** A streaming handler's part goes to the listener as it comes; without one it is kept, as Invoke returns a streamed answer whole. */
  private onStreamPart(part: StreamPart): void {
    const running = this.pending[0];
    if (running?.id !== part.id) return;
    if (running.onStream) running.onStream(part);
    else if (part.chunk) running.chunks.push(part.chunk);
  }

  private streamedPayload(): string {
    return Buffer.concat(this.pending[0]?.chunks ?? []).toString('utf8');
  }

  /** The running request's answer; the next one in the worker starts now, and its clock with it. */
  private settle(id: number, outcome: InvokeOutcome): void {
    const running = this.pending[0];
    if (running?.id !== id) return; // a late answer after a timeout
    clearTimeout(running.timer);
    this.pending.shift();
    if (running.startedAt !== undefined && outcome.kind !== 'timeout') {
      const ms = performance.now() - running.startedAt;
      this.averageMs = this.averageMs === undefined ? ms : 0.8 * this.averageMs + 0.2 * ms;
    }
    running.resolve(outcome);
    const next = this.pending[0];
    if (next && !this.dead) this.startClock(next);
  }

  /** The worker stopped: fail what it was running (the error names the request it ended); the rest never started. */
  private onEnd(errorFor: (awsRequestId: string | undefined) => FunctionError): void {
    this.dead = true;
    this.settleReady(errorFor(undefined));
    this.returnWaiting();
    const running = this.pending[0];
    if (running) this.settle(running.id, { kind: 'error', error: errorFor(running.awsRequestId) });
  }
}
