import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { MAX_UNZIPPED_BYTES } from '../package/zip.js';
import { BamError, errorMessage } from '../core/errors.js';

/** Lambda's own limit on a function's unzipped code; anything bigger is not a real package. */
export const UNZIPPED_LIMIT_BYTES = MAX_UNZIPPED_BYTES;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const SYMLINK = 'a symbolic link';

/** Unix mode bits a zip entry carries in the upper half of its external attributes (0 if none). */
export function entryMode(entry: Pick<Entry, 'externalFileAttributes'>): number {
  return (entry.externalFileAttributes >>> 16) & 0xffff;
}

/**
 * Why an entry may not be unpacked, or undefined when it is a plain file or folder that stays
 * inside the target: no `..`, no absolute path or drive letter, no backslash (Windows would read
 * it as a separator), no symlink or other special file.
 */
export function unsafeEntryReason(fileName: string, mode: number): string | undefined {
  if (fileName === '' || fileName.includes('\0')) return 'an empty or invalid name';
  if (fileName.includes('\\')) return 'a backslash in its path';
  if (/^[A-Za-z]:/.test(fileName)) return 'a drive letter';
  if (fileName.startsWith('/')) return 'an absolute path';
  if (fileName.split('/').includes('..')) return 'a ".." in its path';
  const type = mode & S_IFMT;
  if (type === S_IFLNK) return SYMLINK;
  if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) return 'a special file type';
  return undefined;
}

/** An entry and its decoded name; the name is checked by bam, not left to the zip library. */
interface NamedEntry {
  entry: Entry;
  name: string;
}

// yauzl's own decoder (UTF-8 flag, Info-ZIP Unicode path, else CP437); @types/yauzl lacks it.
const { getFileNameLowLevel } = yauzl as unknown as {
  getFileNameLowLevel: (flags: number, raw: Buffer, extraFields: Entry['extraFields'], keepBackslashes: boolean) => string;
};

function openZip(file: string): Promise<ZipFile> {
  return new Promise((done, fail) => {
    // decodeStrings off: names arrive raw and are decoded and judged below, backslashes kept.
    yauzl.open(file, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true }, (err, zip) =>
      err ? fail(err) : done(zip),
    );
  });
}

function readAllEntries(zip: ZipFile): Promise<NamedEntry[]> {
  return new Promise((done, fail) => {
    const entries: NamedEntry[] = [];
    zip.on('entry', (entry: Entry) => {
      const raw = entry.fileName as unknown as Buffer;
      entries.push({ entry, name: getFileNameLowLevel(entry.generalPurposeBitFlag, raw, entry.extraFields, true) });
      zip.readEntry();
    });
    zip.once('end', () => done(entries));
    zip.once('error', fail);
    zip.readEntry();
  });
}

function openEntry(zip: ZipFile, entry: Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((done, fail) => {
    zip.openReadStream(entry, (err, stream) => (err ? fail(err) : done(stream)));
  });
}

/**
 * npm links every dependency's command into node_modules/.bin, so most packages hold links there.
 * bam never creates a link from a download; these are skipped rather than refused, as redeploy
 * reinstalls node_modules anyway (staging never copies it). A link anywhere else refuses the zip.
 */
function isInstalledLink(name: string, mode: number): boolean {
  return (mode & S_IFMT) === S_IFLNK && name.split('/').includes('node_modules');
}

/** Every entry is checked before anything is written: a bad zip leaves nothing behind. */
function checkEntries(entries: NamedEntry[], target: string): void {
  let total = 0;
  for (const { entry, name } of entries) {
    const mode = entryMode(entry);
    const reason = unsafeEntryReason(name, mode) ?? (entry.isEncrypted() ? 'encryption' : undefined);
    if (reason && !(reason === SYMLINK && isInstalledLink(name, mode))) {
      throw new BamError(`Refused to unpack the code: zip entry "${name}" has ${reason}. Nothing was written.`);
    }
    // Belt and braces: whatever the name rules miss, the resolved path must stay inside.
    const inside = relative(target, resolve(target, name));
    if (inside.startsWith('..') || isAbsolute(inside)) {
      throw new BamError(`Refused to unpack the code: zip entry "${name}" points outside the folder. Nothing was written.`);
    }
    total += entry.uncompressedSize;
  }
  if (total > UNZIPPED_LIMIT_BYTES) {
    throw new BamError(`Refused to unpack the code: it claims ${Math.round(total / 1024 / 1024)} MB unzipped, over Lambda's 250 MB limit. Nothing was written.`);
  }
}

/** Plain permissions only (an executable bit survives; setuid and world-writable do not). */
function fileMode(entry: Entry): number {
  const mode = entryMode(entry) & 0o777;
  return mode === 0 ? 0o644 : (mode & 0o755) | 0o600;
}

/** Bytes written so far, against Lambda's unzipped limit (whatever the entries claimed). */
interface Budget {
  written: number;
}

/**
 * Passes an entry's bytes through, counting them against the budget, and fails at the end when
 * their CRC-32 is not the one the zip recorded (yauzl reads sizes, not checksums): a corrupt
 * download never passes for code.
 */
function verifyEntry(name: string, expectedCrc: number, budget: Budget): Transform {
  let crc = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      budget.written += chunk.length;
      if (budget.written > UNZIPPED_LIMIT_BYTES) {
        done(new BamError(`Refused to unpack the code: it holds more than Lambda's 250 MB unzipped. Nothing was written.`));
        return;
      }
      crc = crc32(chunk, crc);
      done(null, chunk);
    },
    flush(done) {
      if (crc >>> 0 === expectedCrc >>> 0) done();
      else done(new BamError(`Refused to unpack the code: zip entry "${name}" is corrupt (its CRC-32 does not match). Nothing was written.`));
    },
  });
}

export interface Unpacked {
  /** Files written (relative paths). */
  files: string[];
  /** npm's links under node_modules, not created. */
  skippedLinks: string[];
}

/**
 * Unpacks `zipFile` into the existing, empty folder `target`. Throws BamError before writing
 * anything when an entry is unsafe; an entry found corrupt (or too big) while unpacking leaves
 * `target` empty again.
 */
export async function unzipSafely(zipFile: string, target: string): Promise<Unpacked> {
  let zip: ZipFile | undefined;
  try {
    zip = await openZip(zipFile);
    const entries = await readAllEntries(zip);
    checkEntries(entries, target);
    const written: string[] = [];
    const skippedLinks: string[] = [];
    const budget: Budget = { written: 0 };
    for (const { entry, name } of entries) {
      if (isInstalledLink(name, entryMode(entry))) {
        skippedLinks.push(name);
        continue;
      }
      const path = resolve(target, name);
      if (name.endsWith('/')) {
        await mkdir(path, { recursive: true });
        continue;
      }
      await mkdir(dirname(path), { recursive: true });
      // 'wx': never follow or overwrite something already there (duplicate entries included).
      await pipeline(await openEntry(zip, entry), verifyEntry(name, entry.crc32, budget), createWriteStream(path, { flags: 'wx', mode: fileMode(entry) }));
      written.push(name);
    }
    return { files: written, skippedLinks };
  } catch (err) {
    await emptyFolder(target);
    if (err instanceof BamError) throw err;
    throw new BamError(`Could not unpack the code: ${errorMessage(err)}. Nothing was written.`, { cause: err });
  } finally {
    zip?.close();
  }
}

async function emptyFolder(folder: string): Promise<void> {
  const names = await readdir(folder).catch(() => []);
  await Promise.all(names.map((name) => rm(join(folder, name), { recursive: true, force: true })));
}
