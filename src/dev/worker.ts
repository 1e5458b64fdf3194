// The inside of one local Lambda sandbox: a worker thread that loads the handler once and runs
// one request at a time, as Lambda's Node.js runtime does. Requests bam dev sends while one runs
// wait here, in order, so the next starts as soon as the last has answered.
import Module, { createRequire, register } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { SHARED, type FunctionError, type InvokeBatch, type InvokeMessage, type LoadMessage, type OwnerMessage, type WorkerMessage, type WorkerSetup } from './protocol.js';
import { CALLBACK_HANDLER_ERROR, CONTEXT_CALLBACK_METHODS, contextMethodNotice } from './runtimeRules.js';
import { finished } from 'node:stream/promises';
import { ResponseStream, installAwsLambdaGlobal, isStreamingHandler } from './responseStream.js';
import { DirectServer } from './directHttp.js';
import { survivesJson } from './apiResponse.js';

type Handler = (event: unknown, context: LambdaContext, callback?: Callback) => unknown;
type Callback = (error?: unknown, result?: unknown) => void;

interface LambdaContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  clientContext?: unknown;
  getRemainingTimeInMillis: () => number;
  // Only on runtimes with callbacks (nodejs22.x and older).
  callbackWaitsForEmptyEventLoop?: boolean;
  done?: Callback;
  succeed?: (result?: unknown) => void;
  fail?: (error?: unknown) => void;
}

const setup = workerData as WorkerSetup;
if (!parentPort) throw new Error('bam dev: worker.js runs only inside a worker thread');
const port = parentPort;
const control = new Int32Array(setup.shared, 0, SHARED.ANSWERS_AT / 4);
const answers = new Uint8Array(setup.shared, SHARED.ANSWERS_AT, SHARED.REQUESTS_AT - SHARED.ANSWERS_AT);
const requests = new Uint8Array(setup.shared, SHARED.REQUESTS_AT, SHARED.CONNECTIONS_AT - SHARED.REQUESTS_AT);
const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Messages held while bam dev waits on the handover, in order. */
let held: WorkerMessage[] = [];
/** The number of the last batch of requests bam dev sent (0 before the first). */
let lastBatch = 0;
/**
 * To bam dev: held while it waits on the handover. A stream part goes at once, as it is written,
 * and so does a forwarded request: the handover is JSON, and its body's bytes would not survive it.
 */
const post = (message: WorkerMessage): void => {
  // Ahead of the held messages, which stay held: released now, an answer would reach bam dev after
  // the later ones it takes from the handover.
  if (message.type === 'forward' || message.type === 'stoppedReading') return port.postMessage(message);
  if (Atomics.load(control, SHARED.WAITING) !== 0) {
    if (message.type !== 'stream') {
      held.push(message);
      return;
    }
    // A stream part's bytes cannot go through the handover's JSON either, and must come in order
    // with the answers: bam dev stops waiting on this batch, and all of it comes by postMessage.
    if (claimHandover()) handOverByMessage();
  }
  releaseHeld();
  port.postMessage(message);
};
/**
 * The prototype of every request's context. nodejs24.x's context has no done/succeed/fail, so
 * calling one fails with Node's own TypeError, as on Lambda; bam dev only notes the access (an
 * accessor here, shared by all contexts: defining them on each one cost more than the request),
 * to say why afterwards. Setting one makes it the context's own property.
 */
const contextPrototype: object = setup.callbacks
  ? Object.prototype
  : (Object.create(
      Object.prototype,
      Object.fromEntries(
        CONTEXT_CALLBACK_METHODS.map((method): [string, PropertyDescriptor] => [
          method,
          {
            configurable: true,
            enumerable: false,
            get: () => {
              droppedMethodUsed = method;
              return undefined;
            },
            set(this: object, value: unknown) {
              Object.defineProperty(this, method, { value, writable: true, enumerable: true, configurable: true });
            },
          },
        ]),
      ),
    ) as object);
/**
 * A request's context, made by a constructor on contextPrototype: one object with its fields in
 * place (copying them onto an Object.create() cost a good part of a quick request).
 */
function InvokeContext(this: LambdaContext, message: InvokeMessage, deadline: number): void {
  this.functionName = setup.functionName;
  this.functionVersion = '$LATEST';
  this.invokedFunctionArn = setup.invokedFunctionArn;
  this.memoryLimitInMB = memoryLimitInMB;
  this.awsRequestId = message.awsRequestId;
  this.logGroupName = logGroupName;
  this.logStreamName = logStreamName;
  this.clientContext = message.clientContext;
  this.getRemainingTimeInMillis = () => Math.max(0, deadline - Date.now());
}
InvokeContext.prototype = contextPrototype;
const memoryLimitInMB = String(setup.memoryLimitInMB);
const logGroupName = `/aws/lambda/${setup.functionName}`;
const logStreamName = `bam-dev/[$LATEST]${process.pid}`;
let currentRequestId: string | undefined;
let currentInvoke: number | undefined;
/** Where the running request's answer goes: bam dev, or the worker's own connection (a direct request). */
let currentReply: (message: WorkerMessage) => void = post;
/** A context method the handler reached for that its runtime no longer has (nodejs24.x). */
let droppedMethodUsed: string | undefined;
/** Requests sent while one runs, oldest first. */
const queued: InvokeMessage[] = [];
let running = false;
/** A crash ends the sandbox: bam dev sends the requests still queued to a fresh one. */
let crashed = false;

lendAwsSdkToCommonJs();
register(setup.hookUrl);
// TypeScript is compiled with inline source maps: stack traces point at the .ts lines.
process.setSourceMapsEnabled(true);
routeConsole();
installAwsLambdaGlobal();
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);
// process.exit() in the handler ends the thread: what it logged first still reaches bam dev.
process.on('exit', () => {
  direct?.stopReading();
  direct?.sendAccess();
  releaseHeld();
  // Read nothing more: bam dev may give its connections to another sandbox.
  if (direct) port.postMessage({ type: 'stoppedReading' } satisfies WorkerMessage);
});

// A spare has its runtime up already, so loading the code when it is needed is all that is left.
let watchFolders = setup.watchFolders;
if (setup.standby) {
  const told = new Promise<LoadMessage>((resolve) => port.once('message', resolve));
  post({ type: 'standby' });
  watchFolders = (await told).watchFolders;
}
// Connections bam dev hands over are served here; their folders are watched before the code loads.
const direct = setup.api ? new DirectServer(setup.api, setup.shared, { busy: () => running || isStreamingHandler(handler), run: runDirect, post }) : undefined;
direct?.watch(watchFolders ?? []);
const handler = await loadHandler();
if (handler) {
  port.on('message', (message: InvokeBatch | OwnerMessage) => {
    if (message.type !== 'invokes') return direct?.onMessage(message);
    const invokes = message.invokes ?? decoder.decode(requests.subarray(0, control[SHARED.REQUESTS_LENGTH]));
    queued.push(...(JSON.parse(invokes) as InvokeMessage[]));
    lastBatch = message.batch;
    if (!running) runNext(handler);
  });
  post({ type: 'ready' });
}

/** A request from an owned connection: it runs now (nothing else does), its answer going to `reply`. */
function runDirect(message: InvokeMessage, reply: (message: WorkerMessage) => void): void {
  if (!handler) return;
  running = true;
  invoke(handler, message, () => {
    running = false;
    queueMicrotask(() => runNext(handler));
  }, reply);
}

/** Lambda provides @aws-sdk/*; require() falls back to bam's copy when the user has none. */
function lendAwsSdkToCommonJs(): void {
  const bamRequire = createRequire(import.meta.url);
  type ResolveFilename = (request: string, ...rest: unknown[]) => string;
  const internals = Module as unknown as { _resolveFilename: ResolveFilename };
  const original = internals._resolveFilename;
  internals._resolveFilename = function resolveWithAwsSdk(this: unknown, request: string, ...rest: unknown[]): string {
    try {
      return original.call(this, request, ...rest);
    } catch (err) {
      if (request.startsWith('@aws-sdk/') && (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return bamRequire.resolve(request);
      throw err;
    }
  };
}

/** console.* goes to bam dev with the request id, like CloudWatch's lines. */
function routeConsole(): void {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' } as const;
  for (const [method, level] of Object.entries(levels)) {
    (console as unknown as Record<string, (...args: unknown[]) => void>)[method] = (...args: unknown[]) => {
      post({ type: 'log', awsRequestId: currentRequestId, level, text: format(...args) });
    };
  }
}

async function loadHandler(): Promise<Handler | undefined> {
  let exported: Record<string, unknown>;
  try {
    exported = (await import(pathToFileURL(setup.entryFile).href)) as Record<string, unknown>;
  } catch (err) {
    post({ type: 'initError', error: loadError(err) });
    return undefined;
  }
  const fromDefault = (exported.default as Record<string, unknown> | undefined)?.handler;
  const found = exported.handler ?? fromDefault;
  if (typeof found !== 'function') {
    post({ type: 'initError', error: { errorType: 'Runtime.HandlerNotFound', errorMessage: 'index.handler is undefined or not exported' } });
    return undefined;
  }
  // Lambda's runtime judges a handler by its declared parameters, before any request.
  if (!setup.callbacks && found.length >= 3 && !isStreamingHandler(found)) {
    post({ type: 'initError', error: CALLBACK_HANDLER_ERROR });
    return undefined;
  }
  return found as Handler;
}

/** As Lambda's runtime reports a module that fails to load; other errors keep their own type. */
function loadError(err: unknown): FunctionError {
  const error = toFunctionError(err);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (err instanceof SyntaxError) return { ...error, errorType: 'Runtime.UserCodeSyntaxError', errorMessage: String(err) };
  if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') return { ...error, errorType: 'Runtime.ImportModuleError', errorMessage: String(err) };
  return error;
}

/** Held messages go as one postMessage: bam dev stopped waiting (or never did). */
function releaseHeld(): void {
  if (held.length === 0) return;
  port.postMessage(held);
  held = [];
}

/** Nothing left to run: if bam dev waits on the handover of the last batch read, it gets the held messages there, else by postMessage. */
function handOver(): void {
  if (!claimHandover()) return releaseHeld();
  const text = JSON.stringify(held);
  const { read, written } = encoder.encodeInto(text, answers);
  if (read < text.length) return handOverByMessage(); // too big for the shared memory
  held = [];
  control[SHARED.ANSWERS_LENGTH] = written;
  wakeBamDev();
}

/** Whether bam dev waits on the handover of the last batch this worker read (it no longer does once this returns true). */
function claimHandover(): boolean {
  return lastBatch !== 0 && Atomics.compareExchange(control, SHARED.WAITING, lastBatch, 0) === lastBatch;
}

/** The held messages go by postMessage first, then the wake-up says the handover has none. */
function handOverByMessage(): void {
  control[SHARED.ANSWERS_LENGTH] = -1;
  releaseHeld();
  wakeBamDev();
}

function wakeBamDev(): void {
  Atomics.add(control, SHARED.SEQ, 1);
  Atomics.notify(control, SHARED.SEQ);
}

/** Starts the oldest queued request once the last one has answered (never two at once). */
function runNext(run: Handler): void {
  const message = queued.shift();
  if (!message || crashed) return handOver();
  running = true;
  invoke(run, message, () => {
    running = false;
    // A microtask, not a nested call: a handler answering synchronously does not grow the stack.
    queueMicrotask(() => runNext(run));
  });
}

function invoke(run: Handler, message: InvokeMessage, done: () => void, reply: (message: WorkerMessage) => void = post): void {
  currentRequestId = message.awsRequestId;
  currentInvoke = message.id;
  currentReply = reply;
  droppedMethodUsed = undefined;
  const started = performance.now();
  const deadline = Date.now() + message.timeoutMs;
  let settled = false;
  const finish = (error: unknown, result?: unknown, warning?: string): void => {
    if (settled) return;
    settled = true;
    currentInvoke = undefined;
    answer(error, result, warning);
    done();
  };
  const answer = (error: unknown, result?: unknown, warning?: string): void => {
    if (error !== null && error !== undefined) {
      reply({ type: 'error', id: message.id, error: toFunctionError(error), ms: performance.now() - started });
      return noticeDroppedMethod();
    }
    droppedMethodUsed = undefined; // only looked at, e.g. `if (context.succeed)`
    // A request of the worker's own connection is answered in this thread: a result JSON would
    // give back unchanged skips the round trip (see survivesJson).
    if (reply !== post && !warning && survivesJson(result)) return reply({ type: 'result', id: message.id, payload: '', value: result, ms: performance.now() - started });
    let payload: string;
    try {
      payload = JSON.stringify(result) ?? 'null';
    } catch (err) {
      return reply({ type: 'error', id: message.id, error: { errorType: 'Runtime.MalformedResponse', errorMessage: `The result cannot be turned into JSON: ${String(err)}` } });
    }
    if (warning) post({ type: 'log', awsRequestId: message.awsRequestId, level: 'WARN', text: warning });
    reply({ type: 'result', id: message.id, payload, ms: performance.now() - started });
  };
  const { event } = message;
  const context = new (InvokeContext as unknown as new (message: InvokeMessage, deadline: number) => LambdaContext)(message, deadline);
  if (isStreamingHandler(run)) {
    // awslambda.streamifyResponse: (event, responseStream, context); done when both the handler and the stream are.
    const stream = new ResponseStream(message.id, post);
    const streaming = run as unknown as (event: unknown, stream: ResponseStream, context: LambdaContext) => unknown;
    Promise.all([new Promise((resolve) => resolve(streaming(event, stream, context))), finished(stream)]).then(
      () => {
        if (settled) return;
        settled = true;
        currentInvoke = undefined;
        reply({ type: 'result', id: message.id, payload: '', streamed: true, ms: performance.now() - started });
        done();
      },
      (error: unknown) => finish(error ?? new Error('The handler rejected without a reason')),
    );
    return;
  }
  if (!setup.callbacks) {
    // nodejs24.x: the handler's return value (or what its promise resolves to) is the answer.
    // Promise.resolve() follows the handler's own promise as it is: wrapping it in a new one cost
    // two more turns of the microtask queue on every request.
    let returned: unknown;
    try {
      returned = run(event, context);
    } catch (error) {
      // Failed as a rejection would: a turn of the microtask queue later.
      return queueMicrotask(() => finish(error ?? new Error('The handler rejected without a reason')));
    }
    Promise.resolve(returned).then(
      (result) => finish(null, result),
      (error: unknown) => finish(error ?? new Error('The handler rejected without a reason')),
    );
    return;
  }
  const callback: Callback = (error, result) => finish(error ?? null, result);
  Object.assign(context, {
    callbackWaitsForEmptyEventLoop: true,
    done: callback,
    succeed: (result?: unknown) => finish(null, result),
    fail: (error?: unknown) => finish(error ?? new Error('context.fail was called')),
  });
  try {
    const returned = run(event, context, callback);
    if (isThenable(returned)) {
      returned.then(
        (result) => finish(null, result),
        (error: unknown) => finish(error ?? new Error('The handler rejected without a reason')),
      );
    } else if (returned !== undefined && run.length < 3) {
      // Lambda ignores what a non-async handler returns and answers null once the event loop is empty.
      finish(null, null, 'the handler returned a value without a Promise or callback; Lambda ignores it and answers null. Make the handler async.');
    }
  } catch (err) {
    finish(err);
  }
}

/** Lambda fails the running request when the handler's code throws outside it (and resets the sandbox). */
function crash(err: unknown): void {
  const id = currentInvoke;
  if (id === undefined) {
    post({ type: 'log', awsRequestId: currentRequestId, level: 'ERROR', text: `Uncaught ${format(err)}` });
    return noticeDroppedMethod();
  }
  currentInvoke = undefined;
  crashed = true;
  direct?.stopReading(); // bam dev ends this sandbox now (see DirectServer.stopReading)
  const type = err instanceof Error ? err.name : 'Runtime.UnhandledPromiseRejection';
  currentReply({ type: 'error', id, error: { ...toFunctionError(err), errorType: type }, fatal: true });
  noticeDroppedMethod();
  handOver();
}

function noticeDroppedMethod(): void {
  if (droppedMethodUsed === undefined) return;
  post({ type: 'notice', text: contextMethodNotice(setup.functionName, setup.runtime, droppedMethodUsed) });
  droppedMethodUsed = undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function toFunctionError(err: unknown): FunctionError {
  if (err instanceof Error) return { errorType: err.name || 'Error', errorMessage: err.message, trace: userFrames(err.stack ?? '') };
  return { errorType: typeof err === 'string' ? 'string' : typeof err, errorMessage: typeof err === 'string' ? err : format(err) };
}

/** The stack down to the handler: bam dev's own frames below it say nothing to the user. */
function userFrames(stack: string): string[] {
  const lines = stack.split('\n');
  const ours = lines.findIndex((line) => line.includes(import.meta.url));
  return ours > 0 ? lines.slice(0, ours) : lines;
}
