import type { IncomingMessage } from 'node:http';

export const NO_BODY = Buffer.alloc(0);

/** Whether the request has a body at all (most GETs have none). */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
}

/** API Gateway's payload quota for a REST API request. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * The whole request body (API Gateway buffers it too), or undefined when it is over `limit`:
 * the rest is then read and dropped, so a huge upload cannot fill bam dev's memory.
 */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer | undefined> {
  if (!hasBody(req)) {
    req.resume(); // no body: skip the stream machinery (most GETs)
    return NO_BODY;
  }
  if (Number(req.headers['content-length']) > limit) {
    req.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  if (size > limit) return undefined;
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}
