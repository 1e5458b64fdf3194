import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { BamError, errorMessage } from '../ui/errors.js';

/** GetFunction's code link is valid for 10 minutes; a download slower than this is stuck. */
export const downloadSettings = { timeoutMs: 5 * 60_000 };

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

/** Streams the URL into `file`; a non-200 answer or a network failure is one clear BamError. */
export async function downloadTo(url: URL, file: string, name: string): Promise<void> {
  let response: Response;
  try {
    // No redirects: a presigned S3 link answers directly, and a redirect could leave HTTPS.
    response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(downloadSettings.timeoutMs) });
  } catch (err) {
    throw new BamError(`Downloading the code of "${name}" failed (${errorMessage(err)}). Check your connection and run bam get ${name} again.`, { cause: err });
  }
  if (!response.ok || !response.body) {
    throw new BamError(`Downloading the code of "${name}" failed: HTTP ${response.status}. The link lasts 10 minutes; run bam get ${name} again.`);
  }
  try {
    await pipeline(Readable.fromWeb(response.body as ReadableStream<Uint8Array>), createWriteStream(file, { flags: 'wx' }));
  } catch (err) {
    throw new BamError(`Downloading the code of "${name}" failed half-way (${errorMessage(err)}). Run bam get ${name} again.`, { cause: err });
  }
}
