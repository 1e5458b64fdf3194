import { chmod, mkdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** The .bam directory: machine-wide as in BAM!, `BAM_HOME` overrides it (tests always do). */
export function bamHome(): string {
  return process.env.BAM_HOME || join(homedir(), '.bam');
}

export const storePaths = {
  config: () => join(bamHome(), 'config.json'),
  lambdas: () => join(bamHome(), 'lambdas.json'),
  dbTables: () => join(bamHome(), 'dbTables.json'),
  lock: () => join(bamHome(), 'records.lock'),
  intents: () => join(bamHome(), 'intents.json'),
  /** One lease per resource name, held by the command working on it (names are file-safe). */
  lease: (kind: string, region: string, name: string) => join(bamHome(), 'leases', `${kind}.${region}.${name}.lock`),
  staging: (name: string) => join(bamHome(), 'staging', name),
  /** One npm install per exact dependency set, shared by every function (and kept across bam delete). */
  moduleCache: (key: string) => join(bamHome(), 'cache', 'modules', key),
  devDb: () => join(bamHome(), 'dev-db'),
};

/**
 * The store holds the account number, function settings (environment variables included), staged
 * code and local table data: only its owner may read it, whatever the umask says.
 */
export const PRIVATE_FOLDER_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * `mkdir -p` whose new folders are 0700. A folder is made one level at a time and set again after
 * mkdir, as mkdir's mode passes through the umask (000 would share it, 277 would lock bam out);
 * folders that already exist keep theirs.
 */
export async function makePrivateFolder(folder: string): Promise<void> {
  const missing: string[] = [];
  for (let dir = resolve(folder); !(await exists(dir)); dir = dirname(dir)) {
    missing.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing) {
    try {
      await mkdir(dir, { mode: PRIVATE_FOLDER_MODE });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue; // another bam made it first
      throw err;
    }
    await chmod(dir, PRIVATE_FOLDER_MODE);
  }
}

/** Anything but "no such file" counts as there: mkdir will say what is wrong. */
function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (err: NodeJS.ErrnoException) => err.code !== 'ENOENT',
  );
}
