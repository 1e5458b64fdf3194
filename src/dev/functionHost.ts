import type { FunctionSource } from '../package/source.js';
import { Sandbox, type InvokeOutcome, type LogSink, type NoticeSink } from './sandbox.js';
import type { FunctionError, OwnedApi, StreamPart } from './protocol.js';
import { BamError } from '../core/errors.js';
import { codeSource, type CodeSettings, type CodeSource, type CodeState, type FunctionCode, type StopWatching } from './functionCode.js';
import { failureNotice, nodeVersionNotice, type RuntimeRules } from './runtimeRules.js';
import { requestUuid } from './requestIds.js';

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
  /** How its code is built: deploy's esbuild bundle (the default) or --no-bundle's files as they are. */
  code: CodeSettings;
}

export interface Invocation {
  awsRequestId: string;
  outcome: InvokeOutcome;
  /** With `tail`: the invocation's log as Lambda writes it (START, the function's lines, END, REPORT). */
  log?: string;
}

/** The error of a request to a function whose code does not build (API Gateway answers 502). */
const BUILD_ERROR = 'BuildError';

// Lambda scales by adding sandboxes; locally a few per function are plenty and bound memory.
const MAX_SANDBOXES = 4;
// A request that would wait no longer than this behind the running ones waits in their sandbox:
// cheaper, on a few cores, than a thread more (and a new sandbox takes far longer to start).
const QUEUE_WAIT_MS = 10;
// A request running this long is a slow one, whatever the average says (a hiccup of a busy machine
// is shorter): the next request does not wait behind it.
const SLOW_MS = 100;
// A new connection does not go to a sandbox that has run one request this long: its thread may be
// held by a loop, and the connection would wait, unread, until the request ends.
const BUSY_OWNER_MS = SLOW_MS;

/**
 * Runs one function like Lambda: a pool of sandboxes, each serving one request at a time, new
 * ones started on demand. When the function answers quickly (the requests ahead would take under
 * QUEUE_WAIT_MS), once the pool is full, or while a new sandbox loads, a request is given at once
 * to the sandbox it would wait least in, to wait in its worker: the worker starts it as soon as
 * the one before has answered, without a round trip through bam dev. A
 * request whose sandbox ended before its turn (a timeout or crash of the one before) goes to the
 * next sandbox. When the function's files change, every sandbox is retired (busy ones once their
 * requests end) and a new one loads the code at once, from a spare sandbox whose runtime is
 * already up (kept once the function has answered a request).
 *
 * What is guaranteed: a request bam dev reads after the OS reported the change runs the new
 * code. The OS queues the change during the write, before any request sent after it can
 * arrive, and invoke() looks at the queued file events (one turn of the event loop) before it
 * takes a sandbox; a request that took one while the code was loading takes the next.
 */
export class FunctionHost {
  private readonly idle: Sandbox[] = [];
  private readonly generationOf = new Map<Sandbox, number>();
  /** Requests given to each sandbox and not answered yet (the waiting ones included). */
  private readonly assigned = new Map<Sandbox, number>();
  /** Sandboxes still loading the code. */
  private readonly loading = new Set<Sandbox>();
  private readonly waiters: ((sandbox: Sandbox) => void)[] = [];
  private generation = 0;
  private stopWatching: StopWatching | undefined;
  private reloadQueued = false;
  private turnEnds: Promise<void> | undefined;
  /** A sandbox with its runtime up and no code loaded yet (not in the pool). */
  private spare: Sandbox | undefined;
  private wantSpare = false;
  private closed = false;
  private spawned = false;
  /** What bam dev has said about this code already (cleared when the code changes). */
  private readonly said = new Set<string>();
  /** Log lines of the invocations running with LogType Tail, by request id. */
  private readonly tails = new Map<string, string[]>();
  private readonly code: CodeSource;
  /** The build of the files as they were at a generation (one build at a time, each after the last). */
  private built: { generation: number; state: Promise<CodeState> } | undefined;
  /** The newest code built, and the generation of files it was built from. */
  private latest: { generation: number; code: FunctionCode } | undefined;
  /** What the spare was started to load. */
  private spareCode: FunctionCode | undefined;
  /** Set when its sandboxes serve connections bam dev hands them (see OwnedApi). */
  private ownedApi: OwnedApi | undefined;
  /** Retired sandboxes whose worker still serves connections (it only forwards): they end once those close. */
  private readonly draining = new Set<Sandbox>();

  constructor(
    readonly fn: LocalFunction,
    private readonly log: LogSink,
    private readonly notice: NoticeSink = () => {},
    /** At most this many sandboxes at once (fewer make requests wait in them: tests use 1). */
    private readonly maxSandboxes = MAX_SANDBOXES,
  ) {
    this.code = codeSource(fn.source, fn.code);
  }

  /** Starts one sandbox ahead of the first request, so it answers at once (once the code is built). */
  warm(): void {
    void this.codeNow().then((state) => {
      if (state.ok) this.warmNow();
    });
  }

  /** Its sandboxes can serve connections themselves: a bundle's, whose files' folders are known to watch. */
  canOwnConnections(): boolean {
    return this.fn.code.bundle;
  }

  /** From now on its sandboxes start ready to serve connections handed to them (before any starts). */
  ownConnections(api: Omit<OwnedApi, 'functionName' | 'methods' | 'cors' | 'timeoutMs'>): void {
    this.ownedApi = { ...api, functionName: this.fn.name, methods: this.fn.methods, timeoutMs: this.fn.timeoutMs, ...(this.fn.cors !== undefined ? { cors: this.fn.cors } : {}) };
  }

  /**
   * The sandbox to hand a new connection to: a loaded one of the files as they are now (one that
   * already serves connections first: one thread for all keeps a few cores free), started if
   * there is none. Undefined when the code does not build or load: bam dev serves it itself.
   */
  async connectionOwner(): Promise<Sandbox | undefined> {
    await this.endOfTurn();
    // A few tries: a save or a crash while one loads makes the next one the owner.
    for (let tries = 0; tries < 3; tries += 1) {
      if (this.closed || !this.ownedApi) return undefined;
      const state = await this.codeNow();
      if (!state.ok) return undefined;
      const sandbox = this.ownerNow() ?? (this.warmNow(), this.ownerNow()) ?? this.ownerNow(true);
      if (!sandbox) return undefined;
      const generation = this.generationOf.get(sandbox);
      if (await sandbox.ready) return undefined;
      if (generation === this.generation && !sandbox.dead) return sandbox;
    }
    return undefined;
  }

  /**
   * A sandbox of the current files: loaded and owning connections, else loaded, else loading. Not
   * one running a request for more than a moment (unless `evenBusy`): its thread may be held by
   * a loop, and reads no connection until it is done.
   */
  private ownerNow(evenBusy = false): Sandbox | undefined {
    const current: Sandbox[] = [];
    for (const [sandbox, generation] of this.generationOf) {
      if (sandbox.dead) this.dropDead(sandbox);
      else if (generation === this.generation) current.push(sandbox);
    }
    const loaded = current.filter((s) => !this.loading.has(s) && (evenBusy || s.busyForMs() < BUSY_OWNER_MS));
    return loaded.find((s) => s.owned > 0) ?? loaded[0] ?? current.find((s) => this.loading.has(s));
  }

  /** A sandbox that ended outside a request bam dev gave it (one it ran from its own connection, or idle): gone from the pool. */
  private dropDead(sandbox: Sandbox): void {
    if ((this.assigned.get(sandbox) ?? 0) > 0) return; // its requests release it
    const idleAt = this.idle.indexOf(sandbox);
    if (idleAt >= 0) this.idle.splice(idleAt, 1);
    this.forget(sandbox);
  }

  /** Whether the sandbox's code is still that of the files, once this turn has read the file events. */
  async stillCurrent(sandbox: Sandbox): Promise<boolean> {
    await this.endOfTurn();
    return this.generationOf.get(sandbox) === this.generation && !sandbox.stale;
  }

  /** Some of the sandbox's connections closed: a retired one ends with its last. */
  connectionsClosed(sandbox: Sandbox): void {
    if (sandbox.dead) {
      this.draining.delete(sandbox);
      return this.dropDead(sandbox);
    }
    if (!sandbox.stale || sandbox.owned > 0) return;
    this.draining.delete(sandbox);
    void sandbox.terminate();
  }

  /** A request the sandbox ran from its own connection failed (or bam dev stopped it): logged as Lambda would. */
  reportDirect(awsRequestId: string, outcome: InvokeOutcome): void {
    this.report(awsRequestId, outcome, false);
  }

  /** Local bam invoke: a function that does not build fails with the one line saying where. */
  async checkBuild(): Promise<void> {
    const state = await this.codeNow();
    if (!state.ok) throw new BamError(`${state.error}. Fix it and run bam invoke again (or try --no-bundle).`);
  }

  private warmNow(): void {
    if (this.idle.length > 0 || this.generationOf.size >= this.maxSandboxes || this.closed) return;
    this.idle.push(this.spawn());
    this.serveWaiters();
  }

  /**
   * The code of the files as they are at this generation: built once per generation, each build
   * after the one before (a save during a build builds again). A failed build is said once.
   */
  private codeNow(): Promise<CodeState> {
    const generation = this.generation;
    if (this.built?.generation === generation) return this.built.state;
    const previous = this.built?.state ?? Promise.resolve(undefined);
    const state = previous
      .then(() => this.code.build())
      // What esbuild could not say as a build error (a folder bam cannot write, ...) fails the same way, and the next save builds again.
      .catch((err: unknown): CodeState => ({ ok: false, error: err instanceof Error ? err.message : String(err) }))
      .then((result) => {
        if (result.ok && (this.latest === undefined || this.latest.generation <= generation)) this.latest = { generation, code: result.code };
        // bam dev says it; a local bam invoke (not watching) fails with the one line instead.
        if (!result.ok && generation === this.generation && this.stopWatching) this.sayOnce(`${this.fn.name} does not build: ${result.error.replace(/\.$/, '')}. bam dev answers 502 until a save fixes it.`);
        return result;
      });
    this.built = { generation, state };
    return state;
  }

  async invoke(event: unknown, clientContext?: unknown, options: { tail?: boolean; onStream?: (part: StreamPart) => void } = {}): Promise<Invocation> {
    const awsRequestId = requestUuid();
    const tail = options.tail ? [`START RequestId: ${awsRequestId} Version: $LATEST`] : undefined;
    if (tail) this.tails.set(awsRequestId, tail);
    const started = performance.now();
    // File events the OS has queued by now are read in this turn of the event loop: after it, the
    // generation is that of the files as they were when this request arrived.
    await this.endOfTurn();
    let outcome: InvokeOutcome | undefined;
    let initError: FunctionError | undefined;
    while (!outcome) {
      const state = await this.codeNow();
      if (!state.ok) {
        // No sandbox starts: API Gateway answers 502, as for a function that fails to load.
        initError = { errorType: BUILD_ERROR, errorMessage: state.error };
        outcome = { kind: 'error', error: initError };
        break;
      }
      const sandbox = await this.acquire();
      const generation = this.generationOf.get(sandbox);
      initError = await sandbox.ready;
      if (generation !== this.generation && !this.closed) {
        this.release(sandbox); // the files changed while it loaded: the next one loads them
        continue;
      }
      const ran = initError ? { kind: 'error' as const, error: initError } : await sandbox.invoke({ event, awsRequestId, clientContext }, this.fn.timeoutMs, options.onStream);
      this.release(sandbox);
      // The sandbox ended before this request's turn: the next one runs it (unless bam dev is stopping).
      if (ran.kind !== 'notStarted') outcome = ran;
      else if (this.closed) outcome = { kind: 'error', error: { errorType: 'Runtime.ExitError', errorMessage: 'bam dev stopped' } };
    }
    this.report(awsRequestId, outcome, Boolean(initError));
    // Started after the answer, so it never slows one down.
    this.wantSpare = true;
    this.keepSpare();
    if (!tail) return { awsRequestId, outcome };
    this.tails.delete(awsRequestId);
    const ms = performance.now() - started;
    tail.push(`END RequestId: ${awsRequestId}`, `REPORT RequestId: ${awsRequestId}\tDuration: ${ms.toFixed(2)} ms\tBilled Duration: ${Math.ceil(ms)} ms\tMemory Size: ${this.fn.memoryMb} MB\t`);
    return { awsRequestId, outcome, log: `${tail.join('\n')}\n` };
  }

  /** Resolves once this turn of the event loop has read its events; shared by the requests that arrived in it. */
  private endOfTurn(): Promise<void> {
    this.turnEnds ??= new Promise((resolve) =>
      setImmediate(() => {
        this.turnEnds = undefined;
        resolve();
      }),
    );
    return this.turnEnds;
  }

  /** Every log line goes to bam dev's output, and to the tail of the invocation that asked for one. */
  private readonly record: LogSink = (line) => {
    if (line.awsRequestId !== undefined) this.tails.get(line.awsRequestId)?.push(`${new Date().toISOString()}\t${line.awsRequestId}\t${line.level}\t${line.text}`);
    this.log(line);
  };

  /** Reloads the code when the function's files change. */
  watchSource(onReload: () => void): void {
    this.stopWatching = this.code.watch(() => {
      this.reload();
      onReload();
    });
  }

  /**
   * The code changed: every sandbox is retired now (a busy one when its request ends), so no
   * request from here on gets the old code; one new sandbox starts loading at the end of this
   * turn, when the events of one save (an editor's truncate and write) have all been read.
   */
  reload(): void {
    this.generation += 1;
    this.said.clear();
    for (const sandbox of this.idle.splice(0)) this.retire(sandbox);
    if (this.reloadQueued) return;
    this.reloadQueued = true;
    setImmediate(() => {
      this.reloadQueued = false;
      void this.codeNow().then((state) => {
        // A request may have started one already.
        if (state.ok && !this.hasCurrent()) this.warmNow();
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopWatching?.();
    const spare = this.spare;
    this.spare = undefined;
    await Promise.all([...this.generationOf.keys(), ...this.draining, ...(spare ? [spare] : [])].map((sandbox) => sandbox.terminate()));
    this.draining.clear();
    this.generationOf.clear();
    await this.built?.state.catch(() => undefined);
    await this.code.close();
  }

  /**
   * A sandbox of the newest code built (tagged with the generation of files it was built from): the
   * first one the spare told to load it, else a new one.
   */
  private spawn(): Sandbox {
    if (!this.spawned) {
      this.spawned = true;
      const versionNotice = nodeVersionNotice(this.fn.name, this.fn.runtime);
      if (versionNotice) this.notice(versionNotice);
    }
    const { code, generation } = this.latest!;
    // The spare is kept for the first sandbox of new code; more beside it start as they would.
    let sandbox = this.hasCurrent() || this.spareCode?.entryFile !== code.entryFile ? undefined : this.spare;
    if (sandbox && !sandbox.dead) {
      this.spare = undefined;
      sandbox.load(this.ownedApi ? code.watchFolders : undefined);
    } else sandbox = this.newSandbox(code, false);
    this.generationOf.set(sandbox, generation);
    this.loading.add(sandbox);
    const loaded = sandbox;
    // The next spare starts once this one is loaded, not competing with it for the CPU.
    void loaded.ready.then(() => {
      this.loading.delete(loaded);
      this.keepSpare();
      this.serveWaiters();
    });
    return sandbox;
  }

  private newSandbox(code: FunctionCode, standby: boolean): Sandbox {
    return new Sandbox(
      {
        entryFile: code.entryFile,
        functionName: this.fn.name,
        memoryLimitInMB: this.fn.memoryMb,
        invokedFunctionArn: this.fn.invokedFunctionArn,
        runtime: this.fn.runtime.name,
        callbacks: this.fn.runtime.callbacks,
        env: this.fn.env,
        standby,
        ...(this.ownedApi ? { api: this.ownedApi } : {}),
        ...(this.ownedApi && !standby && code.watchFolders ? { watchFolders: code.watchFolders } : {}),
      },
      this.record,
      (text) => this.sayOnce(text),
    );
  }

  /** One spare, once the function has answered a request: a function nobody calls needs no quick reload. */
  private keepSpare(): void {
    if (!this.wantSpare || this.closed || (this.spare && !this.spare.dead) || !this.latest) return;
    this.spareCode = this.latest.code;
    this.spare = this.newSandbox(this.latest.code, true);
  }

  /** A sandbox for the next request, counted as given to it. */
  private async acquire(): Promise<Sandbox> {
    const sandbox = this.pick() ?? (await new Promise<Sandbox>((resolve) => this.waiters.push(resolve)));
    this.assigned.set(sandbox, (this.assigned.get(sandbox) ?? 0) + 1);
    return sandbox;
  }

  private pick(): Sandbox | undefined {
    return this.quickSandbox() ?? this.idleSandbox() ?? this.newOrBusySandbox();
  }

  /**
   * The first loaded sandbox (oldest first) the request would wait in no longer than QUEUE_WAIT_MS:
   * packing the requests of a quick function into one sandbox wakes one thread, not several.
   */
  private quickSandbox(): Sandbox | undefined {
    for (const [sandbox, generation] of this.generationOf) {
      if (generation !== this.generation || sandbox.dead || this.loading.has(sandbox)) continue;
      if (this.expectedWaitMs(sandbox) > QUEUE_WAIT_MS) continue;
      const idleAt = this.idle.indexOf(sandbox);
      if (idleAt >= 0) this.idle.splice(idleAt, 1);
      return sandbox;
    }
    return undefined;
  }

  private idleSandbox(): Sandbox | undefined {
    // A sandbox can end while idle (a process.exit or crash after its answer): Lambda starts afresh.
    for (let sandbox = this.idle.pop(); sandbox; sandbox = this.idle.pop()) {
      if (!sandbox.dead) return sandbox;
      this.forget(sandbox);
    }
    return undefined;
  }

  private newOrBusySandbox(): Sandbox | undefined {
    const busy = this.leastBusy();
    // While one is loading the code, waiting for it is quicker than starting another beside it;
    // and while the spare's runtime starts, it goes first (the next save needs it).
    if (this.generationOf.size < this.maxSandboxes && !this.loadingNow() && !this.spareStarting()) return this.spawn();
    return busy;
  }

  /** The sandbox of the current code a request would wait least in (a loaded one before one loading). */
  private leastBusy(): Sandbox | undefined {
    let best: Sandbox | undefined;
    let bestWait = Infinity;
    for (const [sandbox, generation] of this.generationOf) {
      if (generation !== this.generation || sandbox.dead) continue;
      const wait = this.loading.has(sandbox) ? Number.MAX_VALUE : this.expectedWaitMs(sandbox);
      if (!best || wait < bestWait) [best, bestWait] = [sandbox, wait];
    }
    return best;
  }

  /**
   * About how long a request given to the sandbox now would wait for its turn: the average time of
   * its requests for each one ahead. Unknown (Infinity) until the sandbox has answered, or while
   * the running one is a slow one.
   */
  private expectedWaitMs(sandbox: Sandbox): number {
    // A request it runs from its own connection is one more ahead.
    const directMs = sandbox.owned > 0 ? sandbox.directRunningMs() : undefined;
    const given = (this.assigned.get(sandbox) ?? 0) + (directMs === undefined ? 0 : 1);
    if (given === 0) return 0;
    const average = sandbox.averageMs;
    if (average === undefined || sandbox.runningForMs() >= SLOW_MS || (directMs ?? 0) >= SLOW_MS) return Infinity;
    return given * average;
  }

  private hasCurrent(): boolean {
    for (const generation of this.generationOf.values()) if (generation === this.generation) return true;
    return false;
  }

  private spareStarting(): boolean {
    return this.spare !== undefined && !this.spare.dead && !this.spare.standingBy && this.hasCurrent();
  }

  private loadingNow(): boolean {
    for (const sandbox of this.loading) if (this.generationOf.get(sandbox) === this.generation) return true;
    return false;
  }

  /** One request given to the sandbox is done with it; once all are, it is idle, or retired if its code is old. */
  private release(sandbox: Sandbox): void {
    const given = this.assigned.get(sandbox);
    if (given !== undefined) this.assigned.set(sandbox, given - 1);
    const left = (given ?? 1) - 1;
    if (sandbox.dead || this.closed) this.retire(sandbox);
    else if (left === 0 && this.generationOf.get(sandbox) !== this.generation) this.retire(sandbox);
    else if (left === 0) this.idle.push(sandbox);
    this.serveWaiters();
  }

  /** Requests that found no sandbox get one as soon as there is one (acquire() counts them). */
  private serveWaiters(): void {
    while (this.waiters.length > 0) {
      const sandbox = this.pick();
      if (!sandbox) return;
      this.waiters.shift()?.(sandbox);
    }
  }

  private retire(sandbox: Sandbox): void {
    this.forget(sandbox);
    // Its connections' next requests go to bam dev, and their answers close them: it ends with the last.
    if (sandbox.owned > 0 && !sandbox.dead) {
      this.draining.add(sandbox);
      sandbox.tell({ type: 'stale' });
      return;
    }
    void sandbox.terminate();
  }

  private forget(sandbox: Sandbox): void {
    this.generationOf.delete(sandbox);
    this.assigned.delete(sandbox);
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
      // A build error was said once, with its file:line:column; each request only says it failed for it.
      if (errorType === BUILD_ERROR) return line(`Init failed: ${this.fn.name} does not build (the line above says where)`);
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
