import { readFile } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import type { AwsSession } from '../../aws/clients.js';
import { BamError, errorMessage } from '../../core/errors.js';
import type { LambdaRecord } from '../../core/records.js';
import type { BuildInputs } from '../../core/watching.js';
import type { Store } from '../../store/store.js';
import type { Reporter } from '../../ui/reporter.js';
import { watchInputs } from './files.js';
import { pushCode } from './pushCode.js';
import { streamsResponse, urlChanges } from '../functionUrl.js';
import { SaveSchedule, realTimers, type Saves, type Timers } from './schedule.js';

/** A function's code as built just now. */
interface Build {
  codeSha256: string;
  zipPath: string;
  /** From `// description:`: a change is a settings change, applied as redeploy does. */
  description: string;
  /** The entry file, which says whether the handler streams (a function URL's invoke mode follows it). */
  entryFile: string;
}

/** A function under watch: how to build it, what its build reads, and the whole redeploy. */
export interface WatchedFunction {
  name: string;
  /** Builds the code as it is now; a BamError (file:line:column for a syntax error) when it does not build. */
  build(): Promise<Build>;
  /** What the build reads, asked again after every build. */
  inputs(): Promise<BuildInputs>;
  /** Everything `bam redeploy NAME` does, for a change that is more than code. */
  redeploy(): Promise<LambdaRecord>;
}

export interface WatchOptions {
  aws: AwsSession;
  store: Store;
  reporter: Reporter;
  /** Saved files are named relative to it. */
  cwd: string;
  /** Aborted by the first Ctrl-C: no more builds, the update under way finishes. */
  stop: AbortSignal;
  timers?: Timers;
  /** How long saves must settle before a build. */
  quietMs?: number;
}

// Editors write a file in several steps within a few milliseconds; this is short beside a round trip.
const QUIET_MS = 50;

/**
 * Watches each function's inputs until `stop`: every settled save rebuilds it, and new code goes
 * straight to Lambda (pushCode). A build error or an AWS error is one line and the watch goes on;
 * the next save tries again. One function's updates never overlap; functions are independent.
 */
export async function watchFunctions(functions: WatchedFunction[], options: WatchOptions): Promise<void> {
  const { reporter, stop } = options;
  const timers = options.timers ?? realTimers;
  const watched = await Promise.all(
    functions.map(async (fn) => {
      const state: WatchState = { watcher: () => watcher, revisionId: undefined };
      const schedule = new SaveSchedule((saves) => sendSaves(fn, saves, options, timers, state), timers, options.quietMs ?? QUIET_MS);
      const watcher = watchInputs(await fn.inputs(), (path) => schedule.saved(path));
      return { schedule, watcher };
    }),
  );
  const names = functions.map((fn) => `"${fn.name}"`).join(', ');
  reporter.info(`Watching ${names}: each save goes live as you make it. Ctrl-C to stop.`);
  await new Promise<void>((resolve) => {
    if (stop.aborted) resolve();
    else stop.addEventListener('abort', () => resolve(), { once: true });
  });
  for (const { watcher } of watched) watcher.close();
  await Promise.all(watched.map(({ schedule }) => schedule.stop()));
  reporter.info('Stopped watching.');
}

/** What the watch of one function knows between saves. */
interface WatchState {
  watcher: () => { follow(inputs: BuildInputs): void };
  /** The function's RevisionId after bam's last update (undefined: not known, e.g. after a redeploy or an error). */
  revisionId: string | undefined;
}

async function sendSaves(fn: WatchedFunction, saves: Saves, options: WatchOptions, timers: Timers, state: WatchState): Promise<void> {
  const { aws, store, reporter } = options;
  const changed = describeSaves(saves.paths, options.cwd);
  let build: Build;
  try {
    build = await fn.build();
  } catch (err) {
    reporter.fail(`"${fn.name}": ${errorMessage(err)} Nothing sent; save again once it is fixed.`);
    return;
  }
  try {
    state.watcher().follow(await fn.inputs());
    // The record is what bam last saw of the function (kept equal to AWS): trusted, not asked for again.
    const seen = await store.lambdaRecords.get(aws.region, fn.name);
    if (!seen) throw new BamError(`The record of "${fn.name}" is gone (bam delete?). Stop with Ctrl-C.`);
    const settings = await settingsChanged(build, seen);
    if (settings) {
      reporter.info(`"${fn.name}": ${changed} changed its ${settings}; redeploying as bam redeploy does.`);
      state.revisionId = undefined;
      const record = await fn.redeploy();
      reporter.succeed(`"${fn.name}": ${changed} live in ${timers.now() - saves.firstAt} ms${urlOf(record)}`);
      return;
    }
    if (build.codeSha256 === seen.codeSha256) {
      reporter.info(`"${fn.name}": ${changed} saved; the code Lambda runs is the same, nothing sent.`);
      return;
    }
    const zip = await readFile(build.zipPath);
    const revisionId = state.revisionId;
    state.revisionId = undefined;
    state.revisionId = await pushCode(aws, store, fn.name, zip, reporter, revisionId);
    reporter.succeed(`"${fn.name}": ${changed} live in ${timers.now() - saves.firstAt} ms${urlOf(seen)}`);
  } catch (err) {
    reporter.fail(`"${fn.name}": ${errorMessage(err)} Sent again on your next save.`);
  }
}

/** What of the function's settings the code carries changed (these go through the whole redeploy), if anything. */
async function settingsChanged(build: Build, seen: LambdaRecord): Promise<string | undefined> {
  if (build.description !== seen.description) return 'description';
  if (seen.url && urlChanges(seen, undefined, await streamsResponse(build.entryFile))) return "function URL's invoke mode (streaming)";
  return undefined;
}

function urlOf(record: LambdaRecord): string {
  const url = record.api?.url ?? record.url?.url;
  return url ? ` → ${url}` : '';
}

/** The saved files, relative to the working folder when they are under it. */
function describeSaves(paths: string[], cwd: string): string {
  const shown = paths.map((path) => {
    const rel = relative(cwd, path);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
  });
  return shown.length <= 3 ? shown.join(', ') : `${shown.slice(0, 2).join(', ')} and ${shown.length - 2} more files`;
}
