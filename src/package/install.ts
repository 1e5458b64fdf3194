import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readlink, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { makePrivateFolder, PRIVATE_FILE_MODE } from '../store/paths.js';
import { BamError } from '../core/errors.js';
import { localPackagesFingerprint } from './localPackages.js';
import type { Reporter } from '../ui/reporter.js';

export interface StagingPackageJson {
  name: string;
  version: string;
  private: true;
  type?: string;
  dependencies: Record<string, string>;
}

/** The package.json of a --no-bundle zip: only what the function imports, nothing else. */
export function stagingPackageJson(name: string, dependencies: Record<string, string>, type: string | undefined): StagingPackageJson {
  return { name: name.toLowerCase(), version: '1.0.0', private: true, ...(type ? { type } : {}), dependencies: sortedByName(dependencies) };
}

function sortedByName(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The machine Lambda runs the function on, which npm installs for (not the developer's). */
export type LambdaCpu = 'x64' | 'arm64';

export interface InstallOptions {
  /** Let npm run the dependencies' install scripts (the user opted in); otherwise --ignore-scripts. */
  installScripts: boolean;
  cpu: LambdaCpu;
  /** Lockfile integrity of each dependency, when the lockfile has one: part of what makes a set the same. */
  integrity?: Record<string, string>;
  /** The shared cache's folder for one dependency set (the store's cache/modules/KEY). */
  moduleCache: (key: string) => string;
}

/** A shared install: the folder npm installed into, and whether npm ran this time. */
export interface InstalledDependencies {
  /** `<cache>/node_modules`. */
  modulesDir: string;
  installed: boolean;
}

/**
 * node_modules for exactly this dependency set, from the shared cache under BAM_HOME (so two
 * functions with the same dependencies, or a deploy after `bam delete`, install once), else
 * npm-installed into it. The key is the names, versions, lockfile integrity, content of local
 * file: packages, the target platform and the scripts setting. Returns undefined for no
 * dependencies.
 */
export async function installDependencies(
  dependencies: Record<string, string>,
  reporter: Reporter | undefined,
  options: InstallOptions,
): Promise<InstalledDependencies | undefined> {
  if (Object.keys(dependencies).length === 0) return undefined;
  const packageJson = { name: 'bam-dependencies', version: '1.0.0', private: true, dependencies: sortedByName(dependencies) };
  const text = `${JSON.stringify(packageJson, null, 2)}\n`;
  const integrity = Object.keys(packageJson.dependencies).map((name) => `${name} ${options.integrity?.[name] ?? ''}`).join('\n');
  const fingerprint = localPackagesFingerprint(dependencies);
  // Scripts may compile native code for this Node's ABI; without them the install is ABI-free.
  const scripts = options.installScripts ? `scripts:${process.versions.modules}` : 'no-scripts';
  const key = createHash('sha256').update(`${LAMBDA_OS} ${options.cpu} ${LAMBDA_LIBC}\n${scripts}\n${text}\n${integrity}\n${fingerprint}`).digest('hex').slice(0, 32);
  const cacheDir = options.moduleCache(key);
  const modulesDir = join(cacheDir, 'node_modules');
  if (await isDirectory(modulesDir)) {
    reporter?.info('Dependencies installed before: reusing node_modules from bam\'s cache.');
    // The folder's date says when a build last used it (what pruning goes by).
    const now = new Date();
    await utimes(cacheDir, now, now).catch(() => undefined);
    return { modulesDir, installed: false };
  }
  // npm works in a folder of its own; the finished install appears under its key all at once.
  const workDir = `${cacheDir}.${process.pid}.${Date.now()}`;
  await makePrivateFolder(workDir);
  try {
    await writeFile(join(workDir, 'package.json'), text, { mode: PRIVATE_FILE_MODE });
    reporter?.info(`Running npm install for Lambda (linux ${options.cpu}) in ${cacheDir}`);
    await runNpmInstall(workDir, options, reporter);
    await mkdir(join(workDir, 'node_modules'), { recursive: true }); // npm leaves none when every package is skipped
    await rename(workDir, cacheDir).catch(async (err: NodeJS.ErrnoException) => {
      // Another bam finished the same set first: theirs is as good.
      if (!(await isDirectory(modulesDir))) throw err;
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  await pruneModuleCache(dirname(cacheDir), Date.now());
  return { modulesDir, installed: true };
}

/** A cached install no build has used for this long is removed the next time npm runs. */
export const UNUSED_CACHE_DAYS = 30;

/**
 * Removes the cached installs no build has used for UNUSED_CACHE_DAYS (by their folder's date,
 * which each reuse sets), so the cache does not grow forever. Only after an npm install, which
 * takes seconds anyway: listing the cache costs an unchanged build nothing. Best effort.
 */
async function pruneModuleCache(cacheRoot: string, now: number): Promise<void> {
  const names = await readdir(cacheRoot).catch(() => [] as string[]);
  await Promise.all(names.map(async (name) => {
    const path = join(cacheRoot, name);
    const info = await stat(path).catch(() => undefined);
    if (info && now - info.mtimeMs > UNUSED_CACHE_DAYS * 24 * 60 * 60 * 1000) await rm(path, { recursive: true, force: true }).catch(() => undefined);
  }));
}

const LAMBDA_OS = 'linux';
const LAMBDA_LIBC = 'glibc';

const isDirectory = (path: string): Promise<boolean> => stat(path).then((info) => info.isDirectory(), () => false);

/**
 * staging/NAME/node_modules points at the shared install, so the bundler resolves packages from
 * what Lambda gets; none when the function has no dependencies.
 */
export async function linkModules(stagingDir: string, modulesDir: string | undefined): Promise<void> {
  const link = join(stagingDir, 'node_modules');
  const current = await readlink(link).catch(() => undefined);
  if (current !== undefined && current === modulesDir) return;
  await rm(link, { recursive: true, force: true });
  if (modulesDir) await symlink(modulesDir, link, 'junction');
}

/**
 * `--install-links` copies `file:` packages in instead of symlinking them (a symlink to the
 * user's disk would be useless in the zip); no lockfile is written, staging is rebuilt anyway.
 */
const NPM_ARGS = ['install', '--omit=dev', '--no-audit', '--no-fund', '--no-package-lock', '--install-links', '--loglevel=error'];

/**
 * Packaging must not run code the user never chose to run: a dependency's preinstall, install
 * or postinstall script (or an implicit node-gyp build) runs only when package.json opts in.
 */
export function npmInstallArgs(dir: string, options: Pick<InstallOptions, 'installScripts' | 'cpu'>): string[] {
  // Lambda's platform, so packages with per-platform binaries (esbuild, sharp, swc) ship their Linux builds.
  const platform = [`--os=${LAMBDA_OS}`, `--cpu=${options.cpu}`, `--libc=${LAMBDA_LIBC}`];
  return [...NPM_ARGS, ...platform, ...(options.installScripts ? [] : ['--ignore-scripts']), '--prefix', dir];
}

async function runNpmInstall(dir: string, options: InstallOptions, reporter?: Reporter): Promise<void> {
  const { code, output } = await run('npm', npmInstallArgs(dir, options), dir);
  if (code === 0) return;
  if (output.trim() !== '') reporter?.warn(output.trimEnd());
  throw new BamError(
    `npm install failed: ${npmFailureSummary(output, code)}. ` +
      'Check the names of the packages your code imports and their versions in your package.json.',
  );
}

/** npm's detail lines (code, syscall, path, errno, the debug log) say nothing a person can act on. */
const NPM_DETAIL = /^(code|syscall|path|errno|A complete log)\b/;

/**
 * The line of npm's error output that says what went wrong, without npm's prefix, its tag
 * ("404", "notarget", "enoent") or a final full stop; the exit code when npm printed none.
 */
export function npmFailureSummary(output: string, code: number): string {
  for (const line of output.split('\n')) {
    const match = /^npm (?:error|ERR!)\s+(.*)$/.exec(line.trimEnd());
    const text = match?.[1]?.replace(/^[a-z0-9]+\s+(?=[A-Z0-9])/, '').replace(/\.$/, '');
    if (text && !NPM_DETAIL.test(text) && /\s/.test(text)) return text;
  }
  return `exit code ${code}`;
}

/** Runs a command with its output captured (stdout and stderr interleaved). */
function run(command: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: npmEnvironment(), stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (err) => reject(new BamError(`Could not run npm (${err.message}). Install Node.js with npm and try again.`, { cause: err })));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/**
 * When bam itself runs under npm (npm test, npx), npm's settings for THAT project leak in through
 * the environment; npm_config_local_prefix would make the install land there instead of staging.
 */
function npmEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^npm_(config_(local_prefix|prefix|global|location|workspaces?)|package_|lifecycle_)/i.test(key)) delete env[key];
  }
  return env;
}
