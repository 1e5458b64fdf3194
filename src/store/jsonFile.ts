import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BamError, errorMessage } from '../core/errors.js';
import { makePrivateFolder, PRIVATE_FILE_MODE } from './paths.js';

/**
 * Reads a JSON record file. Missing → undefined. Unparseable or of the wrong shape → an error
 * naming the file; the file is left exactly as it is so nothing the user had is lost.
 */
export async function readJsonFile<T>(file: string, validate: (value: unknown) => string | undefined): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new BamError(`Cannot read ${file}: ${errorMessage(err)}`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BamError(`${file} is not valid JSON (${errorMessage(err)}). Fix or move the file; bam left it untouched.`, { cause: err });
  }
  const problem = validate(value);
  if (problem) {
    throw new BamError(`${file} is not a valid bam record: ${problem}. Fix or move the file; bam left it untouched.`);
  }
  return value as T;
}

/**
 * Writes JSON atomically: a temporary file beside the target, fsync, rename, fsync the folder.
 * A crash at any point leaves either the old file or the new one, never a truncated mix.
 * The file is 0600 (and a folder it creates 0700) whatever the umask.
 */
export async function writeJsonFileAtomic(file: string, value: unknown): Promise<void> {
  const dir = dirname(file);
  await makePrivateFolder(dir);
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'w', PRIVATE_FILE_MODE);
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
    await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  // Makes the rename itself durable; not every platform lets a directory be opened for this.
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* best effort */
  }
}
