// bam dev's side of owned connections (see OwnedApi in protocol.ts). With one function served on
// its API, each accepted connection is handed to a sandbox of the function: its worker answers the
// requests in its own thread, with no hop through bam dev (on two cores, that hop cost two thirds
// of the throughput). bam dev keeps its own descriptor of each socket, never read, for what the
// worker cannot do:
// - a request that runs past API Gateway's timeout gets the 504 from here, one past the function's
//   timeout the 502 (and the sandbox is reset), since a stuck worker cannot answer;
// - a worker that dies mid-request (a crash, process.exit, out of memory) leaves its 502 to here;
// - requests the worker forwards (one ran already, or a file changed) run here as any other, and
//   their answers go back to it (or out from here, if it died meanwhile).
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FunctionHost } from './functionHost.js';
import { gatewayAnswer, gatewayErrors, type HttpAnswer } from './apiResponse.js';
import { FORCED_END_READS_KNOWN, type AccessLine, type ForwardedCall, type FunctionError } from './protocol.js';
import { answerCall, endpointTimedOut, type Answered, type RestContext } from './restRules.js';
import type { DirectRequest, OwnerEvent, Sandbox } from './sandbox.js';
import { SocketCopies, type HandleCopy } from './socketCopies.js';

interface Owned {
  /** bam dev's own descriptor (never read): what it answers on when the worker cannot. */
  socket: Socket;
  /** The copy the worker serves. The worker closes that descriptor itself; bam dev only if the worker never took it. */
  copy: HandleCopy;
  sandbox: Sandbox;
  /** Forwarded requests bam dev has not answered yet (those parked included). */
  forwards: number;
  /** Answers to forwarded requests that came while the worker was being ended: written once it has. */
  parked: HttpAnswer[];
  /** The last answers sent back to the worker that it may not have written yet (no more than it has unanswered). */
  sentBack: HttpAnswer[];
  /** The worker is gone: once those answers are out, the connection goes to another sandbox, or closes. */
  orphaned: boolean;
  /**
   * Set when the worker is gone: it read no request on the connection that bam dev does not know
   * of, so the connection lies between two requests (once bam dev's answers are out) and another
   * sandbox can serve it. Otherwise the worker read one and died with it: nothing can answer that
   * request, and the connection closes (an error the client sees at once, not a wait forever).
   */
  reusable: boolean;
}

// How often bam dev looks at the direct requests' clocks: a function timeout is in seconds.
const CLOCK_MS = 50;

export class ConnectionHandover {
  private readonly copies = new SocketCopies();
  private readonly owned = new Map<number, Owned>();
  private readonly listening = new Set<Sandbox>();
  private nextConnection = 0;
  private readonly handled = new WeakSet<Socket>();
  private clock: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: FunctionHost,
    private readonly context: RestContext,
    private readonly access: (line: AccessLine) => void,
    /** Access lines without a problem, as printed (a line each). */
    private readonly accessText: (text: string) => void,
    /** A connection given back (its sandbox ended between two of its requests), served as a new one. */
    private readonly serveAgain: (socket: Socket) => void,
  ) {
    host.ownConnections({ accountId: context.accountId, apiId: context.apiId });
    this.copies.start();
  }

  /** Hands the (paused) socket to a sandbox of the function; false when bam dev must serve it itself. */
  async take(socket: Socket): Promise<boolean> {
    const sandbox = await this.host.connectionOwner();
    if (!sandbox) return false;
    const copy = await this.copies.copy(socket);
    if (!copy) return false;
    if (sandbox.dead || socket.destroyed) {
      copy.close();
      return false;
    }
    const connection = ++this.nextConnection;
    if (!sandbox.handConnection(connection, copy.fd)) {
      copy.close();
      return false;
    }
    // A reset client: the worker sees it on its copy too (one listener, however often the connection is given back).
    if (!this.handled.has(socket)) socket.on('error', () => socket.destroy());
    this.handled.add(socket);
    this.owned.set(connection, { socket, copy, sandbox, forwards: 0, parked: [], sentBack: [], orphaned: false, reusable: false });
    this.listen(sandbox);
    this.clock ??= setInterval(() => this.checkClocks(), CLOCK_MS).unref();
    return true;
  }

  closeAll(): void {
    clearInterval(this.clock);
    this.clock = undefined;
    for (const { socket } of this.owned.values()) socket.destroy();
    this.owned.clear();
    this.copies.stop();
  }

  private listen(sandbox: Sandbox): void {
    if (this.listening.has(sandbox)) return;
    this.listening.add(sandbox);
    sandbox.onOwnerEvent = (event) => this.onEvent(sandbox, event);
  }

  private onEvent(sandbox: Sandbox, event: OwnerEvent): void {
    switch (event.type) {
      case 'access':
        if (event.text !== undefined) this.accessText(event.text);
        for (const line of event.lines ?? []) this.access(line);
        return;
      case 'forward':
        return void this.forward(sandbox, event.forwardId, event.connection, event.call, event.doubt);
      case 'directFailed':
        return this.host.reportDirect(event.awsRequestId, { kind: 'error', error: event.error });
      case 'closed':
        for (const connection of event.connections) this.closed(connection);
        this.host.connectionsClosed(sandbox);
        return;
      case 'ended':
        return this.ended(sandbox, event.error);
    }
  }

  /** A request the worker did not run: bam dev runs it, and says whether the worker's code is still current. */
  private async forward(sandbox: Sandbox, forwardId: number, connection: number, call: ForwardedCall, doubt: number): Promise<void> {
    const started = performance.now();
    const owned = this.owned.get(connection);
    if (owned) owned.forwards += 1;
    const queryAt = call.url.indexOf('?');
    const [answered, current] = await Promise.all([
      answerCall(this.host, {
        method: call.method,
        path: queryAt < 0 ? call.url : call.url.slice(0, queryAt),
        query: queryAt < 0 ? '' : call.url.slice(queryAt + 1),
        rawHeaders: call.rawHeaders,
        accept: acceptOf(call.rawHeaders),
        body: call.body ? Buffer.from(call.body.buffer, call.body.byteOffset, call.body.length) : undefined,
        sourceIp: call.sourceIp,
        localPort: call.localPort,
      }, this.context).catch((err: unknown): Answered => ({ answer: gatewayAnswer(gatewayErrors.internalServerError, 'bam-dev'), problem: `bam dev could not answer: ${err instanceof Error ? err.message : String(err)}` })),
      this.host.stillCurrent(sandbox),
    ]);
    this.line(call.method, call.url, answered, started);
    // Its worker is being ended: what it leaves on the connection is known once it has.
    if (owned && sandbox.dead && !owned.orphaned) return void owned.parked.push(answered.answer);
    if (owned) owned.forwards -= 1;
    // Its worker is gone, or going: the sandbox that ran the request may be the one that owns the connection (its timeout ended it).
    if (owned?.orphaned || sandbox.dead) return this.answerHere(connection, answered.answer);
    if (owned) this.sentBack(connection, owned, answered.answer);
    sandbox.tell({ type: 'forwarded', forwardId, answer: answered.answer, ...(current ? { fresh: doubt } : {}) });
  }

  /** Kept until it is surely written: the worker has fewer forwarded requests unanswered on the connection than bam dev keeps. */
  private sentBack(connection: number, owned: Owned, answer: HttpAnswer): void {
    owned.sentBack.push(answer);
    const { forwarded } = owned.sandbox.connectionLeft(connection);
    if (owned.sentBack.length > forwarded) owned.sentBack.splice(0, owned.sentBack.length - forwarded);
  }

  private line(method: string, url: string, answered: Answered, started: number): void {
    this.access({ method, url, statusCode: answered.answer.statusCode, ms: performance.now() - started, ...(answered.problem ? { problem: answered.problem } : {}), ...(answered.onceFor ? { onceFor: answered.onceFor } : {}) });
  }

  private closed(connection: number): void {
    const owned = this.owned.get(connection);
    if (!owned) return;
    this.owned.delete(connection);
    // Ended first (a FIN), not only closed: a worker that died before it took its copy of the
    // descriptor leaves that copy open, and the client would wait on the connection forever.
    owned.socket.end(() => owned.socket.destroy());
  }

  /**
   * The direct requests' clocks: past API Gateway's timeout the client gets its 504 from here (the
   * function runs on), past the function's own the 502, and the sandbox is reset, as Lambda does.
   */
  private checkClocks(): void {
    const sandboxes = new Set([...this.owned.values()].map(({ sandbox }) => sandbox));
    if (sandboxes.size === 0) {
      clearInterval(this.clock);
      this.clock = undefined;
      return;
    }
    const { timeoutMs } = this.host.fn;
    for (const sandbox of sandboxes) {
      const running = sandbox.dead ? undefined : sandbox.directRequest();
      if (!running) continue;
      if (running.runningMs >= timeoutMs) {
        if (sandbox.takeDirectRequest()) this.failRunning(running);
        this.host.reportDirect(running.awsRequestId, { kind: 'timeout', afterMs: timeoutMs });
        sandbox.dead = true;
        void sandbox.terminate();
      } else if (running.runningMs >= this.context.apiTimeoutMs && !running.taken && sandbox.takeDirectRequest()) {
        const answered = endpointTimedOut(running.awsRequestId, this.context.apiTimeoutMs);
        this.answerHere(running.connection, answered.answer);
        this.line(running.method, running.url, answered, performance.now() - running.runningMs);
      }
    }
  }

  /**
   * The worker ended: its running direct request gets the 502 from here. Its other connections,
   * once any answer still due is out, go to another sandbox when they lie between two requests
   * (API Gateway's connections outlive a sandbox), and close when the worker had read a request on
   * one that nothing else knows of (see Owned.reusable).
   */
  private ended(sandbox: Sandbox, errorFor: (awsRequestId: string | undefined) => FunctionError): void {
    if (!this.listening.delete(sandbox)) return; // said already
    // Read as it was ended by force: bam dev answers them as forwarded requests.
    for (const { connection, call } of sandbox.stashedRequests()) void this.forward(sandbox, 0, connection, call, 0);
    const running = sandbox.directRequest();
    if (running && sandbox.takeDirectRequest()) {
      this.failRunning(running);
      this.host.reportDirect(running.awsRequestId, { kind: 'error', error: errorFor(running.awsRequestId) });
    }
    // Ended by force on Node 20: a request it read then is gone unseen, so no connection of it is known to lie between two requests.
    const readsKnown = FORCED_END_READS_KNOWN || sandbox.saidStoppedReading;
    for (const [connection, owned] of this.owned) {
      if (owned.sandbox !== sandbox) continue;
      owned.orphaned = true;
      const left = sandbox.connectionLeft(connection);
      // Never taken: the worker's copy of the descriptor is still open, and would keep the socket open after bam dev closes its own.
      if (!left.taken) owned.copy.close();
      // Forwarded and not being answered here: answers sent back that the worker did not write
      // (the last ones: it writes them in order). Read and never forwarded: nothing else knows of them.
      const unwritten = left.forwarded - owned.forwards;
      owned.reusable = readsKnown && !left.partWritten && left.unanswered === left.forwarded && unwritten >= 0 && unwritten <= owned.sentBack.length;
      const resend = owned.reusable && unwritten > 0 ? owned.sentBack.slice(-unwritten) : [];
      owned.sentBack = [];
      for (const answer of resend) owned.socket.write(rawAnswer(answer, true));
      const parked = owned.parked.splice(0);
      for (const answer of parked) {
        owned.forwards -= 1;
        this.answerHere(connection, answer);
      }
      if (parked.length === 0 && owned.forwards === 0) this.giveBack(connection, owned);
    }
    this.host.connectionsClosed(sandbox);
  }

  /** API Gateway's 502 for a direct request its sandbox will not answer (its timeout, or its end), with its access line. */
  private failRunning(running: DirectRequest): void {
    const answered = { answer: gatewayAnswer(gatewayErrors.internalServerError, running.awsRequestId) };
    this.answerHere(running.connection, answered.answer);
    this.line(running.method, running.url, answered, performance.now() - running.runningMs);
  }

  /**
   * An answer written on bam dev's own descriptor. The connection closes after it, unless its
   * worker is gone and left it between two requests: then it is served again, as a new one.
   */
  private answerHere(connection: number, answer: HttpAnswer): void {
    const owned = this.owned.get(connection);
    if (!owned) return;
    if (owned.orphaned && (owned.reusable || owned.forwards > 0)) {
      owned.socket.write(rawAnswer(answer, true));
      // More answers are due on it (pipelined requests): it waits for them.
      if (owned.forwards === 0) this.giveBack(connection, owned);
      return;
    }
    this.owned.delete(connection);
    // Closed once written: bam dev never reads this descriptor, so it would not see the client close it.
    owned.socket.end(rawAnswer(answer, false), () => owned.socket.destroy());
  }

  /** A connection of an ended sandbox, its answers out: served again as a new one, or closed (see Owned.reusable). */
  private giveBack(connection: number, owned: Owned): void {
    if (!owned.reusable) return this.closed(connection);
    this.owned.delete(connection);
    this.serveAgain(owned.socket);
  }
}

/** The answer as HTTP/1.1 bytes; with Connection: close unless the connection is served again. */
function rawAnswer(answer: HttpAnswer, keepAlive: boolean): Buffer {
  const lines = [`HTTP/1.1 ${answer.statusCode} ${STATUS_CODES[answer.statusCode] ?? ''}`];
  for (let i = 0; i + 1 < answer.headers.length; i += 2) lines.push(`${answer.headers[i]}: ${answer.headers[i + 1]}`);
  lines.push(`Date: ${new Date().toUTCString()}`, `Content-Length: ${answer.body.length}`, ...(keepAlive ? [] : ['Connection: close']), '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), answer.body]);
}

function acceptOf(rawHeaders: string[]): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) if (rawHeaders[i]?.toLowerCase() === 'accept') return rawHeaders[i + 1];
  return undefined;
}
