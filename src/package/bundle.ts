import { readFile, stat } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { BuildFailure, BuildOptions, BuildResult, Message, Plugin } from 'esbuild';
import { BamError } from '../core/errors.js';
import { classifySpecifier, packageName } from './imports.js';
import { selfLocatingPackages } from './selfLocating.js';
import { ownFileNames } from './ownFileNames.js';
import type { DecoratedCompiler } from './decoratorMetadata.js';
import { BUILD_DIR } from './stage.js';

export interface BundleRequest {
  stagingDir: string;
  /** The staged entry file (index.ts, index.mjs, ...). */
  entryName: string;
  format: 'esm' | 'cjs';
  /** The Node.js major of the function's runtime: syntax it runs natively is left as written. */
  nodeMajor: number;
  /** Packages left out of the bundle, shipped in node_modules (their subpaths too). */
  external: string[];
  /** The user's declared packages: an @aws-sdk/* one declared there is bundled, others are the runtime's. */
  declared: Record<string, string>;
  /** A tsconfig.json outside the function's folder (one inside is staged and found by esbuild). */
  tsconfig?: string;
  /** The user's function folder: an alias resolved into it is bundled from the staged copy. */
  sourceFolder?: string;
  /** The entry's `// description:` line, kept at the bundle's top (comments are not otherwise kept). */
  header?: string;
  /** A staged path as the user knows it (for build errors). */
  displayPath: (stagedPath: string) => string;
  /**
   * Packages' large JSON files in this node_modules (absolute, as esbuild finds its files) are
   * required at run time, not bundled (see largeJsonBeside): from node_modules beside the bundle
   * (deploy ships them there), or where they are (bam dev).
   */
  jsonBeside?: { modulesDir: string; from: 'bundle' | 'where they are' };
  /** Compiles decorated TypeScript with its metadata, when tsconfig asks for it (see decoratorMetadata.ts). */
  decorated?: DecoratedCompiler;
}

export interface Bundle {
  /** index.mjs (ES module) or index.js (CommonJS): Lambda's `index.handler` finds either. */
  fileName: string;
  code: Uint8Array;
  sourceMap: Uint8Array;
  /** Staged files (relative, with `/`) the bundle contains. */
  inputs: Set<string>;
  /** Files outside staging it contains (absolute): tsconfig `paths` targets outside the function. */
  outsideInputs: string[];
  /** The external packages the bundle imports: these, and what they need, go in node_modules. */
  externalImports: string[];
  /** Packages left out because their code finds files beside itself (see selfLocating.ts). */
  selfLocating: string[];
  /** Packages that packages import but are not installed, left to fail at run time only if reached (see notInstalledImports). */
  notInstalled: string[];
  warnings: string[];
}

/**
 * A bundled ES module still runs CommonJS code that calls require() for built-ins and externals;
 * Node gives ES modules no require, so the bundle makes one: a global, declaring no binding that
 * the user's code (or a fetched bundle bundled again) could collide with.
 */
const ESM_REQUIRE = "globalThis.require ??= process.getBuiltinModule('node:module').createRequire(import.meta.url);";

/**
 * Each module format's names for the module's own file, in a bundle of the other: CommonJS code
 * bundled into an ES module still uses __dirname and __filename, which Node gives no ES module,
 * and an ES module bundled into CommonJS still uses import.meta.url (or .filename, .dirname),
 * which esbuild leaves empty there. Without these, code that runs with --no-bundle throws at
 * load. They name the bundle's folder and file (/var/task, /var/task/index.mjs), as the bundle's
 * own format does (the function's modules in subfolders name their own: see ownFileNames.ts).
 * esbuild's define replaces only free names, so code that declares its own __dirname keeps it;
 * the bam-named variables collide with nothing.
 */
const FILE_NAMES = {
  esm: {
    define: { __filename: '__bamFilename', __dirname: '__bamDirname' },
    declared: /\b__bam(File|Dir)name\b/,
    banner: "var __bamFilename = process.getBuiltinModule('node:url').fileURLToPath(import.meta.url), __bamDirname = process.getBuiltinModule('node:path').dirname(__bamFilename);",
  },
  cjs: {
    define: { 'import.meta.url': '__bamImportMetaUrl', 'import.meta.filename': '__filename', 'import.meta.dirname': '__dirname' },
    declared: /\b__bam(ImportMetaUrl|Dirname)\b/,
    banner: "var __bamImportMetaUrl = require('node:url').pathToFileURL(__filename).href, __bamDirname = __dirname;",
  },
};

/**
 * Bundles a staged function with esbuild: local modules and npm packages in one file, for the
 * runtime's Node major, with a source map that stays in staging (it is never shipped, and Lambda
 * is not asked to load it: --enable-source-maps slows every cold start).
 */
export async function bundleFunction(request: BundleRequest): Promise<Bundle> {
  const { build } = await import('esbuild');
  const fileName = request.format === 'esm' ? 'index.mjs' : 'index.js';
  type Built = { result: BuildResult<{ metafile: true; write: false }>; outfile: string };
  const run = async (external: string[], withFileNames: boolean, notInstalled?: string[]): Promise<Built> => {
    const options = bundleOptions({ ...request, external }, withFileNames);
    try {
      return { result: await build({ ...options, sourcemap: 'external', metafile: true, write: false, logLevel: 'silent' }), outfile: options.outfile };
    } catch (err) {
      const first = (err as BuildFailure).errors?.[0];
      if (!first) throw err;
      const missing = notInstalled ? notInstalledImports(err as BuildFailure).filter((name) => !external.includes(name)) : [];
      if (missing.length > 0) {
        notInstalled!.push(...missing);
        return run([...external, ...missing], withFileNames, notInstalled);
      }
      throw new BamError(`${buildMessage(first, request)}. Fix it and try again (or package with --no-bundle, or mark the package --external).`, { cause: err });
    }
  };
  // A package's import of a package that is not installed is left to run time, as Node leaves it.
  const notInstalled: string[] = [];
  let { result, outfile } = await run(request.external, false, notInstalled);
  // Packages that find their files beside their code are built again outside the bundle (rare).
  const selfLocating = (await selfLocatingPackages(Object.keys(result.metafile.inputs), request.stagingDir)).filter((name) => !request.external.includes(name));
  const external = [...request.external, ...notInstalled, ...selfLocating];
  if (selfLocating.length > 0) ({ result, outfile } = await run(external, false));
  // The file names' declarations only where the code uses them (rare): most bundles stay as they were.
  if (result.outputFiles.some((file) => file.path === outfile && FILE_NAMES[request.format].declared.test(file.text))) ({ result, outfile } = await run(external, true));
  const code = result.outputFiles.find((file) => file.path === outfile);
  const sourceMap = result.outputFiles.find((file) => file.path === `${outfile}.map`);
  if (!code || !sourceMap) throw new Error(`esbuild wrote no ${fileName}`);
  const output = Object.entries(result.metafile.outputs).find(([path]) => !path.endsWith('.map'))?.[1];
  const inputPaths = Object.keys(result.metafile.inputs).filter((path) => !path.startsWith(`${JSON_BESIDE}:`));
  const inputs = new Set(inputPaths.filter((path) => !path.startsWith('..') && !isAbsolute(path)));
  const outsideInputs = inputPaths.filter((path) => !inputs.has(path)).map((path) => resolve(request.stagingDir, path));
  // Node's own modules (fs, http, node:fs) are external too, but nothing to ship.
  const externalImports = [...new Set((output?.imports ?? []).filter((i) => i.external && !isBuiltin(i.path)).map((i) => packageName(i.path)))];
  return {
    fileName,
    code: code.contents,
    sourceMap: sourceMap.contents,
    inputs,
    outsideInputs,
    externalImports: externalImports.sort(),
    selfLocating,
    notInstalled: notInstalled.sort(),
    warnings: result.warnings.map((warning) => buildMessage(warning, request)),
  };
}

/**
 * The packages a build could not find, when every error is one: a bare import, made by a package
 * in node_modules, of a package that is not installed (knex's drivers for the databases it is not
 * used with, an optional peer). Node fails such an import only when the code reaches it, so the
 * bundle leaves it to run time too. Anything else, and the user's own imports, stay errors.
 */
export function notInstalledImports(failure: BuildFailure): string[] {
  const names = failure.errors.map((error) => {
    const specifier = /^Could not resolve "([^"]+)"$/.exec(error.text)?.[1];
    const fromPackage = /(?:^|[\\/])node_modules[\\/]/.test(error.location?.file ?? '');
    return specifier && fromPackage && classifySpecifier(specifier) === 'package' ? packageName(specifier) : undefined;
  });
  return names.every((name) => name !== undefined) ? [...new Set(names)] : [];
}

/**
 * The esbuild options of a function's bundle, shared by deploy and bam dev (which only adds what
 * running it locally needs): one file for the runtime's Node major, externals and @aws-sdk/* left
 * to node_modules and the runtime. `withFileNames` declares the names FILE_NAMES defines (bam dev
 * defines them as its own constants instead).
 */
export function bundleOptions(request: BundleRequest, withFileNames = false): BuildOptions & { outfile: string } {
  const fileName = request.format === 'esm' ? 'index.mjs' : 'index.js';
  return {
    absWorkingDir: request.stagingDir,
    entryPoints: [join(request.stagingDir, request.entryName)],
    outfile: join(request.stagingDir, BUILD_DIR, fileName),
    bundle: true,
    platform: 'node',
    format: request.format,
    target: `node${request.nodeMajor}`,
    // Paths in the bundle stay inside staging, the same on every run.
    preserveSymlinks: true,
    // Packages resolve as Node resolves them, so the bundle runs the files --no-bundle runs:
    // without the bundlers' "module" condition, which Node ignores (the AWS SDK's points at its
    // many-file ES build, 518 modules where Node loads 50, and about 20% more init).
    conditions: [],
    // Less to read and compile at every cold start (about 10% of an express app's init). Only
    // whitespace: minifying syntax drops the name of a class or function expression nothing
    // refers to (`exports.X = class X {}` becomes `class {}`, and X.name ''), and names are
    // what code and stack traces see.
    minifyWhitespace: true,
    external: request.external.flatMap((name) => [name, `${name}/*`]),
    define: FILE_NAMES[request.format].define,
    plugins: [ownFileNames(request.stagingDir, request.decorated), runtimeAwsSdk(request.declared), ...(request.jsonBeside ? [largeJsonBeside(request.jsonBeside)] : []), largeJsonAsText(), ...(request.sourceFolder ? [stagedCopies(request.sourceFolder, request.stagingDir)] : [])],
    ...(request.tsconfig ? { tsconfig: request.tsconfig } : {}),
    ...banner(request, withFileNames),
  };
}

/**
 * The bundle's format: .mjs/.mts are ES modules and .cjs/.cts CommonJS, then the package.json
 * "type", then whether the entry itself is written with import/export.
 */
export function bundleFormat(entryName: string, packageType: string | undefined, hasModuleSyntax: () => boolean): 'esm' | 'cjs' {
  if (/\.m[jt]s$/.test(entryName)) return 'esm';
  if (/\.c[jt]s$/.test(entryName)) return 'cjs';
  if (packageType === 'module') return 'esm';
  if (packageType === 'commonjs') return 'cjs';
  return hasModuleSyntax() ? 'esm' : 'cjs';
}

/** An esbuild error or warning as `file:line:column message`, the file as the user knows it. */
export function buildMessage(message: Message, request: Pick<BundleRequest, 'stagingDir' | 'displayPath'>): string {
  return `${where(message, request)}${message.text}`;
}

/**
 * The description line, for an ES module the require() that CommonJS dependencies call, the
 * module's own file names (see FILE_NAMES), and the bundle's own require for the JSON files beside
 * it (see largeJsonBeside).
 */
function banner(request: BundleRequest, withFileNames: boolean): { banner?: { js: string } } {
  const lines = [
    ...(request.header ? [request.header] : []),
    ...(request.format === 'esm' ? [ESM_REQUIRE] : []),
    ...(withFileNames ? [FILE_NAMES[request.format].banner] : []),
    ...(request.jsonBeside ? [request.format === 'esm' ? `var ${JSON_REQUIRE} = process.getBuiltinModule('node:module').createRequire(import.meta.url);` : `var ${JSON_REQUIRE} = require;`] : []),
  ];
  return lines.length > 0 ? { banner: { js: lines.join('\n') } } : {};
}

function where(message: Message, request: Pick<BundleRequest, 'stagingDir' | 'displayPath'>): string {
  const location = buildLocation(message, request);
  return location ? `${location}: ` : '';
}

/** Where an esbuild message points, as `file:line:column` (1-based column), the file as the user knows it. */
export function buildLocation(message: Message, request: Pick<BundleRequest, 'stagingDir' | 'displayPath'>): string | undefined {
  const location = message.location;
  if (!location) return undefined;
  const file = isAbsolute(location.file) ? relative(request.stagingDir, location.file) : location.file;
  const shown = file.startsWith('..') ? join(request.stagingDir, file) : file.startsWith('node_modules/') ? file : request.displayPath(file);
  return `${shown}:${location.line}:${location.column + 1}`;
}

/**
 * A tsconfig outside the function's folder maps its `paths` to the user's folder; what lies inside
 * the function's folder is taken from staging, like every other file of the function.
 */
function stagedCopies(sourceFolder: string, stagingDir: string): Plugin {
  return {
    name: 'bam-staged-copies',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === stagedCopies || args.importer.includes(`${sep}node_modules${sep}`)) return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: stagedCopies });
        const inside = relative(sourceFolder, resolved.path);
        if (resolved.errors.length > 0 || inside.startsWith('..') || isAbsolute(inside) || inside.split(sep).includes('node_modules')) return undefined;
        return { path: join(stagingDir, inside) };
      });
    },
  };
}

/** From this size a package's JSON file is parsed at run time rather than compiled as code. */
const LARGE_JSON_BYTES = 10 * 1024;

/** The namespace of a JSON file required at run time (its path in node_modules follows). */
const JSON_BESIDE = 'bam-json-beside';
/**
 * The bundle's own require, declared in its banner (a module-scope name, not a global): a global
 * require made elsewhere (`node -e`, a CommonJS host) would resolve the JSON from somewhere else,
 * and import.meta in the JSON's module would make esbuild take it for an ES module.
 */
const JSON_REQUIRE = '__bamRequireJson';

/**
 * The JSON files (paths inside node_modules) a bundle requires from node_modules beside it: the
 * ones this build left there, and the ones a bundle fetched with bam get and bundled again
 * brought along (its own banner's require is in it).
 */
export function jsonRequiredBeside(code: string): string[] {
  const calls = code.matchAll(new RegExp(`${JSON_REQUIRE}\\("\\./node_modules/([^"]+\\.json)"\\)`, 'g'));
  return [...new Set([...calls].map((call) => call[1]!))].sort();
}

/**
 * A package's large JSON file that CommonJS code requires (mime-db's table, iconv-lite's code
 * pages) stays a file, read and parsed by Node's require when the code asks for it: a table
 * needed only for a rare encoding then costs nothing at all, where inlined it cost every cold
 * start a scan (iconv-lite's tables were half of an express bundle, about 8 ms of its 70 ms init).
 * The require is the bundle's own, never a global one that resolves from elsewhere. An ES
 * module's JSON import (import attributes) is bundled: see largeJsonAsText.
 */
function largeJsonBeside(beside: NonNullable<BundleRequest['jsonBeside']>): Plugin {
  const again = {};
  return {
    name: 'bam-large-json-beside',
    setup(build) {
      build.onResolve({ filter: /\.json$/ }, async (args) => {
        if (args.kind !== 'require-call' || args.pluginData === again) return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: again });
        if (resolved.errors.length > 0 || resolved.external) return undefined;
        const inside = relative(beside.modulesDir, resolved.path);
        if (inside.startsWith('..') || isAbsolute(inside)) return undefined;
        const size = await stat(resolved.path).then((info) => info.size, () => 0);
        // Its path inside node_modules names it in the bundle: the same wherever staging is.
        return size < LARGE_JSON_BYTES ? undefined : { path: inside.split(sep).join('/'), namespace: JSON_BESIDE };
      });
      build.onLoad({ filter: /.*/, namespace: JSON_BESIDE }, (args) => {
        const path = beside.from === 'bundle' ? `./node_modules/${args.path}` : join(beside.modulesDir, args.path);
        return { contents: `module.exports = ${JSON_REQUIRE}(${JSON.stringify(path)});\n`, loader: 'js' };
      });
    },
  };
}

/**
 * A large JSON file of a package that is bundled all the same (imported by an ES module, or with
 * no node_modules beside the bundle) becomes `module.exports = JSON.parse("...")`, as Node's own
 * require of JSON does: V8 scans a string and parses JSON faster than it compiles the same object
 * as code. The user's own JSON files keep esbuild's loader (named imports, import attributes).
 */
function largeJsonAsText(): Plugin {
  return {
    name: 'bam-large-json-as-text',
    setup(build) {
      build.onLoad({ filter: /[\\/]node_modules[\\/].*\.json$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        if (Buffer.byteLength(text) < LARGE_JSON_BYTES) return undefined;
        return { contents: `module.exports = JSON.parse(${JSON.stringify(text.replace(/^\uFEFF/, ''))});\n`, loader: 'js' };
      });
    },
  };
}

/**
 * The Lambda Node.js runtimes include the AWS SDK v3, so @aws-sdk/* stays out of the bundle and
 * the zip, unless the user's package.json pins a package (then that version is bundled).
 */
function runtimeAwsSdk(declared: Record<string, string>): Plugin {
  return {
    name: 'bam-runtime-aws-sdk',
    setup(build) {
      build.onResolve({ filter: /^@aws-sdk\// }, (args) => (packageName(args.path) in declared ? undefined : { path: args.path, external: true }));
    },
  };
}
