import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { MAX_ZIPPED_BYTES } from '../package/zip.js';
import { BamError, errorMessage } from '../core/errors.js';

export const downloadSettings = {
  /** GetFunction's code link is valid for 10 minutes; a download slower than this is stuck. */
  timeoutMs: 5 * 60_000,
  /**
   * Lambda's limit for a zip uploaded directly (what bam deploys): a bigger download is not code
   * bam made, or not code at all, and is stopped rather than left to fill the disk.
   */
  maxBytes: MAX_ZIPPED_BYTES,
};

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** True when the user points the SDK at a plain-http emulator (LocalStack and the like). */
function usesHttpEmulator(env: NodeJS.ProcessEnv): boolean {
  return [env.AWS_ENDPOINT_URL_LAMBDA, env.AWS_ENDPOINT_URL].some((url) => url?.startsWith('http://'));
}

/**
 * The code location as a URL we are willing to fetch: HTTPS (AWS gives a presigned S3 link),
 * or plain http only to this machine or to an http emulator the user configured.
 */
export function checkCodeLocation(location: string, env: NodeJS.ProcessEnv = process.env): URL {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new BamError(`AWS returned a code location that is not a URL ("${location.slice(0, 80)}"). Try again, or download the code from the Lambda console.`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && (LOOPBACK.has(url.hostname) || usesHttpEmulator(env))) return url;
  throw new BamError(`Refused to download the code from ${url.protocol}//${url.host}: bam only downloads over HTTPS.`);
}

/**
 * Streams the URL into `file`, stopping at `downloadSettings.maxBytes`; a non-200 answer, an
 * oversize body or a network failure is one clear BamError.
 */
export async function downloadTo(url: URL, file: string, name: string): Promise<void> {
  let response: Response;
  try {
    // No redirects: a presigned S3 link answers directly, and a redirect could leave HTTPS.
    response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(downloadSettings.timeoutMs) });
  } catch (err) {
    throw new BamError(`Downloading the code of "${name}" from ${url.host} failed: ${failureCause(err)}. Check your connection and run bam get ${name} again.`, {
      cause: err,
    });
  }
  if (!response.ok || !response.body) {
    throw new BamError(`Downloading the code of "${name}" failed: HTTP ${response.status}. The link lasts 10 minutes; run bam get ${name} again.`);
  }
  const { maxBytes } = downloadSettings;
  const tooBig = (): BamError =>
    new BamError(`The code of "${name}" is over ${megabytes(maxBytes)}, Lambda's limit for a zip: bam get stopped the download. Nothing was written.`);
  const announced = Number(response.headers.get('content-length') ?? NaN);
  if (announced > maxBytes) {
    await response.body.cancel().catch(() => {});
    throw tooBig();
  }
  try {
    await pipeline(Readable.fromWeb(response.body as ReadableStream<Uint8Array>), stopAfter(maxBytes, tooBig), createWriteStream(file, { flags: 'wx', mode: 0o600 }));
  } catch (err) {
    if (err instanceof BamError) throw err;
    throw new BamError(`Downloading the code of "${name}" from ${url.host} failed half-way: ${failureCause(err)}. Run bam get ${name} again.`, { cause: err });
  }
}

/**
 * What went wrong under fetch's bare "fetch failed": the network error it wraps ("getaddrinfo
 * ENOTFOUND host", "connect ECONNREFUSED ...") with its code when the message lacks it.
 */
export function failureCause(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
  if (!cause) return errorMessage(err);
  const code = (cause as NodeJS.ErrnoException).code;
  const message = errorMessage(cause);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/** Passes bytes through until more than `limit` have come, then fails (which cancels the fetch). */
function stopAfter(limit: number, tooBig: () => Error): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limit) done(tooBig());
      else done(null, chunk);
    },
  });
}

function megabytes(bytes: number): string {
  const mb = bytes / 1024 / 1024;
  return Number.isInteger(mb) ? `${mb} MB` : `${bytes} bytes`;
}
