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
}

/**
 * The shared memory between bam dev and a worker. A thread woken by a futex costs a few
 * microseconds; a message through the event loop costs tens, and a message carrying kilobytes of
 * events tens more: that was most of bam dev's time per request.
 * - Requests: a batch sent while nothing else is in flight is written at REQUESTS_AT (its
 *   REQUESTS_LENGTH bytes of JSON) and the InvokeBatch only says so; the worker has read the one
 *   before, since it answered all of it.
 * - Answers: while bam dev waits (WAITING is 1) for a quick function's batch, the worker holds its
 *   messages and, once its queue is empty, writes them at ANSWERS_AT as JSON (ANSWERS_LENGTH
 *   bytes, or -1 when they did not fit and went by postMessage), sets WAITING to 0 and bumps SEQ.
 */
export const SHARED = {
  SEQ: 0,
  WAITING: 1,
  ANSWERS_LENGTH: 2,
  REQUESTS_LENGTH: 3,
  ANSWERS_AT: 16,
  REQUESTS_AT: 16 + 1024 * 1024,
  BYTES: 16 + 2 * 1024 * 1024,
} as const;

/** Tells a spare sandbox to load the handler now. */
export interface LoadMessage {
  type: 'load';
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
  | { type: 'result'; id: number; payload: string; streamed?: boolean; /** how long the handler ran */ ms: number }
  | StreamPart
  | { type: 'error'; id: number; error: FunctionError; /** the sandbox must be reset */ fatal?: boolean; ms?: number }
  | { type: 'log'; awsRequestId: string | undefined; level: string; text: string }
  /** bam dev's own word on why the function failed (not part of its logs). */
  | { type: 'notice'; text: string };
