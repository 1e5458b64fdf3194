import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Comment, Program } from 'acorn';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { makePrivateFolder, PRIVATE_FILE_MODE } from '../store/paths.js';
import { BamError } from '../core/errors.js';
import { DEFAULT_RUNTIME, runtimeNodeMajor } from '../core/runtimes.js';
import type { Reporter } from '../ui/reporter.js';
import { bundleFormat, bundleFunction, jsonRequiredBeside } from './bundle.js';
import { decoratedCompiler } from './decoratorMetadata.js';
import { detectDependencies, isSourceFile, type ParsedStagedFile } from './dependencies.js';
import { descriptionComment, readDescription } from './description.js';
import { displayPathOf } from './displayPath.js';
import { computedImports, importedSpecifiers } from './imports.js';
import { assertExportsHandler } from './handler.js';
import { installDependencies, linkModules, stagingPackageJson, type LambdaCpu } from './install.js';
import { hasModuleSyntax, moduleTypeFor } from './moduleType.js';
import { externalPackageEntries, findUnbundleable } from './native.js';
import { sourceFolder, type FunctionSource } from './source.js';
import { BUILD_DIR, sourceMapFileName, type StagedFile } from './stage.js';
import type { TsConfig } from './tsconfig.js';
import { javaScriptName, loaderFor, parseSourceFile, transpile } from './typescript.js';
import { undeclaredPackages, type UserPackage } from './userPackage.js';
import { checkSizeLimits, listZipEntries, writeDeterministicZip, type ZipEntry } from './zip.js';
import type { PackageResult } from './index.js';

// What checkFunctionSource needs too, loaded with the rest only when something is built.
export { assertExportsHandler, loaderFor, parseSourceFile };

export interface BuildInput {
  name: string;
  source: FunctionSource;
  stagingDir: string;
  zipPath: string;
  staged: StagedFile[];
  tsconfig: TsConfig | undefined;
  userPackage: UserPackage;
  settings: { bundle: boolean; external: string[]; runtime: string; cpu: LambdaCpu };
  cwd: string;
  reporter: Reporter | undefined;
  /** The shared cache's folder for one dependency set. */
  moduleCache: (key: string) => string;
}

/** What the build stamp keeps of a result (the rest is known before building). */
export type BuiltResult = Omit<PackageResult, 'name' | 'source' | 'stagingDir' | 'zipPath'>;

/**
 * The build proper, loaded only when the last one cannot be reused: parse and check the staged
 * files, detect and install dependencies, bundle (or lay out --no-bundle), zip.
 */
export async function buildFunction(input: BuildInput): Promise<{ result: BuiltResult; outsideInputs: string[] }> {
  const { name, source, stagingDir, zipPath, staged, tsconfig, userPackage, settings, reporter } = input;
  const parsed = await parseStagedFiles(staged, stagingDir, input.cwd, tsconfig);
  const entry = parsed.find((file) => file.relativePath === source.entryName);
  if (!entry) throw new BamError(`${source.entryFile} is the function's entry but .bamignore leaves it out. Remove that line from .bamignore.`);
  assertExportsHandler(entry.program, entry.displayPath);
  const description = readDescription(entry.comments, entry.headerEnd);

  const stagedPaths = new Set(staged.map((file) => file.relativePath));
  const dependencies = detectDependencies(parsed, stagedPaths, userPackage, tsconfig?.aliases);
  noteComputedImports(parsed, reporter);
  const names = Object.keys(dependencies);
  // Info lines only: deploy packages while other steps run, so spinners belong to the use case.
  if (names.length > 0) reporter?.info(`Dependencies: ${names.map((n) => `${n}@${dependencies[n]}`).join(', ')}`);
  warnUndeclared(undeclaredPackages(userPackage, names), userPackage, reporter);
  const install = await installDependencies(dependencies, reporter, { installScripts: userPackage.installScripts, cpu: settings.cpu, integrity: userPackage.integrity, moduleCache: input.moduleCache });
  await linkModules(stagingDir, install?.modulesDir);

  const buildDir = join(stagingDir, BUILD_DIR);
  await rm(buildDir, { recursive: true, force: true });
  await makePrivateFolder(buildDir);
  const context: BuildContext = { name, source, stagingDir, buildDir, staged, parsed, entry, userPackage, tsconfig, modulesDir: install?.modulesDir, cwd: input.cwd };
  const built = settings.bundle
    ? await bundledEntries(context, settings, reporter)
    : { ...(await unbundledEntries(context, dependencies)), external: [], sourceMapPath: undefined, bundleName: undefined };

  const zip = await writeDeterministicZip(sortByName(built.entries), zipPath);
  checkSizeLimits(zip.zipSize, zip.unzippedSize);
  const usesDynamoDb = parsed.some((file) => importedSpecifiers(file.program).some((specifier) => DYNAMODB_CLIENTS.test(specifier)));
  const result: BuiltResult = { ...zip, description, dependencies, usesDynamoDb, bundled: settings.bundle, external: built.external, sourceMapPath: built.sourceMapPath, bundleName: built.bundleName };
  return { result, outsideInputs: built.outsideInputs };
}


// The SDK v3 clients and document client, and the v2 SDK's DynamoDB (aws-sdk/clients/dynamodb).
const DYNAMODB_CLIENTS = /^(@aws-sdk\/(client-dynamodb|lib-dynamodb)|aws-sdk\/clients\/dynamodb)$/;

interface BuildContext {
  name: string;
  source: FunctionSource;
  stagingDir: string;
  buildDir: string;
  staged: StagedFile[];
  parsed: ParsedSourceFile[];
  entry: ParsedSourceFile;
  userPackage: UserPackage;
  tsconfig: TsConfig | undefined;
  modulesDir: string | undefined;
  cwd: string;
}

/** Root files that describe the project, not the function: the bundle replaces what they say. */
const PROJECT_FILES = new Set(['package.json', 'package-lock.json', 'npm-shrinkwrap.json', 'tsconfig.json']);

/**
 * The bundle, the files the code reads at run time (every staged file the bundle does not
 * contain, TypeScript aside), and node_modules for the packages left outside the bundle.
 */
async function bundledEntries(context: BuildContext, settings: BuildInput['settings'], reporter: Reporter | undefined): Promise<{ entries: ZipEntry[]; external: string[]; sourceMapPath: string; outsideInputs: string[]; bundleName: string }> {
  const { source, stagingDir, buildDir, userPackage, modulesDir } = context;
  const unbundleable = modulesDir ? await findUnbundleable(modulesDir) : [];
  const external = [...new Set([...unbundleable, ...userPackage.external, ...settings.external])].sort();
  const bundle = await bundleFunction({
    stagingDir,
    entryName: source.entryName,
    format: moduleFormat(context),
    nodeMajor: runtimeNodeMajor(settings.runtime) ?? runtimeNodeMajor(DEFAULT_RUNTIME)!,
    external,
    declared: userPackage.specs,
    header: headerLine(context.entry),
    ...(context.tsconfig && !isInside(context.tsconfig.path, source.kind === 'dir' ? source.sourcePath : undefined)
      ? { tsconfig: context.tsconfig.path, ...(source.kind === 'dir' ? { sourceFolder: source.sourcePath } : {}) }
      : {}),
    displayPath: (stagedPath) => displayPathOf(stagedPath === source.entryName ? source.entryFile : join(sourceFolder(source), stagedPath), context.cwd),
    ...(modulesDir ? { jsonBeside: { modulesDir: join(stagingDir, 'node_modules'), from: 'bundle' as const } } : {}),
    decorated: decoratedCompiler(sourceFolder(source), context.tsconfig),
  });
  for (const warning of bundle.warnings) reporter?.info(`esbuild: ${warning}`);
  if (bundle.notInstalled.length > 0) reporter?.info(`Left to load at run time (imported by packages, not installed): ${bundle.notInstalled.join(', ')}`);
  if (bundle.selfLocating.length > 0) reporter?.info(`Kept in node_modules, not bundled (their code finds files beside itself): ${bundle.selfLocating.join(', ')}`);
  const bundlePath = join(buildDir, bundle.fileName);
  await writeFile(bundlePath, bundle.code, { mode: PRIVATE_FILE_MODE });
  const sourceMapPath = join(stagingDir, sourceMapFileName(context.name));
  await writeFile(sourceMapPath, bundle.sourceMap, { mode: PRIVATE_FILE_MODE });

  const assets = context.staged
    .filter((file) => !bundle.inputs.has(file.relativePath) && loaderFor(file.relativePath) === undefined && !PROJECT_FILES.has(file.relativePath))
    .map((file): ZipEntry => ({ name: file.relativePath, path: join(stagingDir, file.relativePath), kind: 'file' }));
  const shipped = bundle.externalImports.filter((name) => !(name.startsWith('@aws-sdk/') && !(name in userPackage.specs)));
  const modules = modulesDir ? await externalPackageEntries(modulesDir, shipped) : [];
  // An optional package the code only tries to load (mongodb's kerberos) may not be installed: not shipped, not listed.
  const present = shipped.filter((name) => modules.some((entry) => entry.name.startsWith(`node_modules/${name}/`)));
  const json = jsonBesideEntries(Buffer.from(bundle.code).toString('utf8'), context);
  return { entries: [{ name: bundle.fileName, path: bundlePath, kind: 'file' }, ...assets, ...modules, ...json.entries], external: present, sourceMapPath, outsideInputs: [...bundle.outsideInputs, ...json.outside], bundleName: bundle.fileName };
}

/**
 * The JSON files the code requires from node_modules beside it (see largeJsonBeside): from the
 * install, or, for a bundle fetched with bam get, from its folder's node_modules, where bam get
 * put them (files outside staging: a change to one rebuilds).
 */
function jsonBesideEntries(code: string, context: BuildContext): { entries: ZipEntry[]; outside: string[] } {
  const entries: ZipEntry[] = [];
  const outside: string[] = [];
  const folder = sourceFolder(context.source);
  for (const name of jsonRequiredBeside(code)) {
    const installed = context.modulesDir ? join(context.modulesDir, name) : undefined;
    const path = installed && existsSync(installed) ? installed : join(folder, 'node_modules', name);
    if (path !== installed) {
      if (!existsSync(path)) throw new BamError(`${context.entry.displayPath} requires ./node_modules/${name} (a package's JSON that bam ships beside a bundle), and ${path} is missing. Fetch the function again with bam get ${context.name}, or deploy it from its sources.`);
      outside.push(path);
    }
    entries.push({ name: `node_modules/${name}`, path, kind: 'file' });
  }
  return { entries, outside };
}

function headerLine(entry: ParsedSourceFile): string | undefined {
  const comment = descriptionComment(entry.comments, entry.headerEnd);
  return comment ? `//${comment.value}` : undefined;
}

/** index.mjs for ES module sources, index.js (CommonJS) otherwise. */
function moduleFormat(context: BuildContext): 'esm' | 'cjs' {
  return bundleFormat(context.source.entryName, context.userPackage.type, () => hasModuleSyntax(context.entry.program));
}

/**
 * --no-bundle: the staged files as they are (TypeScript and JSX compiled file by file), the
 * staging package.json, and the whole node_modules.
 */
async function unbundledEntries(context: BuildContext, dependencies: Record<string, string>): Promise<{ entries: ZipEntry[]; outsideInputs: string[] }> {
  const { stagingDir, buildDir, userPackage, modulesDir } = context;
  const entries: ZipEntry[] = [];
  const typescriptEntry = loaderFor(context.source.entryName) !== undefined;
  const decorated = decoratedCompiler(sourceFolder(context.source), context.tsconfig);
  for (const file of context.staged) {
    if (file.relativePath === 'package.json') continue; // the staging package.json below replaces it
    if (loaderFor(file.relativePath) === undefined) {
      entries.push({ name: file.relativePath, path: join(stagingDir, file.relativePath), kind: 'file' });
      continue;
    }
    const compiledName = javaScriptName(file.relativePath);
    const compiledPath = join(buildDir, compiledName);
    const text = await readFile(join(stagingDir, file.relativePath), 'utf8');
    const format = /\.m[jt]sx?$/.test(file.relativePath) ? 'esm' : /\.c[jt]sx?$/.test(file.relativePath) ? 'cjs' : userPackage.type === 'module' ? 'esm' : 'cjs';
    const code = await transpile(decorated?.(text, file.relativePath) ?? text, file.relativePath, displayPathOf(file.sourcePath, context.cwd), { compile: context.tsconfig?.compile ?? {}, format });
    await mkdir(dirname(compiledPath), { recursive: true });
    await writeFile(compiledPath, code, { mode: PRIVATE_FILE_MODE });
    entries.push({ name: compiledName, path: compiledPath, kind: 'file' });
  }
  // TypeScript compiled to CommonJS must not be declared "module"; JavaScript keeps today's rule.
  const type = typescriptEntry ? userPackage.type : moduleTypeFor(userPackage.type, context.source.entryName, context.parsed);
  const packageJsonPath = join(buildDir, 'package.json');
  await writeFile(packageJsonPath, `${JSON.stringify(stagingPackageJson(context.name, dependencies, type), null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
  entries.push({ name: 'package.json', path: packageJsonPath, kind: 'file' });
  if (modulesDir) {
    // npm's hidden lockfile only speeds up the next install; it names paths on this machine.
    const modules = await listZipEntries(modulesDir, new Set(['.package-lock.json']));
    entries.push(...modules.map((entry) => ({ ...entry, name: `node_modules/${entry.name}` })));
  }
  // A bundle fetched with bam get, shipped as it is: the JSON files it requires beside it go too.
  const json = jsonBesideEntries(await readFile(join(stagingDir, context.source.entryName), 'utf8'), context);
  return { entries: [...entries, ...json.entries], outsideInputs: json.outside };
}

/** Code-unit order, not locale order: the same zip on every machine. */
function sortByName(entries: ZipEntry[]): ZipEntry[] {
  const unique = new Map(entries.map((entry) => [entry.name, entry]));
  return [...unique.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function isInside(path: string, folder: string | undefined): boolean {
  if (folder === undefined) return false;
  const rel = relative(folder, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
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

type ParsedSourceFile = ParsedStagedFile & { comments: Comment[]; headerEnd: number; program: Program };

/** Parses every staged source file (a syntax error stops here, naming the user's file). */
async function parseStagedFiles(staged: StagedFile[], stagingDir: string, cwd: string, tsconfig: TsConfig | undefined): Promise<ParsedSourceFile[]> {
  return Promise.all(
    staged
      .filter((file) => isSourceFile(file.relativePath))
      .map(async (file) => {
        const displayPath = displayPathOf(file.sourcePath, cwd);
        // Read in line: thousands of small reads through the thread pool take several times longer.
        const text = readFileSync(join(stagingDir, file.relativePath), 'utf8');
        return { relativePath: file.relativePath, displayPath, ...(await parseSourceFile(text, file.relativePath, displayPath, tsconfig?.compile ?? {})) };
      }),
  );
}

