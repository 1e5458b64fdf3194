import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FunctionHost } from './functionHost.js';
import type { InvokeOutcome } from './sandbox.js';
import { readBody } from './httpBody.js';

/** Finds (and starts on first use) the local function of that name. */
export type HostLookup = (name: string) => Promise<FunctionHost | undefined>;

// Lambda's limit on a synchronous Invoke's payload.
const INVOKE_PAYLOAD_LIMIT = 6_291_556;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/**
 * The one Lambda API call functions make of each other, Invoke, answered by the local functions
 * (AWS_ENDPOINT_URL_LAMBDA points the SDK here): RequestResponse returns the result as the payload,
 * a failure as an error payload with X-Amz-Function-Error: Unhandled; Event runs it in the
 * background (202); DryRun only checks it exists (204). LogType Tail adds the log's last 4 KB.
 */
export function createLambdaApi(lookup: HostLookup): Server {
  return createServer((req, res) => {
    handleInvoke(req, res, lookup).catch((err: unknown) => {
      if (!res.headersSent) awsError(res, 500, 'ServiceException', String(err));
      else res.destroy();
    });
  });
}

async function handleInvoke(req: IncomingMessage, res: ServerResponse, lookup: HostLookup): Promise<void> {
  const match = INVOKE_PATH.exec((req.url ?? '').split('?')[0] ?? '');
  const body = await readBody(req, INVOKE_PAYLOAD_LIMIT);
  if (req.method !== 'POST' || !match?.[1]) return awsError(res, 404, 'UnknownOperationException', `bam dev answers only Invoke (POST /2015-03-31/functions/NAME/invocations), not ${req.method ?? ''} ${req.url ?? ''}`);
  const name = functionNameOf(decodeURIComponent(match[1]));
  const host = await lookup(name);
  if (!host) return awsError(res, 404, 'ResourceNotFoundException', `Function not found: ${name} (bam dev runs the functions of its folder)`);
  if (!body) return awsError(res, 413, 'RequestEntityTooLargeException', `Request must be smaller than ${INVOKE_PAYLOAD_LIMIT} bytes for the InvokeFunction operation`);

  let event: unknown = {};
  if (body.length > 0) {
    try {
      event = JSON.parse(body.toString('utf8'));
    } catch {
      return awsError(res, 400, 'InvalidRequestContentException', 'Could not parse request body into json: the Payload is not valid JSON');
    }
  }
  const clientContext = decodeClientContext(req.headers['x-amz-client-context']);
  const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
  if (type === 'DryRun') {
    res.writeHead(204).end();
    return;
  }
  if (type === 'Event') {
    void host.invoke(event, clientContext);
    res.writeHead(202, { 'x-amzn-RequestId': randomUUID() }).end();
    return;
  }
  const tail = String(req.headers['x-amz-log-type'] ?? 'None') === 'Tail';
  const { awsRequestId, outcome, log } = await host.invoke(event, clientContext, { tail });
  const failed = outcome.kind !== 'result';
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'x-amzn-RequestId': awsRequestId,
    'X-Amz-Executed-Version': '$LATEST',
    ...(failed ? { 'X-Amz-Function-Error': 'Unhandled' } : {}),
    ...(log !== undefined ? { 'X-Amz-Log-Result': logResult(log) } : {}),
  });
  res.end(invokePayload(outcome, awsRequestId));
}

/** The payload Lambda returns: the result's JSON, or the error as the runtime reports it. */
export function invokePayload(outcome: InvokeOutcome, awsRequestId: string): string {
  switch (outcome.kind) {
    case 'result':
      return outcome.payload;
    case 'error':
      return JSON.stringify(outcome.error);
    case 'timeout':
      return JSON.stringify({
        errorType: 'Sandbox.Timedout',
        errorMessage: `RequestId: ${awsRequestId} Error: Task timed out after ${(outcome.afterMs / 1000).toFixed(2)} seconds`,
      });
  }
}

// Lambda returns the last 4 KB of the invocation's log with LogType Tail.
const TAIL_BYTES = 4096;

/** X-Amz-Log-Result: the log's last 4 KB, base64-encoded. */
function logResult(log: string): string {
  const bytes = Buffer.from(log, 'utf8');
  return bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES)).toString('base64');
}

/** FunctionName may be a name, a partial or full ARN, with an optional :qualifier. */
function functionNameOf(value: string): string {
  const parts = value.split(':');
  const at = parts.indexOf('function');
  if (at >= 0) return parts[at + 1] ?? value;
  return parts[0] ?? value;
}

function decodeClientContext(header: string | string[] | undefined): unknown {
  if (typeof header !== 'string') return undefined;
  try {
    return JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}

function awsError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': type });
  res.end(JSON.stringify({ Type: 'User', message }));
}
