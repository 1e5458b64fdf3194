import { readTextIfAny } from './smallFiles.js';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { BamError } from '../core/errors.js';

/** What the user's own package.json (and lockfile next to it) say about versions. */
export interface UserPackage {
  /** Folder holding the package.json; undefined when none was found. */
  dir: string | undefined;
  /** "module" or "commonjs" when set, so staged .js files keep their meaning. */
  type: string | undefined;
  /** Declared specs: dependencies, optional, peer, then dev (an imported dev dep is still needed at run time). */
  specs: Record<string, string>;
  /** Versions the lockfile recorded as installed. */
  locked: Record<string, string>;
  /**
   * `"bam": { "installScripts": true }`: the user lets npm run their dependencies' install
   * scripts (native addons need them). Off by default: packaging runs nobody's code.
   */
  installScripts: boolean;
  /** `"bam": { "external": [...] }`: packages shipped in node_modules instead of bundled. */
  external: string[];
  /** Lockfile integrity of the top-level installs (part of what makes two dependency sets the same). */
  integrity: Record<string, string>;
}

interface PackageJson {
  type?: unknown;
  bam?: { installScripts?: unknown; external?: unknown };
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface PackageLock {
  packages?: Record<string, { version?: string; link?: boolean; integrity?: string }>;
  dependencies?: Record<string, { version?: string }>;
}

/** The nearest package.json at or above `from`, with its package-lock.json if there is one. */
export function readUserPackage(from: string): Promise<UserPackage> {
  // A promise all the same: a broken package.json rejects it. Read in line (see smallFiles.ts).
  return new Promise((settle) => settle(userPackageAbove(from)));
}

function userPackageAbove(from: string): UserPackage {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const json = readJson<PackageJson>(join(dir, 'package.json'));
    if (json) {
      const lock = readJson<PackageLock>(join(dir, 'package-lock.json'));
      return {
        dir,
        type: typeof json.type === 'string' ? json.type : undefined,
        specs: declaredSpecs(json, dir),
        locked: lockedVersions(lock),
        installScripts: installScriptsOptIn(json, join(dir, 'package.json')),
        external: externalList(json, join(dir, 'package.json')),
        integrity: lockedIntegrity(lock),
      };
    }
    if (dirname(dir) === dir) return { dir: undefined, type: undefined, specs: {}, locked: {}, installScripts: false, external: [], integrity: {} };
  }
}

/**
 * The version to install: the exact version the lockfile installed when the declared spec is a
 * registry range (so Lambda runs what the user tested), else the declared spec (file:, git, tags),
 * else latest.
 */
export function versionFor(pkg: UserPackage, name: string): string {
  const declared = pkg.specs[name];
  const locked = pkg.locked[name];
  if (locked && (declared === undefined || isRegistryRange(declared))) return locked;
  return declared ?? 'latest';
}

// "^1.2.0", "~1", ">=2 <3", "1.x", "*": a semver range; not "file:..", "github:..", "latest" or a URL.
function isRegistryRange(spec: string): boolean {
  return spec === '' || /^[\d\s^~<>=*xX|.v-]+$/.test(spec);
}

function installScriptsOptIn(json: PackageJson, path: string): boolean {
  const value = typeof json.bam === 'object' && json.bam !== null ? json.bam.installScripts : undefined;
  if (value === undefined || typeof value === 'boolean') return value === true;
  throw new BamError(`${path}: "bam": { "installScripts" } must be true or false, not ${JSON.stringify(value)}.`);
}

function externalList(json: PackageJson, path: string): string[] {
  const value = typeof json.bam === 'object' && json.bam !== null ? json.bam.external : undefined;
  if (value === undefined) return [];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  throw new BamError(`${path}: "bam": { "external" } must be a list of package names, not ${JSON.stringify(value)}.`);
}

function lockedIntegrity(lock: PackageLock | undefined): Record<string, string> {
  const integrity: Record<string, string> = {};
  for (const [key, entry] of Object.entries(lock?.packages ?? {})) {
    const name = /^node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(key)?.[1];
    if (name && entry.integrity) integrity[name] = entry.integrity;
  }
  return integrity;
}

/**
 * The packages bam installs only because the code names them: in neither package.json nor the
 * lockfile, so npm takes whatever version is newest today.
 */
export function undeclaredPackages(pkg: UserPackage, names: string[]): string[] {
  return names.filter((name) => pkg.specs[name] === undefined && pkg.locked[name] === undefined);
}

function declaredSpecs(json: PackageJson, dir: string): Record<string, string> {
  const specs: Record<string, string> = {};
  // Later groups do not override earlier ones: dependencies win over devDependencies.
  for (const group of [json.devDependencies, json.peerDependencies, json.optionalDependencies, json.dependencies]) {
    for (const [name, spec] of Object.entries(group ?? {})) {
      if (typeof spec === 'string') specs[name] = absoluteFileSpec(spec, dir);
    }
  }
  return specs;
}

/**
 * npm resolves `file:../x` against the package.json's folder; the generated package.json lives in
 * staging, so local paths are made absolute.
 */
export function absoluteFileSpec(spec: string, dir: string): string {
  const match = /^(file|link):(.*)$/.exec(spec);
  if (!match || isAbsolute(match[2] ?? '')) return spec;
  return `${match[1]}:${resolve(dir, match[2] ?? '')}`;
}

function lockedVersions(lock: PackageLock | undefined): Record<string, string> {
  const locked: Record<string, string> = {};
  for (const [key, entry] of Object.entries(lock?.packages ?? {})) {
    // Only top-level installs ("node_modules/x", not nested copies); links carry no registry version.
    const name = /^node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(key)?.[1];
    if (name && entry.version && !entry.link) locked[name] = entry.version;
  }
  for (const [name, entry] of Object.entries(lock?.dependencies ?? {})) {
    if (entry.version && !(name in locked) && !entry.version.startsWith('file:')) locked[name] = entry.version;
  }
  return locked;
}

function readJson<T>(path: string): T | undefined {
  const text = readTextIfAny(path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new BamError(`${path} is not valid JSON (${(err as Error).message}). Fix it and try again.`, { cause: err });
  }
}
