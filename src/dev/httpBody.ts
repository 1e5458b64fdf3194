import type { IncomingMessage } from 'node:http';

const EMPTY = Buffer.alloc(0);

/** API Gateway's payload quota for a REST API request. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * The whole request body (API Gateway buffers it too), or undefined when it is over `limit`:
 * the rest is then read and dropped, so a huge upload cannot fill bam dev's memory.
 */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer | undefined> {
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
    req.resume(); // no body: skip the stream machinery (most GETs)
    return EMPTY;
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
