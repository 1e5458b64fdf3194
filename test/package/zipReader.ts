import yauzl from 'yauzl';

export interface ReadEntry {
  name: string;
  /** Unix mode from the external attributes. */
  mode: number;
  /** Raw DOS date/time fields as stored. */
  dosDate: number;
  dosTime: number;
  content: Buffer;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  crc32: number;
  versionMadeBy: number;
  versionNeeded: number;
  flags: number;
}

/** Every entry of a zip in stored order, with its content (tests only). */
export function readZipEntries(path: string): Promise<ReadEntry[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const entries: ReadEntry[] = [];
      zip.on('error', reject);
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (streamErr, stream) => {
          if (streamErr) return reject(streamErr);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', reject);
          stream.on('end', () => {
            entries.push({
              name: entry.fileName,
              mode: (entry.externalFileAttributes >>> 16) & 0o177777,
              dosDate: entry.lastModFileDate,
              dosTime: entry.lastModFileTime,
              content: Buffer.concat(chunks),
              method: entry.compressionMethod,
              compressedSize: entry.compressedSize,
              crc32: entry.crc32,
              versionMadeBy: entry.versionMadeBy,
              versionNeeded: entry.versionNeededToExtract,
              flags: entry.generalPurposeBitFlag,
            });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}
