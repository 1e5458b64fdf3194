import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Store } from '../store/store.js';
import { DEFAULT_RUNTIME } from '../core/runtimes.js';
import type { Reporter } from '../ui/reporter.js';
import type { BuiltResult } from './build.js';
import { buildFingerprint, readLocalImports, toolVersions, unchangedBuild, writeBuildStamp } from './buildStamp.js';
import { displayPathOf } from './displayPath.js';
import type { LambdaCpu } from './install.js';
import { localPackagesFingerprint } from './localPackages.js';
import { findSource, sourceFolder, type FunctionSource } from './source.js';
import { findFunctionFiles, stageFiles, zipFileName, type FunctionFile } from './stage.js';
import { findTsConfig } from './tsconfig.js';
import { readUserPackage } from './userPackage.js';

export interface PackageResult {
  name: string;
  source: FunctionSource;
  stagingDir: string;
  zipPath: string;
  zipSize: number;
  unzippedSize: number;
  /** base64 SHA-256 of the zip, like Lambda's CodeSha256. */
  codeSha256: string;
  /** From `// description:` in the entry file; '' when none. */
  description: string;
  /** Package name → version spec installed. */
  dependencies: Record<string, string>;
  /** Some staged file imports a DynamoDB client (so the function needs a role that may use tables). */
  usesDynamoDb: boolean;
  /** One esbuild bundle (false with --no-bundle). */
  bundled: boolean;
  /** The packages shipped in node_modules beside the bundle (native addons, --external, bam.external). */
  external: string[];
  /** The bundle's source map in staging (never in the zip); undefined with --no-bundle. */
  sourceMapPath: string | undefined;
  /** index.mjs or index.js: the file the source map describes; undefined with --no-bundle. */
  bundleName: string | undefined;
}

/** The packaging flags of deploy, redeploy and package. */
export interface BuildFlags {
  /** false (--no-bundle): the files as they are plus node_modules (TypeScript compiled file by file). */
  bundle?: boolean;
  /** Packages to ship in node_modules instead of bundling (--external, repeatable). */
  external?: string[];
}

export interface PackageOptions extends BuildFlags {
  cwd: string;
  src?: string;
  reporter?: Reporter;
  /** Where the function is staged (its folder under the store's staging/) and its modules cached. */
  store: Store;
  /** The function's runtime (nodejs22.x, ...): the bundle targets its Node major. Default: bam's default runtime. */
  runtime?: string;
  /** Lambda's architecture the dependencies are installed for (x64 unless arm64). */
  cpu?: LambdaCpu;
}

/**
 * From the user's file to a zip Lambda accepts, without touching AWS and without running the
 * user's code: find, stage, check the handler, detect and install dependencies, bundle, zip.
 */
export async function packageFunction(name: string, options: PackageOptions): Promise<PackageResult> {
  const { reporter } = options;
  const source = await findSource(name, options);
  const stagingDir = options.store.paths.staging(name);
  const zipPath = join(stagingDir, zipFileName(name));
  // Stat calls only until the stamp has had its say: an unchanged function touches no staging.
  // A single file's own modules are the ones its last build found (one that changed rebuilds).
  const found = await findFunctionFiles(source, source.kind === 'file' ? readLocalImports(stagingDir) : []);
  const folder = sourceFolder(source);
  const tsconfig = await findTsConfig(folder);
  const userPackage = await readUserPackage(folder);

  // Nothing the build reads has changed since the last one: its zip is this one.
  const settings = { bundle: options.bundle !== false, external: [...(options.external ?? [])].sort(), runtime: options.runtime ?? DEFAULT_RUNTIME, cpu: options.cpu ?? 'x64' };
  // A FunctionFile is a StagedFile: the thousands of them are not copied.
  const fingerprintOf = (files: FunctionFile[]): string => buildFingerprint({ staged: files, options: settings, tsconfig: tsconfig?.path, userPackage, localPackages: localPackagesFingerprint(userPackage.specs) });
  const tools = toolVersions();
  const fingerprint = fingerprintOf(found);
  const previous = unchangedBuild<BuiltResult>(stagingDir, fingerprint, tools, zipPath);
  if (previous) {
    reporter?.info('Nothing changed since the last packaging: reusing its zip.');
    return { ...previous.result, name, source, stagingDir, zipPath };
  }

  // Something changed: a single file's imports are read again (an edit may import another module).
  const localImports = source.kind === 'file' ? await (await import('./localImports.js')).localImportsOf(source, { cwd: options.cwd, compile: tsconfig?.compile ?? {} }) : [];
  const files = source.kind === 'file' ? await findFunctionFiles(source, localImports) : found;
  const staged = await stageFiles(source, stagingDir, files);
  const { buildFunction } = await import('./build.js');
  const built = await buildFunction({ name, source, stagingDir, zipPath, staged, tsconfig, userPackage, settings, cwd: options.cwd, reporter, moduleCache: options.store.paths.moduleCache });
  const stamp = { fingerprint: files === found ? fingerprint : fingerprintOf(files), tools, zipSize: built.result.zipSize, result: built.result, ...(localImports.length > 0 ? { localImports } : {}) };
  await writeBuildStamp(stagingDir, stamp, built.outsideInputs);
  return { ...built.result, name, source, stagingDir, zipPath };
}

/**
 * The checks that need no staging: the source exists and its entry file exports `handler`.
 * Deploy and redeploy run them before any AWS call, so a broken file creates nothing at all.
 */
export async function checkFunctionSource(name: string, options: { cwd: string; src?: string }): Promise<FunctionSource> {
  const source = await findSource(name, options);
  const displayPath = displayPathOf(source.entryFile, options.cwd);
  const { assertExportsHandler, loaderFor, parseSourceFile } = await import('./build.js');
  const tsconfig = loaderFor(source.entryFile) ? await findTsConfig(dirname(source.entryFile)) : undefined;
  const { program } = await parseSourceFile(await readFile(source.entryFile, 'utf8'), source.entryFile, displayPath, tsconfig?.compile ?? {});
  assertExportsHandler(program, displayPath);
  return source;
}

