// Messages between bam dev and a function's worker (one sandbox, one request at a time; requests
// sent while one runs wait in the worker's queue, in order).

export interface WorkerSetup {
  entryFile: string;
  functionName: string;
  memoryLimitInMB: number;
  invokedFunctionArn: string;
  /** The runtime's name, for what bam dev says. */
  runtime: string;
  /** Callback handlers and context.done/succeed/fail work (nodejs22.x and older). */
  callbacks: boolean;
  /** URL of the ES module resolve hook that lends bam's @aws-sdk/* to handlers. */
  hookUrl: string;
  /** A spare: start the runtime now, load the handler only on a LoadMessage (when it is needed). */
  standby?: boolean;
  /** Memory shared with bam dev (see SHARED). */
  shared: SharedArrayBuffer;
  /** The folders of the code's files, watched by the worker too (see OwnedApi). */
  watchFolders?: string[];
  /** Serves the connections bam dev hands over, as the function's REST API (see OwnedApi). */
  api?: OwnedApi;
}

/**
 * A function served alone on bam dev's port can own its connections: bam dev hands the worker
 * each one (a copy of the socket, bam dev keeping the other to answer 502 if the worker dies) and
 * the worker answers its requests itself, in its own thread, as the REST API would: no hop
 * through bam dev. It runs one at a time; a request that comes while one runs, or after a file of
 * the code changed (the worker watches their folders itself), goes to bam dev (a ForwardMessage),
 * which runs it as any other (in a sandbox of the newest code) and sends back the answer.
 */
export interface OwnedApi {
  functionName: string;
  /** Upper-case methods enabled (ANY enables all). */
  methods: string[];
  cors?: string;
  /** The function's timeout: bam dev stops a direct request past it (the worker cannot, if it is stuck). */
  timeoutMs: number;
  accountId: string;
  apiId: string;
}

/**
 * The shared memory between bam dev and a worker. A thread woken by a futex costs a few
 * microseconds; a message through the event loop costs tens, and a message carrying kilobytes of
 * events tens more: that was most of bam dev's time per request.
 * - Requests: a batch sent while nothing else is in flight is written at REQUESTS_AT (its
 *   REQUESTS_LENGTH bytes of JSON) and the InvokeBatch only says so; the worker has read the one
 *   before, since it answered all of it.
 * - Answers: while bam dev waits for a quick function's batch (WAITING holds that batch's number,
 *   0 when it waits for none), the worker holds its messages and, once its queue is empty and the
 *   last batch it read is that one, writes them at ANSWERS_AT as JSON (ANSWERS_LENGTH bytes, or -1
 *   when they did not fit and went by postMessage), sets WAITING to 0 and bumps SEQ. A queue that
 *   empties before the batch arrives (a request from an owned connection ended) releases its
 *   messages by postMessage instead: handing over then would give bam dev none of the batch's
 *   answers, and the first of them would come by postMessage, after the later ones it takes here.
 */
export const SHARED = {
  SEQ: 0,
  WAITING: 1,
  ANSWERS_LENGTH: 2,
  REQUESTS_LENGTH: 3,
  /** The request the worker runs from a connection it owns: one of DIRECT's states. */
  DIRECT: 4,
  /** Its connection (bam dev's number for it). */
  DIRECT_CONNECTION: 5,
  /** The length of its DIRECT_TEXT. */
  DIRECT_TEXT_LENGTH: 6,
  /** 1 once bam dev is ending the worker by force (see STASH_AT). */
  TERMINATING: 7,
  /** Index in a Float64Array over the memory: when it started (performance.timeOrigin + now()). */
  DIRECT_STARTED_F64: 4,
  /** `awsRequestId method url` (UTF-8, cut short): what bam dev says of it if the worker cannot answer it. */
  DIRECT_TEXT_AT: 40,
  ANSWERS_AT: 512,
  REQUESTS_AT: 512 + 1024 * 1024,
  /** Owned connections' slots (Int32, see CONNECTION_SLOT). */
  CONNECTIONS_AT: 512 + 2 * 1024 * 1024,
  CONNECTION_SLOTS: 1024,
  /**
   * Requests a worker being ended by force read after all: its thread runs their first steps
   * before it stops, too late for a message. Each is a line of JSON (a StashedRequest) after the
   * Int32 byte length of them all.
   */
  STASH_AT: 512 + 2 * 1024 * 1024 + 4 * 1024,
  BYTES: 512 + 2 * 1024 * 1024 + 4 * 1024 + 64 * 1024,
} as const;

/**
 * Whether what a worker ended by force read on its connections is known afterwards. Node 22 and
 * later run its HTTP parser's first steps once more as it ends: a request read then is stashed
 * (STASH_AT) or counted in its connection's slot. Node 20 drops it unseen, so the connections of a
 * worker that did not say it stopped reading may each have lost a request.
 */
export const FORCED_END_READS_KNOWN = Number(process.versions.node.split('.')[0]) >= 22;

/** A request without a body read on an owned connection while the worker was being ended (see STASH_AT). */
export interface StashedRequest {
  connection: number;
  call: Omit<ForwardedCall, 'body'>;
}

/**
 * An owned connection's slot says what bam dev may do with it once the worker has ended: NOT_TAKEN
 * until the worker takes its copy of the descriptor (bam dev then closes that copy itself), then
 * the number of requests the worker has read on it whose answers are not with the OS yet, plus
 * FORWARDED times how many of those it forwarded to bam dev, plus WRITING while an answer is
 * part-written. When it forwarded them all, bam dev writes the answers it sent back and the worker
 * did not, and another sandbox serves the connection; otherwise (a request nothing else knows of,
 * or half an answer sent) the connection closes.
 */
export const CONNECTION_SLOT = { NOT_TAKEN: -1, FORWARDED: 1 << 10, WRITING: 1 << 20 } as const;

/** What a connection's slot holds once the worker has taken it (see CONNECTION_SLOT). */
export interface ConnectionCounts {
  unanswered: number;
  forwarded: number;
  partWritten: boolean;
}

/** Three numbers, not a ConnectionCounts: the worker writes its slot twice per request. */
export function encodeConnectionSlot(unanswered: number, forwarded: number, partWritten: boolean): number {
  return unanswered + forwarded * CONNECTION_SLOT.FORWARDED + (partWritten ? CONNECTION_SLOT.WRITING : 0);
}

export function decodeConnectionSlot(state: number): ConnectionCounts {
  return {
    unanswered: state % CONNECTION_SLOT.FORWARDED,
    forwarded: Math.floor((state % CONNECTION_SLOT.WRITING) / CONNECTION_SLOT.FORWARDED),
    partWritten: state >= CONNECTION_SLOT.WRITING,
  };
}

/**
 * A direct request is RUNNING until the worker answers it (back to IDLE) or bam dev TAKES it: its
 * time ran out, and bam dev answers it itself on its copy of the connection. Whoever moves it
 * from RUNNING first answers; the other does not.
 */
export const DIRECT = { IDLE: 0, RUNNING: 1, TAKEN: 2 } as const;

/** Tells a spare sandbox to load the handler now (and which folders hold the code's files). */
export interface LoadMessage {
  type: 'load';
  watchFolders?: string[];
}

/** From bam dev to a worker with an OwnedApi. */
export type OwnerMessage =
  /** A connection to serve: a file descriptor of this process, a copy of bam dev's socket. */
  | { type: 'connection'; connection: number; fd: number; slot: number }
  /** The answer to a ForwardMessage; `fresh` clears the worker's doubt from that file event on. */
  | { type: 'forwarded'; forwardId: number; answer: WireAnswer; fresh?: number }
  /** The code changed: forward every request, close each connection after its next answer, and say when none is left. */
  | { type: 'stale' }
  /** The sandbox is about to be ended: stop reading the connections, and say so (StoppedReading). */
  | { type: 'stopReading' };

/** An HTTP answer as it crosses threads: flat [name, value, …] headers. */
export interface WireAnswer {
  statusCode: number;
  headers: string[];
  body: Uint8Array;
}

/** A request the worker does not run itself, as it came on its connection (the body already read). */
export interface ForwardedCall {
  method: string;
  url: string;
  rawHeaders: string[];
  /** null when it is over API Gateway's payload quota. */
  body: Uint8Array | null;
  sourceIp: string;
  localPort: number;
}

/** What bam dev prints for a request the worker answered (its access line). */
export interface AccessLine {
  method: string;
  url: string;
  statusCode: number;
  ms: number;
  /** Why API Gateway would answer an error here (a malformed response), when it is not the function's own log. */
  problem?: string;
  /** The problem is said once per function (this one). */
  onceFor?: string;
}

/** An error as Lambda reports it (the Invoke payload of a failed function). */
export interface FunctionError {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

/**
 * The requests bam dev received in one turn of its event loop, in order: one message wakes the
 * worker once. `invokes` is the JSON of their InvokeMessages, or absent when it is in the shared memory.
 */
export interface InvokeBatch {
  type: 'invokes';
  /** Its number, counted from 1 by each sandbox (what WAITING holds while bam dev waits for it). */
  batch: number;
  invokes?: string;
}

export interface InvokeMessage {
  id: number;
  event: unknown;
  awsRequestId: string;
  /** The function's timeout: its clock starts when the invocation does, not when it was queued. */
  timeoutMs: number;
  clientContext?: unknown;
}

/** What a streaming handler has written so far: its HTTP prelude (HttpResponseStream.from), or a chunk of the body. */
export interface StreamPart {
  type: 'stream';
  id: number;
  prelude?: { statusCode?: number; headers?: Record<string, string>; cookies?: string[] };
  chunk?: Uint8Array;
}

export type WorkerMessage =
  /** A spare's runtime is up: it waits for a LoadMessage. */
  | { type: 'standby' }
  | { type: 'ready' }
  | { type: 'initError'; error: FunctionError }
  /** streamed: the handler wrote its answer to a response stream (awslambda.streamifyResponse), sent as 'stream' parts. */
  | {
      type: 'result';
      id: number;
      payload: string;
      streamed?: boolean;
      /** how long the handler ran */
      ms: number;
      /** Only to the worker's own connection, never posted: the result as returned, when it survives JSON unchanged (payload is then ''). */
      value?: unknown;
    }
  | StreamPart
  | { type: 'error'; id: number; error: FunctionError; /** the sandbox must be reset */ fatal?: boolean; ms?: number }
  | { type: 'log'; awsRequestId: string | undefined; level: string; text: string }
  /** bam dev's own word on why the function failed (not part of its logs). */
  | { type: 'notice'; text: string }
  /** A request on an owned connection the worker does not run (see OwnedApi). `doubt` counts the file events it has seen. */
  | { type: 'forward'; forwardId: number; connection: number; call: ForwardedCall; doubt: number }
  /** A direct request failed: bam dev logs it as Lambda would (the worker answered the 502). */
  | { type: 'directFailed'; awsRequestId: string; error: FunctionError; fatal?: boolean }
  /** Access lines: `text` those without a problem, already written as bam dev prints them (a line each); `lines` one with a problem. */
  | { type: 'access'; text?: string; lines?: AccessLine[] }
  /** Owned connections that closed: bam dev closes its copies. */
  | { type: 'closed'; connections: number[] }
  /** The answer to stopReading: the worker reads none of its connections any more. */
  | { type: 'stoppedReading' };
