// bam dev's build of a bundled function: deploy's esbuild options (src/package/bundle.ts), built
// in memory and incrementally (one esbuild context per function, rebuilt on each change), written
// to one file in bam's own folder for the sandboxes to load; and the files to watch, taken from
// the bundle's inputs (every file of its import graph) and the project files the build reads.
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readFile, rename, rm, rmdir, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildContext, BuildFailure, BuildOptions, BuildResult, Metafile, Plugin } from 'esbuild';
import { BamError } from '../core/errors.js';
import { buildLocation, bundleFormat, bundleOptions, notInstalledImports, type BundleRequest } from '../package/bundle.js';
import { notAmongFunctionFiles } from '../package/dependencies.js';
import { entryNameTaken } from '../package/localImports.js';
import { displayPathOf } from '../package/displayPath.js';
import { readIgnoreRule } from '../package/ignore.js';
import { classifySpecifier } from '../package/imports.js';
import { isUnbundleablePackage } from '../package/native.js';
import { selfLocatingPackages } from '../package/selfLocating.js';
import { BUNDLE_DIRNAME } from '../package/ownFileNames.js';
import { sourceFolder, type FunctionSource } from '../package/source.js';
import { findTsConfig, tsConfigFiles, type TsConfig } from '../package/tsconfig.js';
import { decoratedCompiler } from '../package/decoratorMetadata.js';
import { readUserPackage, type UserPackage } from '../package/userPackage.js';
import type { CodeState, StopWatching } from './functionCode.js';

export interface BuildSettings {
  /** bam's folder for this function's bundle (never the user's folder). */
  buildDir: string;
  /** The Node major of the function's runtime: the bundle targets it, as deploy's does. */
  nodeMajor: number;
  /** --external: packages left to node_modules, as deploy leaves them. */
  external: string[];
  /** Build errors name files relative to it. */
  cwd: string;
}

const SCRIPT_FILES = ['.js', '.mjs', '.cjs', '.jsx', '.json', '.ts', '.mts', '.cts', '.tsx'];

/** Whether a changed file could be code (a new file may be what a failed build could not find). */
export function isScriptFile(name: string): boolean {
  return SCRIPT_FILES.includes(extname(name));
}

// What decides the build besides the code: versions, "type", bam.external, and installs.
const PACKAGE_FILES = ['package.json', 'package-lock.json', 'npm-shrinkwrap.json'];

/** What the build reads besides the code, and their state when it was read (a change makes a new context). */
interface Project {
  userPackage: UserPackage;
  tsconfig: TsConfig | undefined;
  /** package.json, lockfiles, tsconfig.json and the files it extends, node_modules. */
  files: string[];
  /** Where the user's packages are installed (the one folder the bundle's externals load from). */
  modulesDir: string | undefined;
  stamp: string;
}

export class FunctionBuild {
  private readonly folder: string;
  private readonly entryName: string;
  private context: BuildContext | undefined;
  /** What names a build error's file as the user knows it. */
  private errorRequest: Pick<BundleRequest, 'stagingDir' | 'displayPath'> | undefined;
  private format: 'esm' | 'cjs' | undefined;
  private project: Project | undefined;
  /** The files whose change rebuilds (absolute); their folders are watched. */
  private files: Set<string>;
  private failed = false;
  private readonly watchers = new Map<string, FSWatcher>();
  private onChange: (() => void) | undefined;
  private closed = false;
  /** Packages kept out of the bundle: their code finds files beside itself (see selfLocating.ts), or they are not installed. */
  private readonly leftOut = new Set<string>();

  constructor(
    private readonly source: FunctionSource,
    private readonly settings: BuildSettings,
  ) {
    this.folder = sourceFolder(source);
    this.entryName = relative(this.folder, source.entryFile).split(sep).join('/');
    this.files = new Set([source.entryFile]);
  }

  /** Builds the function as its files are now (one build at a time: the caller chains them). */
  async build(): Promise<CodeState> {
    try {
      return await this.rebuild();
    } catch (err) {
      // A tsconfig.json or package.json bam cannot read says so the same way.
      if (!isBuildFailure(err) && !(err instanceof BamError)) throw err;
      this.failed = true;
      const location = isBuildFailure(err) ? err.errors[0]?.location : undefined;
      const shown = location ? [resolve(this.folder, location.file)] : [];
      this.follow([...this.files, ...shown, ...(this.project?.files ?? [])]);
      return { ok: false, error: isBuildFailure(err) ? this.errorLine(err) : err.message };
    }
  }

  watch(onChange: () => void): StopWatching {
    this.onChange = onChange;
    this.follow([...this.files]);
    return () => {
      this.onChange = undefined;
      this.follow([]);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.onChange = undefined;
    this.follow([]);
    await this.context?.dispose();
    this.context = undefined;
    await rm(this.settings.buildDir, { recursive: true, force: true });
    // This process's folder goes with its last function (it is not empty while another is served).
    await rmdir(dirname(this.settings.buildDir)).catch(() => undefined);
  }

  private async rebuild(): Promise<CodeState> {
    if (this.project && (await stampOf(this.project.files)) !== this.project.stamp) await this.dropContext(true);
    if (!this.project) this.project = await this.readProject();
    if (!this.context) await this.newContext(await this.guessFormat());
    let result = await this.contextBuild();
    // The entry's own syntax says ES module or CommonJS, as deploy reads it: a save may change it.
    const wanted = bundleFormat(this.entryName, this.project.userPackage.type, () => result.metafile!.inputs[this.entryName]?.format === 'esm');
    if (wanted !== this.format) {
      await this.dropContext(false);
      await this.newContext(wanted);
      result = await this.contextBuild();
    }
    // As deploy does: packages that find files beside their code load from node_modules instead.
    const selfLocating = (await selfLocatingPackages(Object.keys(result.metafile!.inputs), this.folder)).filter((name) => !this.leftOut.has(name));
    if (selfLocating.length > 0) {
      await this.leaveOut(selfLocating);
      result = await this.contextBuild();
    }
    this.assertImportsShip(result.metafile!);
    const output = result.outputFiles?.[0];
    if (!output) throw new Error('esbuild wrote no bundle');
    if (this.closed) return { ok: true, code: { entryFile: output.path } };
    // Written whole, then renamed: a sandbox loading meanwhile reads the old bundle or the new one.
    const partial = `${output.path}.${process.pid}.partial`;
    await writeFile(partial, output.contents, { mode: 0o600 });
    await rename(partial, output.path);
    this.failed = false;
    this.follow([...inputFiles(result.metafile!, this.folder), ...this.project.files]);
    return { ok: true, code: { entryFile: output.path, watchFolders: foldersOf([...this.files]) } };
  }

  /**
   * The context's build; a package's import of a package that is not installed is left to run
   * time, as deploy leaves it (see notInstalledImports), and the build made again.
   */
  private async contextBuild(): Promise<BuildResult> {
    for (;;) {
      try {
        return await this.context!.rebuild();
      } catch (err) {
        const missing = isBuildFailure(err) ? notInstalledImports(err).filter((name) => !this.leftOut.has(name)) : [];
        if (missing.length === 0) throw err;
        await this.leaveOut(missing);
      }
    }
  }

  /** Builds from now on without these packages: they load from node_modules (or fail there, as with --no-bundle). */
  private async leaveOut(names: string[]): Promise<void> {
    for (const name of names) this.leftOut.add(name);
    await this.dropContext(false);
    await this.newContext(this.format!);
  }

  /**
   * Deploy ships the files of the function's folder (a folder's minus .bamignore; a single file's
   * own imports from its folder): a relative import of anything else is refused there, so it fails
   * here too, not only once deployed. Imports inside packages and tsconfig `paths` aliases are the
   * bundle's to resolve, as in deploy.
   */
  private assertImportsShip(metafile: Metafile): void {
    const ignored = this.source.kind === 'dir' ? readIgnoreRule(this.folder) : () => false;
    for (const [input, { imports }] of Object.entries(metafile.inputs)) {
      if (isPackageFile(input)) continue;
      for (const { path, original } of imports) {
        if (original === undefined || classifySpecifier(original) !== 'relative' || path.includes(':')) continue;
        const target = resolve(this.folder, path);
        const parts = relative(this.folder, target).split(sep);
        const displayPath = displayPathOf(resolve(this.folder, input), this.settings.cwd);
        const ships = parts[0] !== '..' && !isAbsolute(parts.join(sep)) && !parts.includes('node_modules') && parts.every((_, i) => !ignored(parts.slice(0, i + 1).join('/'), i < parts.length - 1));
        if (!ships) throw notAmongFunctionFiles(displayPath, original);
        const taken = this.source.kind === 'file' && target !== this.source.entryFile ? entryNameTaken(this.source, parts.join('/'), displayPath, original) : undefined;
        if (taken) throw taken;
      }
    }
  }

  private async readProject(): Promise<Project> {
    const [userPackage, tsconfig] = await Promise.all([readUserPackage(this.folder), findTsConfig(this.folder)]);
    const modulesDir = userPackage.dir ? join(userPackage.dir, 'node_modules') : undefined;
    const files = [
      ...(userPackage.dir ? PACKAGE_FILES.map((file) => join(userPackage.dir!, file)) : []),
      ...(tsconfig ? tsConfigFiles(tsconfig.path) : []),
      ...(modulesDir ? [modulesDir] : []),
    ];
    return { userPackage, tsconfig, files, modulesDir, stamp: await stampOf(files) };
  }

  private async newContext(format: 'esm' | 'cjs'): Promise<void> {
    const { context } = await import('esbuild');
    const project = this.project!;
    const { buildDir, cwd } = this.settings;
    await mkdir(buildDir, { recursive: true, mode: 0o700 });
    // The bundle's externals (and the require() an ES bundle makes) load from the user's node_modules.
    const link = join(buildDir, 'node_modules');
    await rm(link, { force: true });
    if (project.modulesDir) await symlink(project.modulesDir, link, 'dir').catch(() => undefined);
    const request: BundleRequest = {
      stagingDir: this.folder,
      entryName: this.entryName,
      format,
      nodeMajor: this.settings.nodeMajor,
      external: [...new Set([...project.userPackage.external, ...this.settings.external, ...this.leftOut])],
      declared: project.userPackage.specs,
      displayPath: (path) => displayPathOf(resolve(this.folder, path), cwd),
      ...(project.modulesDir ? { jsonBeside: { modulesDir: project.modulesDir, from: 'where they are' as const } } : {}),
      decorated: decoratedCompiler(this.folder, project.tsconfig),
    };
    const options = bundleOptions(request);
    // .mjs or .cjs: no package.json near bam's folder may change what a .js file means.
    const fileName = format === 'esm' ? 'index.mjs' : 'index.cjs';
    const devOptions: BuildOptions = {
      ...options,
      outfile: join(buildDir, fileName),
      // Node applies an inline map itself (the worker turns source maps on): stack traces at the .ts lines.
      sourcemap: 'inline',
      define: taskRootReads(format, this.folder),
      plugins: [...(options.plugins ?? []), unbundleablePackages()],
      metafile: true,
      write: false,
      logLevel: 'silent',
    };
    this.context = await context(devOptions);
    this.format = format;
    this.errorRequest = request;
  }

  /** `file:line:column: message`, the file as the user knows it. */
  private errorLine(failure: BuildFailure): string {
    const first = failure.errors[0]!;
    const location = this.errorRequest ? buildLocation(first, this.errorRequest) : undefined;
    return location ? `${location}: ${first.text}` : first.text;
  }

  /** Ends the esbuild context; forgetting the project too when what it read changed. */
  private async dropContext(forgetProject: boolean): Promise<void> {
    await this.context?.dispose();
    this.context = undefined;
    if (forgetProject) this.project = undefined;
  }

  /** ES module or CommonJS before the first build says (the entry's first import or export, else its name and package). */
  private async guessFormat(): Promise<'esm' | 'cjs'> {
    const text = await readFile(this.source.entryFile, 'utf8').catch(() => '');
    return bundleFormat(this.entryName, this.project!.userPackage.type, () => /^\s*(import\s*[\w{*'"]|export\s)/m.test(text));
  }

  /**
   * Watches these files from now on: one (non-recursive) watch per folder holding one, served
   * straight from the OS's file events (inotify on Linux), so a save is known before any request
   * sent after it arrives. A node_modules folder is watched itself only: an install reloads.
   */
  private follow(files: string[]): void {
    this.files = new Set(files);
    const folders = new Set(this.onChange ? foldersOf(files) : []);
    for (const [folder, watcher] of this.watchers) {
      if (folders.has(folder)) continue;
      watcher.close();
      this.watchers.delete(folder);
    }
    for (const folder of folders) {
      if (this.watchers.has(folder)) continue;
      try {
        const watcher = watch(folder, { persistent: false }, (_event, name) => this.changed(folder, name));
        watcher.on('error', () => {
          watcher.close();
          this.watchers.delete(folder);
        });
        this.watchers.set(folder, watcher);
      } catch {
        // Not there (yet): a later build, or a change elsewhere, watches it.
      }
    }
  }

  private changed(folder: string, name: string | null): void {
    const relevant = name === null || basename(folder) === 'node_modules' || this.files.has(join(folder, name)) || (this.failed && isScriptFile(name));
    if (relevant) this.onChange?.();
  }
}

/** The folders to watch for these files: each one's own, or itself for node_modules (an install reloads). */
function foldersOf(files: string[]): string[] {
  return [...new Set(files.map((file) => (basename(file) === 'node_modules' ? file : dirname(file))))];
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf(sep) + 1);
}

/** The bundle's own files (absolute): every input outside node_modules (packages reload on install). */
function inputFiles(metafile: Metafile, folder: string): string[] {
  return Object.keys(metafile.inputs)
    .filter((path) => !isPackageFile(path) && !path.includes(':'))
    .map((path) => resolve(folder, path));
}

function isPackageFile(path: string): boolean {
  return path.split('/').includes('node_modules');
}

/**
 * Deployed, the bundle sits in the task root with the function's other files; here it sits in
 * bam's folder, so reads relative to the module (`import.meta.url`, `__dirname`) are pointed at
 * the function's folder, where those files are.
 */
function taskRootReads(format: 'esm' | 'cjs', folder: string): Record<string, string> {
  const file = join(folder, format === 'esm' ? 'index.mjs' : 'index.js');
  // Both formats' names, as deploy's bundle has them (see bundleOptions), naming the same folder.
  return {
    [BUNDLE_DIRNAME]: JSON.stringify(folder),
    __dirname: JSON.stringify(folder),
    __filename: JSON.stringify(file),
    'import.meta.url': JSON.stringify(pathToFileURL(file).href),
    'import.meta.dirname': JSON.stringify(folder),
    'import.meta.filename': JSON.stringify(file),
  };
}

/**
 * Deploy leaves native addons and per-platform packages out of the bundle (found in the install
 * it made); bam dev finds them as the bundle resolves them in the user's node_modules.
 */
function unbundleablePackages(): Plugin {
  const verdicts = new Map<string, Promise<boolean>>();
  const marker = {};
  return {
    name: 'bam-dev-unbundleable',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === marker) return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: marker });
        if (resolved.errors.length > 0 || resolved.external) return undefined;
        const dir = packageDir(resolved.path);
        if (!dir) return undefined;
        if (!verdicts.has(dir)) verdicts.set(dir, isUnbundleablePackage(dir));
        return (await verdicts.get(dir)) ? { path: args.path, external: true } : undefined;
      });
    },
  };
}

/** node_modules/a/lib/x.js → node_modules/a; node_modules/@s/b/x.js → node_modules/@s/b. */
function packageDir(path: string): string | undefined {
  const marker = `${sep}node_modules${sep}`;
  const at = path.lastIndexOf(marker);
  if (at === -1) return undefined;
  const parts = path.slice(at + marker.length).split(sep);
  const depth = parts[0]?.startsWith('@') ? 2 : 1;
  return path.slice(0, at + marker.length) + parts.slice(0, depth).join(sep);
}

/** Sizes and dates of these files ('-' when missing): a different stamp means they changed. */
async function stampOf(files: string[]): Promise<string> {
  const parts = await Promise.all(files.map((file) => stat(file).then((info) => `${info.size}:${info.mtimeMs}`, () => '-')));
  return parts.join('|');
}

function isBuildFailure(err: unknown): err is BuildFailure {
  return Array.isArray((err as BuildFailure | undefined)?.errors) && (err as BuildFailure).errors.length > 0;
}
