import { readFile } from 'node:fs/promises';
import type { Comment } from 'acorn';
import { dirname, isAbsolute, join, relative } from 'node:path';
import type { Store } from '../store/store.js';
import { BamError } from '../core/errors.js';
import type { Reporter } from '../ui/reporter.js';
import { detectDependencies, isJavaScriptFile, type ParsedStagedFile } from './dependencies.js';
import { readDescription } from './description.js';
import { computedImports, importedSpecifiers } from './imports.js';
import { assertExportsHandler } from './handler.js';
import { installDependencies, stagingPackageJson } from './install.js';
import { moduleTypeFor } from './moduleType.js';
import { parseJavaScript } from './parse.js';
import { findSource, type FunctionSource } from './source.js';
import { INSTALL_STAMP, stageFiles, zipFileName, type StagedFile } from './stage.js';
import { readUserPackage, undeclaredPackages, type UserPackage } from './userPackage.js';
import { checkSizeLimits, listZipEntries, writeDeterministicZip } from './zip.js';

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
}

export interface PackageOptions {
  cwd: string;
  src?: string;
  reporter?: Reporter;
  /** Where the function is staged (its folder under the store's staging/). */
  store: Store;
}

/**
 * From the user's file to a zip Lambda accepts, without touching AWS and without running the
 * user's code: find, stage, check the handler, detect and install dependencies, zip.
 */
export async function packageFunction(name: string, options: PackageOptions): Promise<PackageResult> {
  const { reporter } = options;
  const source = await findSource(name, options);
  const stagingDir = options.store.paths.staging(name);
  const staged = await stageFiles(source, stagingDir);
  const parsed = await parseStagedFiles(staged, stagingDir, options.cwd);

  const entry = parsed.find((file) => file.relativePath === source.entryName);
  if (!entry) throw new BamError(`${source.entryFile} is the function's entry but .bamignore leaves it out. Remove that line from .bamignore.`);
  assertExportsHandler(entry.program, entry.displayPath);
  const description = readDescription(entry.comments, entry.program.body[0]?.start ?? entry.program.end);

  const userPackage = await readUserPackage(dirname(source.entryFile));
  const stagedPaths = new Set(staged.map((file) => file.relativePath));
  const dependencies = detectDependencies(parsed, stagedPaths, userPackage);
  noteComputedImports(parsed, reporter);
  const names = Object.keys(dependencies);
  // Info lines only: deploy packages while other steps run, so spinners belong to the use case.
  if (names.length > 0) reporter?.info(`Dependencies: ${names.map((n) => `${n}@${dependencies[n]}`).join(', ')}`);
  warnUndeclared(undeclaredPackages(userPackage, names), userPackage, reporter);
  const packageJson = stagingPackageJson(name, dependencies, moduleTypeFor(userPackage.type, source.entryName, parsed));
  await installDependencies(stagingDir, packageJson, reporter, { installScripts: userPackage.installScripts });

  const zipPath = join(stagingDir, zipFileName(name));
  // npm's hidden lockfile only speeds up the next install here; it names paths on this machine.
  const entries = await listZipEntries(stagingDir, new Set([zipFileName(name), INSTALL_STAMP, 'node_modules/.package-lock.json']));
  const zip = await writeDeterministicZip(entries, zipPath);
  checkSizeLimits(zip.zipSize, zip.unzippedSize);
  const usesDynamoDb = parsed.some((file) => importedSpecifiers(file.program).some((specifier) => DYNAMODB_CLIENTS.test(specifier)));
  return { name, source, stagingDir, ...zip, description, dependencies, usesDynamoDb };
}

// The SDK v3 clients and document client, and the v2 SDK's DynamoDB (aws-sdk/clients/dynamodb).
const DYNAMODB_CLIENTS = /^(@aws-sdk\/(client-dynamodb|lib-dynamodb)|aws-sdk\/clients\/dynamodb)$/;

/**
 * The checks that need no staging: the source exists and its entry file exports `handler`.
 * Deploy and redeploy run them before any AWS call, so a broken file creates nothing at all.
 */
export async function checkFunctionSource(name: string, options: { cwd: string; src?: string }): Promise<FunctionSource> {
  const source = await findSource(name, options);
  const displayPath = displayPathOf(source.entryFile, options.cwd);
  const { program } = parseJavaScript(await readFile(source.entryFile, 'utf8'), displayPath);
  assertExportsHandler(program, displayPath);
  return source;
}

/**
 * A package only the code names gets whatever npm calls latest today, which may not be what the
 * user ran locally (or a typo-squatted name): say so before npm fetches it.
 */
function warnUndeclared(names: string[], userPackage: UserPackage, reporter: Reporter | undefined): void {
  if (names.length === 0) return;
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  const one = names.length === 1;
  const where = userPackage.dir ? 'your package.json' : 'a package.json (bam found none above the function)';
  reporter?.warn(
    `${list} ${one ? 'is' : 'are'} not in ${where}; installing ${one ? 'its latest version' : 'their latest versions'}. ` +
      `Add ${one ? 'it' : 'them'} to package.json to pin ${one ? 'it' : 'them'}.`,
  );
}

/** require(x) / import(x) with a computed name is left out, and the user is told so. */
function noteComputedImports(files: ParsedStagedFile[], reporter: Reporter | undefined): void {
  for (const file of files) {
    const count = computedImports(file.program);
    if (count === 0) continue;
    reporter?.info(
      `${file.displayPath}: ${count === 1 ? 'one require()/import() names its module' : `${count} require()/import() calls name their module`} with an expression; ` +
        "bam installs only packages named by a plain string, so also import such a package as require('name') or import 'name'.",
    );
  }
}

type ParsedWithComments = ParsedStagedFile & { comments: Comment[] };

/** Parses every staged JavaScript file (a syntax error stops here, naming the user's file). */
async function parseStagedFiles(staged: StagedFile[], stagingDir: string, cwd: string): Promise<ParsedWithComments[]> {
  return Promise.all(
    staged
      .filter((file) => isJavaScriptFile(file.relativePath))
      .map(async (file) => {
        const displayPath = displayPathOf(file.sourcePath, cwd);
        const text = await readFile(join(stagingDir, file.relativePath), 'utf8');
        return { relativePath: file.relativePath, displayPath, ...parseJavaScript(text, displayPath) };
      }),
  );
}

/** Paths under the working folder are shown relative to it, others in full. */
function displayPathOf(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
