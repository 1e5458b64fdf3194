import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE } from '../store/paths.js';
import type { StagedFile } from './stage.js';
import { BUILD_DIR } from './stage.js';
import { readTextIfAny, statIfAny } from './smallFiles.js';

/** Bump when what a build produces changes for the same inputs. */
const STAMP_VERSION = 2;
const STAMP_FILE = 'stamp.json';

/** What the last build of a function was made from, and what it made. */
export interface BuildStamp<Result> {
  fingerprint: string;
  /** The bam and esbuild that built it: another version may build other bytes, so it rebuilds. */
  tools: ToolVersions;
  /** Files outside staging the bundle read (tsconfig `paths` targets), with their size and date. */
  outside: FileState[];
  zipSize: number;
  result: Result;
  /** A single-file function's own modules, staged with it (paths from its folder). */
  localImports?: string[];
}

export interface ToolVersions {
  bam: string;
  esbuild: string;
}

/**
 * The versions of bam and of the esbuild it bundles with, read from their package.json files
 * (not by loading esbuild: an unchanged build must stay cheap to recognise).
 */
export function toolVersions(): ToolVersions {
  const versionAt = (path: string | URL): string => (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  return {
    bam: versionAt(new URL('../../package.json', import.meta.url)),
    esbuild: versionAt(createRequire(import.meta.url).resolve('esbuild/package.json')),
  };
}

interface FileState {
  path: string;
  state: string;
}

/**
 * A hash of everything a build depends on that can be known before building: the staged files'
 * names, sizes and dates, the options, the tsconfig.json, the user's declared and locked
 * versions and their local packages' files.
 */
export function buildFingerprint(parts: { staged: StagedFile[]; options: unknown; tsconfig: string | undefined; userPackage: unknown; localPackages: string }): string {
  const hash = createHash('sha256');
  hash.update(`${STAMP_VERSION}\n${JSON.stringify(parts.options)}\n${parts.tsconfig ?? ''} ${fileState(parts.tsconfig)}\n${JSON.stringify(parts.userPackage)}\n${parts.localPackages}\n`);
  hash.update(parts.staged.map((file) => `${file.relativePath}\0${file.size}\0${file.mtimeMs}\n`).join(''));
  return hash.digest('hex');
}

function fileState(path: string | undefined): string {
  if (path === undefined) return '';
  const info = statIfAny(path);
  return info ? `${info.size}:${info.mtimeMs}` : 'missing';
}

/** The recorded build, when its fingerprint, its tools, its outside files and its zip are all as they were. */
export function unchangedBuild<Result>(stagingDir: string, fingerprint: string, tools: ToolVersions, zipPath: string): BuildStamp<Result> | undefined {
  const stamp = readStamp<BuildStamp<Result>>(stagingDir);
  if (stamp?.fingerprint !== fingerprint) return undefined;
  if (stamp.tools?.bam !== tools.bam || stamp.tools.esbuild !== tools.esbuild) return undefined;
  const zip = statIfAny(zipPath);
  if (zip?.size !== stamp.zipSize) return undefined;
  for (const file of stamp.outside) if (fileState(file.path) !== file.state) return undefined;
  return stamp;
}

export async function writeBuildStamp<Result>(stagingDir: string, stamp: Omit<BuildStamp<Result>, 'outside'>, outsidePaths: string[]): Promise<void> {
  const outside = outsidePaths.map((path) => ({ path, state: fileState(path) }));
  await writeFile(join(stagingDir, BUILD_DIR, STAMP_FILE), JSON.stringify({ ...stamp, outside }), { mode: PRIVATE_FILE_MODE });
}

/** What the last build made, whatever its inputs (bam logs maps frames with its source map). */
export function readStampedResult(stagingDir: string): { codeSha256?: string; sourceMapPath?: string; bundleName?: string } | undefined {
  const stamp = readStamp<BuildStamp<{ codeSha256?: string; sourceMapPath?: string; bundleName?: string }>>(stagingDir);
  return stamp?.result;
}

/** The modules a single-file function imported at its last build: their sizes and dates say whether it changed. */
export function readLocalImports(stagingDir: string): string[] {
  const stamp = readStamp<Pick<BuildStamp<unknown>, 'localImports'>>(stagingDir);
  // Paths inside the function's folder only, whatever the file says.
  return Array.isArray(stamp?.localImports) ? stamp.localImports.filter((path) => typeof path === 'string' && !path.startsWith('/') && !path.split(/[\\/]/).includes('..')) : [];
}

/** The files outside staging the last build read (tsconfig `paths` targets): a change to one changes the zip. */
export function readOutsideInputs(stagingDir: string): string[] {
  const stamp = readStamp<Pick<BuildStamp<unknown>, 'outside'>>(stagingDir);
  return (stamp?.outside ?? []).map((file) => file.path);
}

/** The stamp of staging's last build; undefined when there is none (or it is not JSON: then it builds again). */
function readStamp<T>(stagingDir: string): T | undefined {
  const text = readTextIfAny(join(stagingDir, BUILD_DIR, STAMP_FILE));
  try {
    return text === undefined ? undefined : (JSON.parse(text) as T);
  } catch {
    return undefined;
  }
}
