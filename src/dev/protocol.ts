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
}

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

/** The requests bam dev received in one turn of its event loop, in order: one message wakes the worker once. */
export interface InvokeBatch {
  type: 'invokes';
  invokes: InvokeMessage[];
}

export interface InvokeMessage {
  id: number;
  /** The event as JSON, as Lambda hands it over (and a string costs far less to send than an object). */
  event: string;
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
  | { type: 'result'; id: number; payload: string; streamed?: boolean }
  | StreamPart
  | { type: 'error'; id: number; error: FunctionError; /** the sandbox must be reset */ fatal?: boolean }
  | { type: 'log'; awsRequestId: string | undefined; level: string; text: string }
  /** bam dev's own word on why the function failed (not part of its logs). */
  | { type: 'notice'; text: string };
