import { randomBytes } from 'node:crypto';
import { UsageError } from '../core/errors.js';
import { buildProxyEvent } from './apiEvent.js';
import { buildUrlEvent } from './urlEvent.js';
import { localUrlId } from './urlServer.js';

/** Where bam dev listens by default: a sample event looks like a request to it. */
const DEV_PORT = 3000;
const SOURCE_IP = '127.0.0.1';

/** A request as `bam invoke --sample` reads it: `api`, `url`, `get /path?x=1` or `post /path BODY`. */
export interface SampleRequest {
  /** The event's shape: a REST proxy event (api) or a function URL's payload format 2.0 (url). */
  shape: 'api' | 'url';
  method: string;
  path: string;
  query: string;
  body: string;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/**
 * Reads --sample. A method and path gives the shape the function is served with (`servedAsUrl`:
 * bam dev serves it as a function URL), as bam dev would build it for that request.
 */
export function parseSample(text: string, servedAsUrl: boolean): SampleRequest {
  const trimmed = text.trim();
  if (trimmed === 'api' || trimmed === 'url') return { shape: trimmed, method: 'GET', path: '/', query: '', body: '' };
  const match = /^(\S+)\s+(\/\S*)(?:\s+([\s\S]*))?$/.exec(trimmed);
  const method = match?.[1]?.toUpperCase() ?? '';
  if (!match || !METHODS.includes(method)) throw new UsageError(`--sample "${text}" is not a sample: give api, url, or a method and path such as "get /items?x=1" or 'post /items {"name":"Ada"}'.`);
  const target = match[2] ?? '/';
  const at = target.indexOf('?');
  return { shape: servedAsUrl ? 'url' : 'api', method, path: at < 0 ? target : target.slice(0, at), query: at < 0 ? '' : target.slice(at + 1), body: match[3] ?? '' };
}

/** The headers curl sends to bam dev, and a JSON body's type and length. */
function sampleHeaders(request: SampleRequest): string[] {
  const headers = ['Host', `127.0.0.1:${DEV_PORT}`, 'User-Agent', 'curl/8.5.0', 'Accept', '*/*'];
  if (request.body !== '') headers.push('Content-Type', looksLikeJson(request.body) ? 'application/json' : 'text/plain', 'Content-Length', String(Buffer.byteLength(request.body)));
  return headers;
}

function looksLikeJson(body: string): boolean {
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}

/** The event bam dev hands the function for this request, built by the same builders it uses. */
export function sampleEvent(request: SampleRequest, fn: { name: string; accountId: string; region: string }, now = new Date()): unknown {
  const body = Buffer.from(request.body, 'utf8');
  const rawHeaders = sampleHeaders(request);
  if (request.shape === 'url') {
    return buildUrlEvent({ method: request.method, rawPath: request.path, rawQueryString: request.query, rawHeaders, body, sourceIp: SOURCE_IP, accountId: fn.accountId, urlId: localUrlId(fn.name), region: fn.region }, now);
  }
  // bam dev picks a random API id per run, as a new REST API would get.
  const apiId = randomBytes(8).toString('hex').slice(0, 10);
  return buildProxyEvent({ method: request.method, path: request.path, query: request.query, rawHeaders, body, sourceIp: SOURCE_IP, localPort: DEV_PORT, accountId: fn.accountId, apiId }, now);
}
