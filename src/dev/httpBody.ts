import type { IncomingMessage } from 'node:http';

const EMPTY = Buffer.alloc(0);

/** The whole request body (API Gateway buffers it too; its payload limit is 10 MB). */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
    req.resume(); // no body: skip the stream machinery (most GETs)
    return EMPTY;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}
