import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE } from '../store/paths.js';
import { BamError } from '../core/errors.js';
import type { Reporter } from '../ui/reporter.js';
import { INSTALL_STAMP } from './stage.js';

export interface StagingPackageJson {
  name: string;
  version: string;
  private: true;
  type?: string;
  dependencies: Record<string, string>;
}

/** The package.json written into staging: only what the function imports, nothing else. */
export function stagingPackageJson(name: string, dependencies: Record<string, string>, type: string | undefined): StagingPackageJson {
  const sorted = Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { name: name.toLowerCase(), version: '1.0.0', private: true, ...(type ? { type } : {}), dependencies: sorted };
}

export interface InstallOptions {
  /** Let npm run the dependencies' install scripts (the user opted in); otherwise --ignore-scripts. */
  installScripts: boolean;
}

/**
 * Writes package.json and runs npm install in staging, unless node_modules already holds exactly
 * this dependency set (same package.json, same Node, same scripts setting, unchanged local file:
 * packages) from an earlier run. Returns whether npm ran.
 */
export async function installDependencies(
  stagingDir: string,
  packageJson: StagingPackageJson,
  reporter?: Reporter,
  options: InstallOptions = { installScripts: false },
): Promise<boolean> {
  const text = `${JSON.stringify(packageJson, null, 2)}\n`;
  await writeFile(join(stagingDir, 'package.json'), text, { mode: PRIVATE_FILE_MODE });
  const stampPath = join(stagingDir, INSTALL_STAMP);
  const modulesDir = join(stagingDir, 'node_modules');
  if (Object.keys(packageJson.dependencies).length === 0) {
    await rm(modulesDir, { recursive: true, force: true });
    await rm(stampPath, { force: true });
    return false;
  }
  const fingerprint = await localPackagesFingerprint(packageJson.dependencies);
  const stamp = createHash('sha256').update(`${process.version}\nscripts:${options.installScripts}\n${text}\n${fingerprint}`).digest('hex');
  const previous = await readFile(stampPath, 'utf8').catch(() => '');
  const installed = await access(modulesDir).then(() => true, () => false);
  if (previous === stamp && installed) {
    reporter?.info('Dependencies unchanged since the last packaging: reusing node_modules.');
    return false;
  }
  await rm(stampPath, { force: true });
  await rm(modulesDir, { recursive: true, force: true });
  reporter?.info(`Running npm install in ${stagingDir}`);
  await runNpmInstall(stagingDir, options, reporter);
  await writeFile(stampPath, stamp, { mode: PRIVATE_FILE_MODE });
  return true;
}

/**
 * Sizes and dates of every file in the local (file:) packages: their content can change while
 * the spec stays the same, and then the copy in node_modules must be replaced.
 */
async function localPackagesFingerprint(dependencies: Record<string, string>): Promise<string> {
  const lines: string[] = [];
  const visit = async (path: string): Promise<void> => {
    const info = await stat(path).catch(() => undefined);
    if (!info?.isDirectory()) {
      lines.push(`${path} ${info ? `${info.size}:${info.mtimeMs}` : 'missing'}`);
      return;
    }
    const names = await readdir(path);
    await Promise.all(names.filter((n) => n !== 'node_modules' && n !== '.git').map((n) => visit(join(path, n))));
  };
  for (const spec of Object.values(dependencies)) {
    const path = /^file:(.*)$/.exec(spec)?.[1];
    if (path !== undefined) await visit(path);
  }
  return lines.sort().join('\n');
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
export function npmInstallArgs(stagingDir: string, options: InstallOptions): string[] {
  return [...NPM_ARGS, ...(options.installScripts ? [] : ['--ignore-scripts']), '--prefix', stagingDir];
}

async function runNpmInstall(stagingDir: string, options: InstallOptions, reporter?: Reporter): Promise<void> {
  const { code, output } = await run('npm', npmInstallArgs(stagingDir, options), stagingDir);
  if (code === 0) return;
  if (output.trim() !== '') reporter?.warn(output.trimEnd());
  throw new BamError(
    `npm install failed in ${stagingDir}: ${npmFailureSummary(output, code)}. ` +
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
