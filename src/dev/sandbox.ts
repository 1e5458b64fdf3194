import { Worker } from 'node:worker_threads';
import { CONNECTION_SLOT, DIRECT, SHARED, decodeConnectionSlot, type ConnectionCounts, type FunctionError, type InvokeBatch, type ForwardedCall, type LoadMessage, type OwnerMessage, type StashedRequest, type StreamPart, type WorkerMessage, type WorkerSetup } from './protocol.js';
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

/** Where a worker leaves a connection it was handed (see Sandbox.connectionLeft). */
export interface ConnectionLeft extends ConnectionCounts {
  taken: boolean;
}

/** What a worker that owns connections tells bam dev (see OwnedApi), and that it ended. */
export type OwnerEvent = Extract<WorkerMessage, { type: 'forward' | 'directFailed' | 'access' | 'closed' }> | { type: 'ended'; error: (awsRequestId: string | undefined) => FunctionError };

/** The request a worker runs from a connection it owns (see DIRECT). */
export interface DirectRequest {
  connection: number;
  awsRequestId: string;
  method: string;
  url: string;
  runningMs: number;
  /** bam dev has answered it already (API Gateway's timeout); it still runs. */
  taken: boolean;
}

export interface SandboxSpec extends Omit<WorkerSetup, 'hookUrl' | 'shared'> {
  /** The worker's whole process.env (a worker's env is its own copy). */
  env: Record<string, string>;
}

// A function whose handler answers within QUICK_MS on average is waited for on the handover, for
// at most WAIT_MS a batch: longer, and bam dev goes back to its event loop (the answers then come
// by postMessage). Waiting blocks bam dev's thread, so a slow function is never waited for.
const QUICK_MS = 1;
const WAIT_MS = 2;
// How long an ending sandbox's worker has to stop reading its connections before it is ended anyway.
const STOP_READING_MS = 200;

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
  private ending: Promise<void> | undefined;
  private onStoppedReading: (() => void) | undefined;
  private readonly worker: Worker;
  private settleReady: (error: FunctionError | undefined) => void = () => {};
  /** Requests sent to the worker and not answered yet, oldest (the running one) first. */
  private readonly pending: Pending[] = [];
  /** How long its handler runs, on average of the recent requests (undefined before the first answer). */
  averageMs: number | undefined;
  private readonly shared = new SharedArrayBuffer(SHARED.BYTES);
  private readonly control = new Int32Array(this.shared, 0, SHARED.ANSWERS_AT / 4);
  private readonly controlF64 = new Float64Array(this.shared, 0, SHARED.ANSWERS_AT / 8);
  /** Its worker said it reads none of its connections any more (it was not ended stuck in a loop). */
  saidStoppedReading = false;
  /** The slot (see CONNECTION_SLOT) of each connection handed to its worker, until the worker says it closed. */
  private readonly slotOf = new Map<number, number>();
  private readonly freeSlots: number[] = [];
  private slotsUsed = 0;
  private readonly slots = new Int32Array(this.shared, SHARED.CONNECTIONS_AT, SHARED.CONNECTION_SLOTS);

  /** Connections handed to its worker and not closed yet (each holds a slot). */
  get owned(): number {
    return this.slotOf.size;
  }
  /** Its code is old: its worker only forwards, and it ends once its connections have closed. */
  stale = false;
  /** Who hears what the worker says about its connections. */
  onOwnerEvent: ((event: OwnerEvent) => void) | undefined;
  private readonly decoder = new TextDecoder();
  private readonly encoder = new TextEncoder();
  /** The JSON of the InvokeMessages given in this turn of the event loop, sent together at its end. */
  private outbox: string[] = [];
  private nextId = 1;
  private batches = 0;

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
      shared: this.shared,
      ...(spec.standby ? { standby: true } : {}),
      ...(spec.api ? { api: spec.api } : {}),
      ...(spec.watchFolders ? { watchFolders: spec.watchFolders } : {}),
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
    this.worker.on('message', (message: WorkerMessage | WorkerMessage[]) => this.onMessages(message));
    this.worker.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') return this.onEnd((awsRequestId) => outOfMemoryError(awsRequestId));
      this.onEnd(() => ({ errorType: err.name || 'Error', errorMessage: err.message, trace: (err.stack ?? '').split('\n') }));
    });
    this.worker.on('exit', (code) => this.onEnd((awsRequestId) => ({ errorType: 'Runtime.ExitError', errorMessage: exitMessage(awsRequestId, `exit status ${code}`) })));
  }

  /** A spare (started with `standby`) loads the handler now; `ready` then says how that went. */
  load(watchFolders?: string[]): void {
    this.standingBy = false;
    const message: LoadMessage = { type: 'load', ...(watchFolders ? { watchFolders } : {}) };
    this.worker.postMessage(message);
  }

  /** Tells the worker (one with an OwnedApi): an answer it forwarded, or that its code is old. */
  tell(message: Exclude<OwnerMessage, { type: 'connection' }>): void {
    if (message.type === 'stale') this.stale = true;
    if (!this.dead) this.worker.postMessage(message);
  }

  /** Hands the worker a connection to serve (a copy of its descriptor); false when it has no slot left for one. */
  handConnection(connection: number, fd: number): boolean {
    if (this.dead) return false;
    const slot = this.freeSlots.pop() ?? (this.slotsUsed < SHARED.CONNECTION_SLOTS ? this.slotsUsed++ : undefined);
    if (slot === undefined) return false;
    Atomics.store(this.slots, slot, CONNECTION_SLOT.NOT_TAKEN);
    this.slotOf.set(connection, slot);
    this.worker.postMessage({ type: 'connection', connection, fd, slot } satisfies OwnerMessage);
    return true;
  }

  /**
   * Where the worker leaves a connection (see CONNECTION_SLOT; final once it has ended): whether it
   * took its copy of the descriptor, how many requests it read on it whose answers are not with
   * the OS, how many of those it forwarded, and whether an answer is part-written.
   */
  connectionLeft(connection: number): ConnectionLeft {
    const slot = this.slotOf.get(connection);
    const state = slot === undefined ? 0 : Atomics.load(this.slots, slot);
    if (state === CONNECTION_SLOT.NOT_TAKEN) return { taken: false, unanswered: 0, forwarded: 0, partWritten: false };
    return { taken: true, ...decodeConnectionSlot(state) };
  }

  /** Requests its worker read as it was being ended by force (see STASH_AT): read once it has ended. */
  stashedRequests(): { connection: number; call: ForwardedCall }[] {
    const length = new Int32Array(this.shared, SHARED.STASH_AT, 1)[0] ?? 0;
    if (length <= 0) return [];
    const text = this.decoder.decode(new Uint8Array(this.shared, SHARED.STASH_AT + 4, length).slice());
    const stashed = text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as StashedRequest);
    return stashed.map(({ connection, call }) => ({ connection, call: { ...call, body: new Uint8Array(0) } }));
  }

  /** The request its worker runs from an owned connection, if one runs. */
  directRequest(): DirectRequest | undefined {
    const state = Atomics.load(this.control, SHARED.DIRECT);
    if (state === DIRECT.IDLE) return undefined;
    const text = this.decoder.decode(new Uint8Array(this.shared, SHARED.DIRECT_TEXT_AT, this.control[SHARED.DIRECT_TEXT_LENGTH] ?? 0).slice());
    const [awsRequestId = '', method = '', url = ''] = text.split(' ');
    return {
      connection: this.control[SHARED.DIRECT_CONNECTION] ?? 0,
      awsRequestId,
      method,
      url,
      runningMs: performance.timeOrigin + performance.now() - (this.controlF64[SHARED.DIRECT_STARTED_F64] ?? 0),
      taken: state === DIRECT.TAKEN,
    };
  }

  /** How long the request its worker runs from an owned connection has run (undefined when none runs). */
  directRunningMs(): number | undefined {
    if (Atomics.load(this.control, SHARED.DIRECT) === DIRECT.IDLE) return undefined;
    return performance.timeOrigin + performance.now() - (this.controlF64[SHARED.DIRECT_STARTED_F64] ?? 0);
  }

  /** bam dev answers the running direct request itself (its time ran out): false when the worker answered first. */
  takeDirectRequest(): boolean {
    return Atomics.compareExchange(this.control, SHARED.DIRECT, DIRECT.RUNNING, DIRECT.TAKEN) === DIRECT.RUNNING;
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
      // The event goes into the batch's JSON as it is (not as a string in it), for the worker to parse once.
      const head = JSON.stringify({ id, awsRequestId: request.awsRequestId, timeoutMs, ...(request.clientContext === undefined ? {} : { clientContext: request.clientContext }) });
      const message = `${head.slice(0, -1)},"event":${JSON.stringify(request.event) ?? 'null'}}`;
      if (this.outbox.push(message) === 1) process.nextTick(() => this.send());
    });
  }

  /** Each message wakes the worker (a system call, and a thread switch on a busy machine): one per turn is enough. */
  private send(): void {
    const count = this.outbox.length;
    const invokes = `[${this.outbox.join(',')}]`;
    this.outbox = [];
    if (this.dead) return;
    // Nothing else in flight: the worker has read the last batch in the shared memory, and every
    // answer this batch waits for is held for the handover.
    const alone = this.pending.length === count;
    const waitHere = alone && this.isQuick();
    const number = ++this.batches;
    const seq = Atomics.load(this.control, SHARED.SEQ); // before WAITING: the next handover is this batch's
    if (waitHere) Atomics.store(this.control, SHARED.WAITING, number);
    const batch: InvokeBatch = alone && this.writeRequests(invokes) ? { type: 'invokes', batch: number } : { type: 'invokes', batch: number, invokes };
    this.worker.postMessage(batch);
    if (waitHere) this.waitForAnswers(seq, number);
  }

  private writeRequests(invokes: string): boolean {
    const area = new Uint8Array(this.shared, SHARED.REQUESTS_AT, SHARED.CONNECTIONS_AT - SHARED.REQUESTS_AT);
    const { read, written } = this.encoder.encodeInto(invokes, area);
    if (read < invokes.length) return false;
    this.control[SHARED.REQUESTS_LENGTH] = written;
    return true;
  }

  private isQuick(): boolean {
    return this.averageMs !== undefined && this.averageMs < QUICK_MS && this.pending.every((p) => !p.onStream);
  }

  /** Waits (blocking this thread, at most WAIT_MS) while the worker runs the batch, and takes its messages from the handover. */
  private waitForAnswers(handedOver: number, batch: number): void {
    const until = performance.now() + WAIT_MS;
    let seq = handedOver;
    for (;;) {
      const left = until - performance.now();
      if (left <= 0 || Atomics.wait(this.control, SHARED.SEQ, seq, left) === 'timed-out') {
        // Too slow: stop waiting, unless the worker is handing over right now (it has set WAITING back).
        if (Atomics.compareExchange(this.control, SHARED.WAITING, batch, 0) === batch) return;
        if (Atomics.wait(this.control, SHARED.SEQ, seq, 1000) === 'timed-out') return;
      }
      if (!this.takeHandover()) return;
      if (this.pending.length === 0 || this.dead || performance.now() >= until) return;
      // The rest of the batch: SEQ is read before WAITING is set again, as in send().
      seq = Atomics.load(this.control, SHARED.SEQ);
      Atomics.store(this.control, SHARED.WAITING, batch);
    }
  }

  /** The messages the worker wrote to the handover; false when they come by postMessage instead. */
  private takeHandover(): boolean {
    const length = this.control[SHARED.ANSWERS_LENGTH] ?? -1;
    if (length < 0) return false;
    const bytes = new Uint8Array(this.shared, SHARED.ANSWERS_AT, length);
    this.onMessages(JSON.parse(this.decoder.decode(bytes)) as WorkerMessage[]);
    return true;
  }

  private onMessages(messages: WorkerMessage | WorkerMessage[]): void {
    if (!Array.isArray(messages)) return this.onMessage(messages);
    for (const message of messages) this.onMessage(message);
  }

  /** Ends the worker (once, however many ask). One serving connections first stops reading them (see DirectServer.stopReading). */
  terminate(): Promise<void> {
    this.dead = true;
    this.returnWaiting();
    this.ending ??= this.stopReading().then(async () => {
      Atomics.store(this.control, SHARED.TERMINATING, 1);
      await this.worker.terminate();
    });
    return this.ending;
  }

  /** Resolves once the worker reads none of its connections, or after STOP_READING_MS (a worker stuck in a loop cannot say so). */
  private stopReading(): Promise<void> {
    if (this.owned <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.onStoppedReading = resolve;
      setTimeout(resolve, STOP_READING_MS).unref();
      this.worker.postMessage({ type: 'stopReading' } satisfies OwnerMessage);
    });
  }

  /** How long the request it runs (from bam dev or its own connection) has run; 0 when none runs. */
  busyForMs(): number {
    return Math.max(this.directRunningMs() ?? 0, this.runningForMs());
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
      case 'stoppedReading':
        this.saidStoppedReading = true;
        this.onStoppedReading?.();
        return;
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
        this.settle(message.id, message.streamed ? { kind: 'result', payload: this.streamedPayload(), streamed: true } : { kind: 'result', payload: message.payload }, message.ms);
        return;
      case 'notice':
        this.notice(message.text);
        return;
      case 'directFailed':
        if (message.fatal) this.dead = true;
        this.onOwnerEvent?.(message);
        if (message.fatal) void this.terminate();
        return;
      case 'forward':
      case 'access':
        this.onOwnerEvent?.(message);
        return;
      case 'closed':
        for (const connection of message.connections) this.freeSlot(connection);
        this.onOwnerEvent?.(message);
        return;
      case 'error':
        if (message.fatal) this.dead = true; // before the answer, so the next request is not started here
        this.settle(message.id, { kind: 'error', error: message.error }, message.ms);
        if (message.fatal) void this.terminate();
        return;
    }
  }

  /** A closed connection's slot, for the next (the worker writes no more to it). */
  private freeSlot(connection: number): void {
    const slot = this.slotOf.get(connection);
    if (slot === undefined) return;
    this.slotOf.delete(connection);
    this.freeSlots.push(slot);
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
  private settle(id: number, outcome: InvokeOutcome, handlerMs?: number): void {
    const running = this.pending[0];
    if (running?.id !== id) return; // a late answer after a timeout
    clearTimeout(running.timer);
    this.pending.shift();
    if (running.startedAt !== undefined && outcome.kind !== 'timeout') {
      // The worker's own measure when there is one: it leaves out the wait for bam dev's event loop.
      const ms = handlerMs ?? performance.now() - running.startedAt;
      this.averageMs = this.averageMs === undefined ? ms : 0.8 * this.averageMs + 0.2 * ms;
    }
    running.resolve(outcome);
    const next = this.pending[0];
    if (next && !this.dead) this.startClock(next);
  }

  /** The worker stopped: fail what it was running (the error names the request it ended); the rest never started. */
  private onEnd(errorFor: (awsRequestId: string | undefined) => FunctionError): void {
    this.dead = true;
    this.onOwnerEvent?.({ type: 'ended', error: errorFor });
    this.settleReady(errorFor(undefined));
    this.returnWaiting();
    const running = this.pending[0];
    if (running) this.settle(running.id, { kind: 'error', error: errorFor(running.awsRequestId) });
  }
}
