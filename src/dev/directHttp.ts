// The worker's side of owned connections (see OwnedApi in protocol.ts): an HTTP server with no
// port of its own, serving the sockets bam dev hands over. A request runs here, in the sandbox's
// own thread, when nothing else runs and no file of the code has changed since bam dev last said
// the code is current; any other goes to bam dev, which runs it as it runs any request.
import { watch } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { buildProxyEvent } from './apiEvent.js';
import { requestUuid } from './requestIds.js';
import { gatewayAnswer, gatewayErrors } from './apiResponse.js';
import { NO_BODY, hasBody, readBody } from './httpBody.js';
import { DIRECT, SHARED, encodeConnectionSlot, type AccessLine, type ForwardedCall, type FunctionError, type InvokeMessage, type OwnedApi, type OwnerMessage, type StashedRequest, type WireAnswer, type WorkerMessage } from './protocol.js';
import { accessText, answerBeforeInvoke, answerOutcome, bodyTooLarge, writeAnswer, type Answered, type RestFunction } from './restRules.js';

/** What the server needs of the worker: whether a request runs, and running one with its own reply. */
export interface DirectRunner {
  busy(): boolean;
  run(message: InvokeMessage, reply: (message: WorkerMessage) => void): void;
  post(message: WorkerMessage): void;
}

/** A request as bam dev runs it for the worker. */
function forwardedCall(req: IncomingMessage, body: Buffer | null | undefined): ForwardedCall {
  return { method: req.method ?? 'GET', url: req.url ?? '/', rawHeaders: req.rawHeaders, body: body ?? null, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', localPort: req.socket.localPort ?? 0 };
}

/**
 * Node 20's HTTP parser, reading a socket straight from libuv, aborts the whole process (FATAL
 * ERROR: v8::ToLocalChecked Empty MaybeLocal) when a request arrives while a worker thread is
 * being terminated, which is how a sandbox stuck past its timeout ends; read through the socket's
 * stream instead, the read is dropped. Node 22 and later are not affected.
 */
const PARSER_READS_UNGUARDED = Number(process.versions.node.split('.')[0]) < 22;

/** node:http then reads the socket as a stream ('data' events), not from its handle. */
function markConsumed(socket: Socket): void {
  const handle = (socket as unknown as { _handle?: { _consumed?: boolean } })._handle;
  if (handle) handle._consumed = true;
}

/** A request read whose turn (to run here, or go to bam dev) has not come yet. */
interface Waiting {
  req: IncomingMessage;
  res: ServerResponse;
  body: Buffer | undefined;
  /** Its connection's record (none for a connection bam dev did not hand over). */
  held: Held | undefined;
  /** performance.now() when it was read. */
  began: number;
}

/** setImmediate's callback: no closure per request. */
function takeTurn(server: DirectServer, waiting: Waiting): void {
  server.turn(waiting);
}

/** A connection bam dev handed over: its number and slot, and the requests read on it and not answered yet (see CONNECTION_SLOT). */
interface Held {
  connection: number;
  slot: number;
  unanswered: number;
  /** Of those, the ones forwarded to bam dev. */
  forwarded: number;
  /** Answers handed to the socket and not all with the OS yet. */
  writing: number;
  closed: boolean;
  /**
   * Its request waiting for its turn. A field, not a Set of them: a Set that requests come in and
   * out of kept the garbage collector's helper threads busy (a fifth more CPU per request).
   */
  waiting: Waiting | undefined;
  /** The client's address and the port it came to, read once (each is a call into the socket). */
  sourceIp: string;
  localPort: number;
}

/** Copies ASCII text into bytes from `at` (cut at their end); the position after it, or -1 when the text is not ASCII. */
function copyAscii(text: string, bytes: Uint8Array, at: number): number {
  const end = Math.min(bytes.length, at + text.length);
  for (let i = 0; at < end; i++, at++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return -1;
    bytes[at] = code;
  }
  return at;
}

// Access lines go to bam dev together, a message per batch rather than per request.
const ACCESS_BATCH_MS = 10;

export class DirectServer {
  private readonly http = createServer((req, res) => this.serve(req, res));
  private readonly control: Int32Array;
  private readonly started: Float64Array;
  private readonly directText: Uint8Array;
  private readonly encoder = new TextEncoder();
  private readonly timeOrigin = performance.timeOrigin;
  private readonly heldOf = new WeakMap<Socket, Held>();
  /** The thread is ending: every request goes to bam dev. */
  private ending = false;
  /** Each connection's slot (see CONNECTION_SLOT): what bam dev may do with it if this thread ends. */
  private readonly slots: Int32Array;
  private readonly stashLength: Int32Array;
  private readonly stashText: Uint8Array;
  private readonly sockets = new Set<Socket>();
  private readonly rules: RestFunction;
  private readonly forwards = new Map<number, ServerResponse>();
  private nextForward = 0;
  private nextDirect = 0;
  /** File events seen in the code's folders, and how many of them bam dev has said left the code current. */
  private doubt = 0;
  private cleared = 0;
  private stale = false;
  /** Access lines not sent yet, as printed. */
  private accessLines: string[] = [];
  private closedConnections: number[] = [];

  constructor(
    private readonly api: OwnedApi,
    shared: SharedArrayBuffer,
    private readonly runner: DirectRunner,
  ) {
    this.rules = { name: api.functionName, methods: api.methods, ...(api.cors !== undefined ? { cors: api.cors } : {}) };
    this.control = new Int32Array(shared, 0, SHARED.ANSWERS_AT / 4);
    this.started = new Float64Array(shared, 0, SHARED.ANSWERS_AT / 8);
    this.directText = new Uint8Array(shared, SHARED.DIRECT_TEXT_AT, SHARED.ANSWERS_AT - SHARED.DIRECT_TEXT_AT);
    this.slots = new Int32Array(shared, SHARED.CONNECTIONS_AT, SHARED.CONNECTION_SLOTS);
    this.stashLength = new Int32Array(shared, SHARED.STASH_AT, 1);
    this.stashText = new Uint8Array(shared, SHARED.STASH_AT + 4, SHARED.BYTES - SHARED.STASH_AT - 4);
  }

  /**
   * Watches the folders of the code's files from now on (before the code loads): a save there
   * is known in this thread before any request sent after it, as in bam dev's (see FunctionHost).
   */
  watch(folders: string[]): void {
    for (const folder of folders) {
      try {
        watch(folder, { persistent: false }, () => (this.doubt += 1)).on('error', () => (this.doubt += 1));
      } catch {
        this.doubt += 1; // not watchable: every request goes to bam dev, which watches
      }
    }
  }

  onMessage(message: OwnerMessage): void {
    switch (message.type) {
      case 'connection':
        return this.adopt(message.connection, message.fd, message.slot);
      case 'forwarded':
        return this.answerForwarded(message.forwardId, message.answer, message.fresh);
      case 'stale':
        this.stale = true;
        this.http.closeIdleConnections();
        return;
      case 'stopReading':
        this.stopReading();
        // Access lines still batched go out first: the thread is ended once bam dev hears back.
        this.sendAccess();
        return this.runner.post({ type: 'stoppedReading' });
    }
  }

  /**
   * Reads no connection any more: the thread is about to end. Node 20 aborts the whole process
   * (FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal, in its HTTP parser) when a request arrives
   * on a worker thread whose end has begun; a connection nobody reads only waits, and bam dev
   * answers or closes it.
   */
  stopReading(): void {
    for (const socket of this.sockets) (socket as unknown as { _handle?: { readStop?: () => number } })._handle?.readStop?.();
    this.ending = true;
    this.forwardUndecided();
  }

  /**
   * Requests read whose turn has not come go to bam dev now, as they would once it came: before
   * the thread ends, or runs a request (that may never end), they are known to bam dev.
   */
  forwardUndecided(): void {
    for (const socket of this.sockets) {
      const held = this.heldOf.get(socket);
      const waiting = held?.waiting;
      if (!held || !waiting) continue;
      held.waiting = undefined;
      this.forward(waiting.req, waiting.res, waiting.body);
    }
  }

  private adopt(connection: number, fd: number, slot: number): void {
    const socket = new Socket({ fd, readable: true, writable: true });
    if (PARSER_READS_UNGUARDED) markConsumed(socket);
    const held: Held = { connection, slot, unanswered: 0, forwarded: 0, writing: 0, closed: false, waiting: undefined, sourceIp: socket.remoteAddress ?? '127.0.0.1', localPort: socket.localPort ?? 0 };
    this.heldOf.set(socket, held);
    Atomics.store(this.slots, slot, 0);
    this.sockets.add(socket);
    socket.once('close', () => {
      // Not written again: once bam dev hears the connection closed, the slot is another's.
      held.closed = true;
      this.sockets.delete(socket);
      if (this.closedConnections.push(connection) === 1) setImmediate(() => this.sendClosed());
    });
    this.http.emit('connection', socket);
  }

  private sendClosed(): void {
    const connections = this.closedConnections;
    this.closedConnections = [];
    // Their access lines first: with no connection left, bam dev may end this thread without asking.
    this.sendAccess();
    this.runner.post({ type: 'closed', connections });
  }

  /** Requests read (and not answered) and forwarded on the connection, as its slot says. */
  private count(held: Held, unanswered: number, forwarded: number): void {
    held.unanswered += unanswered;
    held.forwarded += forwarded;
    this.publish(held);
  }

  /**
   * The answer is handed to the socket: a small one is with the OS at once, and the connection lies
   * between two requests again; a larger one counts as being written until it is.
   */
  private written(res: ServerResponse, forwarded: boolean): void {
    const held = this.heldOf.get(res.req.socket);
    if (!held) return;
    const answered = forwarded ? -1 : 0;
    // Nothing left in the socket's queue: the OS took it all (res emits 'finish' only later).
    if (res.writableFinished || res.req.socket.writableLength === 0) return this.count(held, -1, answered);
    held.writing += 1;
    this.publish(held);
    res.once('close', () => {
      held.writing -= 1;
      this.count(held, -1, answered);
    });
  }

  /** The connection's slot (see CONNECTION_SLOT); not written once it closed, when bam dev may give the slot to another. */
  private publish(held: Held): void {
    if (!held.closed) Atomics.store(this.slots, held.slot, encodeConnectionSlot(held.unanswered, held.forwarded, held.writing > 0));
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const began = performance.now();
    const held = this.heldOf.get(req.socket);
    if (held) this.count(held, 1, 0);
    if (Atomics.load(this.control, SHARED.TERMINATING) === 1) return this.stash(req, held);
    // Most requests have no body: no promise for them.
    if (!hasBody(req)) return this.awaitTurn({ req, res, body: NO_BODY, held, began });
    void readBody(req).then((body) => this.awaitTurn({ req, res, body, held, began }));
  }

  /**
   * The request runs (or goes to bam dev) at the end of this turn of the event loop: a file event
   * the OS queued before it arrived has been read by then.
   */
  private awaitTurn(waiting: Waiting): void {
    const { req, res, body, held } = waiting;
    // Another request of the connection waits for its turn already (pipelined): this one goes to bam dev.
    if (held?.waiting) return this.forward(req, res, body);
    if (held) held.waiting = waiting;
    setImmediate(takeTurn, this, waiting);
  }

  /** Its turn has come (see awaitTurn). */
  turn(waiting: Waiting): void {
    const { req, res, body, held, began } = waiting;
    if (held) {
      if (held.waiting !== waiting) return; // forwarded meanwhile: the thread is ending
      held.waiting = undefined;
    }
    if (this.ending || this.stale || this.doubt !== this.cleared || this.runner.busy()) return this.forward(req, res, body);
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const before = answerBeforeInvoke(method, this.rules);
    if (before) return this.answer(req, res, before, began);
    if (!body) return this.answer(req, res, bodyTooLarge(requestUuid()), began);
    const queryAt = url.indexOf('?');
    const event = buildProxyEvent({
      method,
      path: queryAt < 0 ? url : url.slice(0, queryAt),
      query: queryAt < 0 ? '' : url.slice(queryAt + 1),
      rawHeaders: req.rawHeaders,
      body,
      sourceIp: held?.sourceIp ?? req.socket.remoteAddress ?? '127.0.0.1',
      localPort: held?.localPort ?? req.socket.localPort ?? 0,
      accountId: this.api.accountId,
      apiId: this.api.apiId,
    });
    const requestId = event.requestContext.requestId as string;
    const awsRequestId = requestUuid();
    const id = --this.nextDirect; // negative: never one of bam dev's ids
    this.startDirect(awsRequestId, method, url, held?.connection ?? 0);
    this.runner.run({ id, event, awsRequestId, timeoutMs: this.api.timeoutMs }, (message) => {
      if (message.type !== 'result' && message.type !== 'error') return this.runner.post(message);
      // bam dev took the request (its time ran out) and answered it: nothing more goes on this connection.
      if (Atomics.exchange(this.control, SHARED.DIRECT, DIRECT.IDLE) !== DIRECT.RUNNING) return void res.destroy();
      if (message.type === 'result') {
        // The Accept header only matters to a base64 answer: read when one asks (req.headers is built on first use).
        const accept = (): string | undefined => req.headers.accept;
        const outcome = message.value !== undefined ? { kind: 'value' as const, value: message.value } : { kind: 'result' as const, payload: message.payload };
        return this.answer(req, res, answerOutcome(outcome, requestId, accept, this.api.functionName), began);
      }
      this.failed(req, res, message.error, message.fatal === true, awsRequestId, requestId, began);
    });
  }

  /** Says in the shared memory that this request runs here (bam dev reads it if the request outlives its time). */
  private startDirect(awsRequestId: string, method: string, url: string, connection: number): void {
    this.control[SHARED.DIRECT_TEXT_LENGTH] = this.writeDirectText(awsRequestId, method, url);
    this.started[SHARED.DIRECT_STARTED_F64] = this.timeOrigin + performance.now();
    this.control[SHARED.DIRECT_CONNECTION] = connection;
    Atomics.store(this.control, SHARED.DIRECT, DIRECT.RUNNING);
  }

  /**
   * `awsRequestId method url` as UTF-8 in DIRECT_TEXT (cut short), its length returned: the parts
   * copied one after the other when they are ASCII, as the usual request line is, without joining
   * them into a string first; the encoder otherwise.
   */
  private writeDirectText(awsRequestId: string, method: string, url: string): number {
    let at = copyAscii(awsRequestId, this.directText, 0);
    if (at >= 0 && at < this.directText.length) this.directText[at++] = 0x20;
    if (at >= 0) at = copyAscii(method, this.directText, at);
    if (at >= 0 && at < this.directText.length) this.directText[at++] = 0x20;
    if (at >= 0) at = copyAscii(url, this.directText, at);
    return at >= 0 ? at : this.encoder.encodeInto(`${awsRequestId} ${method} ${url}`, this.directText).written;
  }

  /** The function failed: API Gateway answers 502, and bam dev logs the error (and resets the sandbox if it must). */
  private failed(req: IncomingMessage, res: ServerResponse, error: FunctionError, fatal: boolean, awsRequestId: string, requestId: string, began: number): void {
    // The sandbox ends: the client should not send its next request on this connection.
    if (fatal) res.shouldKeepAlive = false;
    this.answer(req, res, { answer: gatewayAnswer(gatewayErrors.internalServerError, requestId) }, began);
    this.runner.post({ type: 'directFailed', awsRequestId, error, ...(fatal ? { fatal } : {}) });
  }

  private answer(req: IncomingMessage, res: ServerResponse, answered: Answered, began: number): void {
    if (this.stale) res.shouldKeepAlive = false;
    writeAnswer(res, answered.answer);
    this.written(res, false);
    const line: AccessLine = { method: req.method ?? '', url: req.url ?? '', statusCode: answered.answer.statusCode, ms: performance.now() - began };
    if (answered.problem) {
      // Said at once, after the lines before it (bam dev prints it as a warning).
      this.sendAccess();
      return this.runner.post({ type: 'access', lines: [{ ...line, problem: answered.problem, ...(answered.onceFor ? { onceFor: answered.onceFor } : {}) }] });
    }
    // As text, many in one message: turning an object per request into a message cost more than the request.
    if (this.accessLines.push(accessText(line)) === 1) setTimeout(() => this.sendAccess(), ACCESS_BATCH_MS);
  }

  sendAccess(): void {
    if (this.accessLines.length === 0) return;
    const text = this.accessLines.join('\n');
    this.accessLines = [];
    this.runner.post({ type: 'access', text });
  }

  private forward(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined): void {
    const forwardId = ++this.nextForward;
    this.forwards.set(forwardId, res);
    const held = this.heldOf.get(req.socket);
    if (held) this.count(held, 0, 1);
    this.runner.post({ type: 'forward', forwardId, connection: held?.connection ?? 0, doubt: this.doubt, call: forwardedCall(req, body) });
  }

  /**
   * bam dev is ending this thread by force: the rest of this turn of the loop is all that runs
   * here, too late for a message, so a request read now goes to bam dev through the shared memory
   * (see STASH_AT), when it has no body to wait for. Any other stays unanswered, and bam dev
   * closes its connection.
   */
  private stash(req: IncomingMessage, held: Held | undefined): void {
    if (hasBody(req)) return;
    const { body: _none, ...call } = forwardedCall(req, null);
    const stashed: StashedRequest = { connection: held?.connection ?? 0, call };
    const line = `${JSON.stringify(stashed)}\n`;
    const at = this.stashLength[0] ?? 0;
    const { read, written } = this.encoder.encodeInto(line, this.stashText.subarray(at));
    if (read < line.length) return;
    Atomics.store(this.stashLength, 0, at + written);
    if (held) this.count(held, 0, 1);
  }

  private answerForwarded(forwardId: number, answer: WireAnswer, fresh: number | undefined): void {
    const res = this.forwards.get(forwardId);
    this.forwards.delete(forwardId);
    // bam dev read the file events up to `fresh` and the code is still current: requests run here again.
    if (fresh !== undefined) this.cleared = Math.max(this.cleared, fresh);
    if (!res) return;
    if (this.stale) res.shouldKeepAlive = false;
    writeAnswer(res, answer);
    this.written(res, true);
  }
}
