import { chmod, mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** Where each file of the store lives under its root (the .bam directory cli.ts picked). */
export interface StorePaths {
  config: () => string;
  lambdas: () => string;
  dbTables: () => string;
  lock: () => string;
  intents: () => string;
  /** One lease per resource name, held by the command working on it (names are file-safe). */
  lease: (kind: string, region: string, name: string) => string;
  staging: (name: string) => string;
  /** One npm install per exact dependency set, shared by every function (and kept across bam delete). */
  moduleCache: (key: string) => string;
  devDb: () => string;
  /** One file per running bam dev: where its local Lambda API listens and what it serves. */
  devEndpoints: () => string;
  devEndpoint: (lambdaPort: number) => string;
  /** bam dev's bundle of a function (its own folder per bam dev or bam invoke process). */
  devBuild: (name: string) => string;
  /** Where those per-process folders are (named by process id). */
  devBuilds: () => string;
}

export function storePathsIn(root: string): StorePaths {
  return {
    config: () => join(root, 'config.json'),
    lambdas: () => join(root, 'lambdas.json'),
    dbTables: () => join(root, 'dbTables.json'),
    lock: () => join(root, 'records.lock'),
    intents: () => join(root, 'intents.json'),
    lease: (kind, region, name) => join(root, 'leases', `${kind}.${region}.${name}.lock`),
    staging: (name) => join(root, 'staging', name),
    moduleCache: (key) => join(root, 'cache', 'modules', key),
    devDb: () => join(root, 'dev-db'),
    devEndpoints: () => join(root, 'dev-endpoints'),
    devEndpoint: (lambdaPort) => join(root, 'dev-endpoints', `${lambdaPort}.json`),
    devBuild: (name) => join(root, 'dev-build', String(process.pid), name),
    devBuilds: () => join(root, 'dev-build'),
  };
}

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
