// The writer bam used before src/package/zip.ts was hand-written (archiver, level 3), kept only as
// the bench's "before" row. Same entries, dates and modes; archiver is a devDependency for this.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readlinkSync, readSync, writeSync } from 'node:fs';
import archiver from 'archiver';

const FIXED_DATE = new Date('1980-01-01T00:00:00Z');
const QUEUED_ENTRIES = 64;

/** Same result shape as writeDeterministicZip. */
export async function writeArchiverZip(entries, zipPath, { level = 3 } = {}) {
  const archive = archiver('zip', { zlib: { level } });
  const fd = openSync(zipPath, 'w');
  const hash = createHash('sha256');
  let pending = [];
  let pendingBytes = 0;
  let zipSize = 0;
  const flush = () => {
    const data = Buffer.concat(pending, pendingBytes);
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written);
    pending = [];
    pendingBytes = 0;
  };
  try {
    archive.on('data', (chunk) => {
      hash.update(chunk);
      pending.push(chunk);
      pendingBytes += chunk.length;
      zipSize += chunk.length;
      if (pendingBytes >= 1024 * 1024) flush();
    });
    const ended = new Promise((resolve, reject) => {
      archive.on('end', resolve);
      archive.on('error', reject);
    });
    // At most QUEUED_ENTRIES waiting in archiver's queue, as the old writer did.
    let waiting = 0;
    let wake;
    archive.on('entry', () => {
      waiting -= 1;
      wake?.();
    });
    let unzippedSize = 0;
    for (const entry of entries) {
      while (waiting >= QUEUED_ENTRIES) await new Promise((resolve) => (wake = resolve));
      waiting += 1;
      if (entry.kind === 'symlink') {
        archive.append(Buffer.alloc(0), { name: entry.name, date: FIXED_DATE, mode: 0o777, type: 'symlink', linkname: readlinkSync(entry.path) });
        continue;
      }
      const data = readWhole(entry.path);
      unzippedSize += data.data.length;
      archive.append(data.data, { name: entry.name, date: FIXED_DATE, mode: data.mode & 0o100 ? 0o755 : 0o644 });
    }
    await Promise.all([archive.finalize(), ended]);
    flush();
    return { zipPath, zipSize, unzippedSize, codeSha256: hash.digest('base64') };
  } finally {
    closeSync(fd);
  }
}

function readWhole(path) {
  const fd = openSync(path, 'r');
  try {
    const { mode, size } = fstatSync(fd);
    const data = Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, data, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return { data: data.subarray(0, read), mode };
  } finally {
    closeSync(fd);
  }
}
