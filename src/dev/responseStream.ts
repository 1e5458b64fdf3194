// Response streaming inside a local sandbox: the `awslambda` global Lambda's Node.js runtime
// provides (streamifyResponse, HttpResponseStream.from), and the stream a streaming handler
// writes to, whose parts go to bam dev as the handler writes them.
import { Writable } from 'node:stream';
import type { StreamPart } from './protocol.js';

/** The mark the runtime puts on a streamified handler (its own symbol and value). */
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');

type Prelude = NonNullable<StreamPart['prelude']>;

export function isStreamingHandler(handler: unknown): boolean {
  return typeof handler === 'function' && (handler as unknown as Record<symbol, unknown>)[STREAMING] === 'response';
}

/** Sets globalThis.awslambda before the handler's module loads (it calls streamifyResponse at load). */
export function installAwsLambdaGlobal(): void {
  (globalThis as Record<string, unknown>).awslambda = {
    streamifyResponse: <T extends object>(handler: T): T => Object.assign(handler, { [STREAMING]: 'response' }),
    HttpResponseStream: {
      /** The HTTP status, headers and cookies of a streamed answer, before its first byte. */
      from: (stream: ResponseStream, prelude: Prelude): ResponseStream => {
        stream.setPrelude(prelude);
        return stream;
      },
    },
  };
}

/** What a streaming handler writes to: every write goes out at once, led by the prelude. */
export class ResponseStream extends Writable {
  private preludeSent = false;
  private contentType: string | undefined;

  constructor(
    private readonly id: number,
    private readonly post: (part: StreamPart) => void,
  ) {
    super();
  }

  setContentType(contentType: string): void {
    this.contentType = contentType;
  }

  setPrelude(prelude: Prelude): void {
    if (this.preludeSent) return;
    this.preludeSent = true;
    this.post({ type: 'stream', id: this.id, prelude });
  }

  override _write(chunk: Buffer | string, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.setPrelude(this.contentType ? { headers: { 'content-type': this.contentType } } : {});
    this.post({ type: 'stream', id: this.id, chunk: typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk });
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.setPrelude(this.contentType ? { headers: { 'content-type': this.contentType } } : {});
    callback();
  }
}
