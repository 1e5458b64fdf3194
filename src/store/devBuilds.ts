import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StorePaths } from './paths.js';
import { isRunning } from './processes.js';

/**
 * Removes the bundles of bam dev and bam invoke processes that are no longer running. Each
 * removes its own folder when it ends, but a killed one (kill -9, a closed terminal) cannot: the
 * next one to start sweeps up after it.
 */
export async function removeDeadProcessesBuilds(paths: StorePaths): Promise<void> {
  const folder = paths.devBuilds();
  const pids = (await readdir(folder).catch(() => [])).filter((entry) => /^\d+$/.test(entry)).map(Number);
  const dead = pids.filter((pid) => pid !== process.pid && !isRunning(pid));
  await Promise.all(dead.map((pid) => rm(join(folder, String(pid)), { recursive: true, force: true })));
}
