// The worker's side of owned connections (see OwnedApi in protocol.ts): an HTTP server with no
// port of its own, serving the sockets bam dev hands over. A request runs here, in the sandbox's
// own thread, when nothing else runs and no file of the code has changed since bam dev last said
// the code is current; any other goes to bam dev, which runs it as it runs any request.
import { randomUUID } from 'node:crypto';
import { watch } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { buildProxyEvent } from './apiEvent.js';
import { gatewayAnswer, gatewayErrors } from './apiResponse.js';
import { NO_BODY, hasBody, readBody } from './httpBody.js';
import { DIRECT, SHARED, type AccessLine, type FunctionError, type InvokeMessage, type OwnedApi, type OwnerMessage, type WireAnswer, type WorkerMessage } from './protocol.js';
import { accessText, answerBeforeInvoke, answerOutcome, bodyTooLarge, writeAnswer, type Answered, type RestFunction } from './restRules.js';

/** What the server needs of the worker: whether a request runs, and running one with its own reply. */
export interface DirectRunner {
  busy(): boolean;
  run(message: InvokeMessage, reply: (message: WorkerMessage) => void): void;
  post(message: WorkerMessage): void;
}

// Access lines go to bam dev together, a message per batch rather than per request.
const ACCESS_BATCH_MS = 10;

export class DirectServer {
  private readonly http = createServer((req, res) => void this.serve(req, res));
  private readonly control: Int32Array;
  private readonly started: Float64Array;
  private readonly directText: Uint8Array;
  private readonly encoder = new TextEncoder();
  private readonly connectionOf = new WeakMap<Socket, number>();
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
        return this.adopt(message.connection, message.fd);
      case 'forwarded':
        return this.answerForwarded(message.forwardId, message.answer, message.fresh);
      case 'stale':
        this.stale = true;
        this.http.closeIdleConnections();
        return;
      case 'stopReading':
        this.stopReading();
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
  }

  private adopt(connection: number, fd: number): void {
    const socket = new Socket({ fd, readable: true, writable: true });
    this.connectionOf.set(socket, connection);
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (this.closedConnections.push(connection) === 1) setImmediate(() => this.sendClosed());
    });
    this.http.emit('connection', socket);
  }

  private sendClosed(): void {
    const connections = this.closedConnections;
    this.closedConnections = [];
    this.runner.post({ type: 'closed', connections });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const began = performance.now();
    // Most requests have no body: no promise for them.
    const body = hasBody(req) ? await readBody(req) : NO_BODY;
    // A file event the OS queued before this request arrived is read in this turn of the loop.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.stale || this.doubt !== this.cleared || this.runner.busy()) return this.forward(req, res, body);
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const before = answerBeforeInvoke(method, this.rules);
    if (before) return this.answer(req, res, before, began);
    if (!body) return this.answer(req, res, bodyTooLarge(randomUUID()), began);
    const queryAt = url.indexOf('?');
    const event = buildProxyEvent({
      method,
      path: queryAt < 0 ? url : url.slice(0, queryAt),
      query: queryAt < 0 ? '' : url.slice(queryAt + 1),
      rawHeaders: req.rawHeaders,
      body,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      localPort: req.socket.localPort ?? 0,
      accountId: this.api.accountId,
      apiId: this.api.apiId,
    });
    const requestId = event.requestContext.requestId as string;
    const awsRequestId = randomUUID();
    const id = --this.nextDirect; // negative: never one of bam dev's ids
    this.startDirect(`${awsRequestId} ${method} ${url}`, this.connectionOf.get(req.socket) ?? 0);
    this.runner.run({ id, event, awsRequestId, timeoutMs: this.api.timeoutMs }, (message) => {
      if (message.type !== 'result' && message.type !== 'error') return this.runner.post(message);
      // bam dev took the request (its time ran out) and answered it: nothing more goes on this connection.
      if (Atomics.exchange(this.control, SHARED.DIRECT, DIRECT.IDLE) !== DIRECT.RUNNING) return void res.destroy();
      if (message.type === 'result') return this.answer(req, res, answerOutcome({ kind: 'result', payload: message.payload }, requestId, req.headers.accept, this.api.functionName), began);
      this.failed(req, res, message.error, message.fatal === true, awsRequestId, requestId, began);
    });
  }

  private startDirect(text: string, connection: number): void {
    this.control[SHARED.DIRECT_TEXT_LENGTH] = this.encoder.encodeInto(text, this.directText).written;
    this.started[SHARED.DIRECT_STARTED_F64] = performance.timeOrigin + performance.now();
    this.control[SHARED.DIRECT_CONNECTION] = connection;
    Atomics.store(this.control, SHARED.DIRECT, DIRECT.RUNNING);
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
    this.runner.post({
      type: 'forward',
      forwardId,
      connection: this.connectionOf.get(req.socket) ?? 0,
      doubt: this.doubt,
      call: { method: req.method ?? 'GET', url: req.url ?? '/', rawHeaders: req.rawHeaders, body: body ?? null, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', localPort: req.socket.localPort ?? 0 },
    });
  }

  private answerForwarded(forwardId: number, answer: WireAnswer, fresh: number | undefined): void {
    const res = this.forwards.get(forwardId);
    this.forwards.delete(forwardId);
    // bam dev read the file events up to `fresh` and the code is still current: requests run here again.
    if (fresh !== undefined) this.cleared = Math.max(this.cleared, fresh);
    if (!res) return;
    if (this.stale) res.shouldKeepAlive = false;
    writeAnswer(res, answer);
  }
}
