import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BamError } from '../core/errors.js';
import { PRIVATE_FILE_MODE } from '../store/paths.js';
import type { ZipEntry } from './zip.js';

interface PackageJson {
  name?: string;
  os?: unknown;
  cpu?: unknown;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** Beside the cached install: the answer of findUnbundleable, computed once per install. */
const UNBUNDLEABLE_FILE = '.bam-unbundleable.json';

/**
 * The installed packages a bundler cannot inline, which stay in node_modules beside the bundle:
 * native addons (a `.node` file, `binding.gyp` or `prebuilds/`), per-platform binary packages
 * (an `os` or `cpu` field) and the packages that pick one of those at run time (optional
 * dependencies with such a field). On a machine that is not Linux, an addon npm would have to
 * compile from source (binding.gyp, no prebuilt binary) cannot become a Linux one: refused.
 */
export async function findUnbundleable(modulesDir: string): Promise<string[]> {
  const cached = join(dirname(modulesDir), UNBUNDLEABLE_FILE);
  const known = await readFile(cached, 'utf8').then((text) => JSON.parse(text) as string[], () => undefined);
  if (known) return known;
  const packages = await listPackages(modulesDir);
  const platformSpecific = new Set(packages.filter((p) => p.json.os !== undefined || p.json.cpu !== undefined).map((p) => p.name));
  const names = new Set<string>();
  for (const pkg of packages) {
    const native = await nativeMarkers(pkg.dir);
    if (native.compiledFromSource && process.platform !== 'linux') {
      throw new BamError(
        `${pkg.name} is a native addon npm would compile on this ${process.platform} machine, which Lambda (Linux) cannot load. ` +
          'Deploy from Linux (or a Linux container or CI), or use a package with prebuilt Linux binaries.',
      );
    }
    const picksPlatform = Object.keys(pkg.json.optionalDependencies ?? {}).some((name) => platformSpecific.has(name));
    if (native.any || platformSpecific.has(pkg.name) || picksPlatform) names.add(pkg.name);
  }
  const result = [...names].sort();
  await writeFile(cached, JSON.stringify(result), { mode: PRIVATE_FILE_MODE }).catch(() => undefined);
  return result;
}

/**
 * findUnbundleable's rule for one installed package (bam dev asks as its bundle resolves): a
 * native addon, a per-platform package, or one picking such a package among its optional
 * dependencies (found beside it or in its own node_modules).
 */
export async function isUnbundleablePackage(dir: string): Promise<boolean> {
  const readJson = (path: string) => readFile(path, 'utf8').then((text) => JSON.parse(text) as PackageJson, () => undefined);
  const json = await readJson(join(dir, 'package.json'));
  if (!json) return false;
  if (json.os !== undefined || json.cpu !== undefined || (await nativeMarkers(dir)).any) return true;
  const modulesDir = dir.slice(0, dir.lastIndexOf('node_modules') + 'node_modules'.length);
  for (const name of Object.keys(json.optionalDependencies ?? {})) {
    const optional = (await readJson(join(dir, 'node_modules', name, 'package.json'))) ?? (await readJson(join(modulesDir, name, 'package.json')));
    if (optional && (optional.os !== undefined || optional.cpu !== undefined)) return true;
  }
  return false;
}

interface InstalledPackage {
  name: string;
  /** Path under node_modules, with `/` (`a`, `@s/b`, `a/node_modules/c`). */
  relativeDir: string;
  dir: string;
  json: PackageJson;
}

/** Every package installed under node_modules, nested copies included. */
async function listPackages(modulesDir: string, prefix = ''): Promise<InstalledPackage[]> {
  const found: InstalledPackage[] = [];
  const entries = await readdir(join(modulesDir, prefix), { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.name.startsWith('.') || !entry.isDirectory()) continue;
    if (entry.name.startsWith('@')) {
      const scoped = await readdir(join(modulesDir, prefix, entry.name), { withFileTypes: true });
      for (const inner of scoped) if (inner.isDirectory()) found.push(...(await readPackage(modulesDir, `${prefix}${entry.name}/${inner.name}`)));
    } else {
      found.push(...(await readPackage(modulesDir, `${prefix}${entry.name}`)));
    }
  }
  return found;
}

async function readPackage(modulesDir: string, relativeDir: string): Promise<InstalledPackage[]> {
  const dir = join(modulesDir, relativeDir);
  const json = await readFile(join(dir, 'package.json'), 'utf8').then((text) => JSON.parse(text) as PackageJson, () => undefined);
  const nested = await listPackages(modulesDir, `${relativeDir}/node_modules/`);
  if (!json) return nested;
  const name = json.name ?? relativeDir.slice(relativeDir.lastIndexOf('node_modules/') + 1 || 0);
  return [{ name, relativeDir, dir, json }, ...nested];
}

/** Signs of compiled code in a package's own files (its nested node_modules are other packages). */
async function nativeMarkers(dir: string): Promise<{ any: boolean; compiledFromSource: boolean }> {
  const top = await readdir(dir).catch(() => [] as string[]);
  const gyp = top.includes('binding.gyp');
  const prebuilds = top.includes('prebuilds');
  const addon = await containsAddon(dir);
  return { any: gyp || prebuilds || addon, compiledFromSource: gyp && !prebuilds && !addon };
}

async function containsAddon(dir: string): Promise<boolean> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isFile() && entry.name.endsWith('.node')) return true;
    if (entry.isDirectory() && entry.name !== 'node_modules' && (await containsAddon(join(dir, entry.name)))) return true;
  }
  return false;
}

/**
 * The zip entries for packages left outside the bundle: each package with everything it needs at
 * run time (dependencies, optional and peer dependencies, found the way Node finds them).
 */
export async function externalPackageEntries(modulesDir: string, names: string[]): Promise<ZipEntry[]> {
  const dirs = new Set<string>();
  const queue = names.map((name) => ({ name, from: '' }));
  for (let item = queue.shift(); item; item = queue.shift()) {
    const relativeDir = await resolvePackage(modulesDir, item.name, item.from);
    if (relativeDir === undefined || dirs.has(relativeDir)) continue;
    dirs.add(relativeDir);
    const json: PackageJson = await readFile(join(modulesDir, relativeDir, 'package.json'), 'utf8').then((text) => JSON.parse(text) as PackageJson, () => ({}));
    for (const dep of Object.keys({ ...json.dependencies, ...json.optionalDependencies, ...json.peerDependencies })) queue.push({ name: dep, from: relativeDir });
  }
  const entries: ZipEntry[] = [];
  for (const relativeDir of dirs) entries.push(...(await listPackageFiles(modulesDir, relativeDir)));
  return entries;
}

/** node_modules/<from>/node_modules/<name>, then each folder up, as require() looks. */
async function resolvePackage(modulesDir: string, name: string, from: string): Promise<string | undefined> {
  for (let base = from; ; ) {
    const candidate = base === '' ? name : `${base}/node_modules/${name}`;
    if (await stat(join(modulesDir, candidate, 'package.json')).then(() => true, () => false)) return candidate;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut === -1 ? '' : base.slice(0, cut);
  }
}

async function listPackageFiles(modulesDir: string, relativeDir: string): Promise<ZipEntry[]> {
  const entries: ZipEntry[] = [];
  const visit = async (relative: string, isRoot: boolean): Promise<void> => {
    const dirents = await readdir(join(modulesDir, relative), { withFileTypes: true });
    for (const dirent of dirents) {
      if (isRoot && dirent.name === 'node_modules') continue;
      const path = `${relative}/${dirent.name}`;
      if (dirent.isDirectory()) await visit(path, false);
      else if (dirent.isFile()) entries.push({ name: `node_modules/${path}`, path: join(modulesDir, path), kind: 'file' });
      else if (dirent.isSymbolicLink()) entries.push({ name: `node_modules/${path}`, path: join(modulesDir, path), kind: 'symlink' });
    }
  };
  await visit(relativeDir, true);
  return entries;
}
