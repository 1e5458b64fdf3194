import { request } from 'node:http';
import { BamError } from '../core/errors.js';

/** What the local Lambda API answered to one Invoke. */
export interface LocalInvokeAnswer {
  payload: string;
  /** 'Unhandled' when the function failed. */
  functionError?: string;
  /** The log's last 4 KB (LogType Tail), decoded. */
  logTail: string;
}

/**
 * Nothing listens there any more: the bam dev that wrote the endpoint has stopped (and the
 * function never ran, so running it elsewhere runs it once). A reset mid-call is not this.
 */
export class EndpointGone extends Error {}


/**
 * Invoke (RequestResponse, LogType Tail) against a bam dev's local Lambda API, with plain
 * node:http: the AWS SDK's Lambda client would cost bam invoke more to load than the call takes.
 * undefined when that bam dev does not know the function (404).
 */
export function invokeLocalEndpoint(url: string, name: string, event: unknown): Promise<LocalInvokeAnswer | undefined> {
  const body = Buffer.from(JSON.stringify(event) ?? 'null', 'utf8');
  const target = new URL(`2015-03-31/functions/${encodeURIComponent(name)}/invocations`, url.endsWith('/') ? url : `${url}/`);
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: 'POST',
        agent: false,
        headers: { 'Content-Type': 'application/json', 'Content-Length': body.length, 'X-Amz-Invocation-Type': 'RequestResponse', 'X-Amz-Log-Type': 'Tail' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode === 404 && res.headers['x-amzn-errortype'] === 'ResourceNotFoundException') return resolve(undefined);
          if (res.statusCode !== 200) return reject(new BamError(`bam dev's local Lambda API at ${url} answered ${res.statusCode ?? '?'}: ${messageOf(text)}`));
          const functionError = res.headers['x-amz-function-error'];
          const log = res.headers['x-amz-log-result'];
          resolve({
            payload: text,
            ...(typeof functionError === 'string' ? { functionError } : {}),
            logTail: typeof log === 'string' ? Buffer.from(log, 'base64').toString('utf8') : '',
          });
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ECONNREFUSED' ? new EndpointGone(err.message) : err));
    req.end(body);
  });
}

/** The API's error body is `{ Type, message }`. */
function messageOf(text: string): string {
  try {
    const { message } = JSON.parse(text) as { message?: unknown };
    if (typeof message === 'string') return message;
  } catch {
    /* not JSON: the text itself */
  }
  return text.slice(0, 200);
}
