import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import archiver from 'archiver';
import { BamError } from '../ui/errors.js';

/** Lambda's limits for a zip uploaded directly (not through S3). */
export const MAX_ZIPPED_BYTES = 50 * 1024 * 1024;
export const MAX_UNZIPPED_BYTES = 250 * 1024 * 1024;

/** Every entry gets this date, so the bytes depend on content only (the DOS epoch). */
const FIXED_DATE = new Date('1980-01-01T00:00:00Z');
/** How many files are read ahead of the (sequential) archiver queue. */
const READ_AHEAD = 64;

export interface ZipEntry {
  /** Path in the zip, with `/`. */
  name: string;
  path: string;
  kind: 'file' | 'symlink';
}

export interface ZipResult {
  zipPath: string;
  zipSize: number;
  unzippedSize: number;
  /** base64 SHA-256 of the zip, as Lambda reports CodeSha256. */
  codeSha256: string;
}

/** Files and symlinks under a folder, sorted by zip name; `excluded` names at its root are left out. */
export async function listZipEntries(root: string, excluded: Set<string> = new Set()): Promise<ZipEntry[]> {
  const entries: ZipEntry[] = [];
  const visit = async (relativeDir: string): Promise<void> => {
    const dirents = await readdir(join(root, relativeDir), { withFileTypes: true });
    await Promise.all(dirents.map(async (dirent) => {
      if (relativeDir === '' && excluded.has(dirent.name)) return;
      const name = relativeDir === '' ? dirent.name : `${relativeDir}/${dirent.name}`;
      if (dirent.isDirectory()) await visit(name);
      else if (dirent.isFile()) entries.push({ name, path: join(root, name), kind: 'file' });
      else if (dirent.isSymbolicLink()) entries.push({ name, path: join(root, name), kind: 'symlink' });
    }));
  };
  await visit('');
  // Code-unit order, not locale order: the same on every machine.
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Writes a deterministic zip: entries in the given order, one fixed date, modes 0644 (0755 when
 * the owner may execute), symlinks kept as links. Same files → same bytes → same CodeSha256.
 */
export async function writeDeterministicZip(entries: ZipEntry[], zipPath: string): Promise<ZipResult> {
  const archive = archiver('zip', { zlib: { level: 6 } });
  const output = createWriteStream(zipPath);
  const hash = createHash('sha256');
  let zipSize = 0;
  archive.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    zipSize += chunk.length;
  });
  const written = new Promise<void>((resolve, reject) => {
    output.on('close', resolve);
    output.on('error', reject);
    archive.on('error', reject);
  });
  written.catch(() => undefined); // awaited at the end; a failure also stops the loop via queue.room()
  archive.pipe(output);
  const queue = new Backpressure(archive, READ_AHEAD);

  let unzippedSize = 0;
  // Reads run ahead in parallel while archiver consumes them in order.
  const loads = new Map<number, Promise<LoadedEntry>>();
  const load = (i: number): void => {
    const entry = entries[i];
    if (!entry) return;
    const loading = loadEntry(entry);
    // Awaited in order below; until then a failure must not count as unhandled.
    loading.catch(() => undefined);
    loads.set(i, loading);
  };
  for (let i = 0; i < Math.min(READ_AHEAD, entries.length); i += 1) load(i);
  for (let i = 0; i < entries.length; i += 1) {
    const loaded = await loads.get(i)!;
    loads.delete(i);
    load(i + READ_AHEAD);
    unzippedSize += loaded.data.length;
    await queue.room();
    archive.append(loaded.data, loaded.options);
  }
  await Promise.all([archive.finalize(), written]);
  return { zipPath, zipSize, unzippedSize, codeSha256: hash.digest('base64') };
}

/** Keeps at most `limit` entries waiting in archiver's queue, so memory stays bounded. */
class Backpressure {
  private waiting = 0;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(archive: archiver.Archiver, private readonly limit: number) {
    archive.on('entry', () => {
      this.waiting -= 1;
      this.notify();
    });
    archive.on('error', (err: Error) => {
      this.failure = err;
      this.notify();
    });
  }

  async room(): Promise<void> {
    while (this.waiting >= this.limit && this.failure === undefined) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.failure !== undefined) throw this.failure;
    this.waiting += 1;
  }

  private notify(): void {
    this.wake?.();
    this.wake = undefined;
  }
}

interface LoadedEntry {
  data: Buffer;
  options: archiver.EntryData & { type?: 'file' | 'symlink'; linkname?: string };
}

async function loadEntry(entry: ZipEntry): Promise<LoadedEntry> {
  if (entry.kind === 'symlink') {
    const linkname = await readlink(entry.path);
    return { data: Buffer.alloc(0), options: { name: entry.name, date: FIXED_DATE, mode: 0o777, type: 'symlink', linkname } };
  }
  const [data, info] = await Promise.all([readFile(entry.path), stat(entry.path)]);
  return { data, options: { name: entry.name, date: FIXED_DATE, mode: info.mode & 0o100 ? 0o755 : 0o644 } };
}

/** Refuses a package Lambda would refuse, naming both sizes. */
export function checkSizeLimits(zipSize: number, unzippedSize: number): void {
  if (zipSize <= MAX_ZIPPED_BYTES && unzippedSize <= MAX_UNZIPPED_BYTES) return;
  throw new BamError(
    `The package is too big for Lambda: ${megabytes(zipSize)} zipped (limit 50 MB) and ${megabytes(unzippedSize)} unzipped (limit 250 MB). ` +
      'Remove large files (list them in .bamignore) or dependencies you do not use.',
  );
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The CodeSha256 of bytes already in memory (for comparing with what Lambda reports). */
export function codeSha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('base64');
}

