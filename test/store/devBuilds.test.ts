import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeDeadProcessesBuilds } from '../../src/store/devBuilds.js';
import { storePathsIn, type StorePaths } from '../../src/store/paths.js';

let home: string;
let paths: StorePaths;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'bam-dev-builds-'));
  paths = storePathsIn(home);
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** A folder of bundles as a bam dev (or bam invoke) of this pid leaves it. */
async function buildsOf(pid: number): Promise<void> {
  await mkdir(join(paths.devBuilds(), String(pid), 'hello', 'node_modules'), { recursive: true });
  await writeFile(join(paths.devBuilds(), String(pid), 'hello', 'index.mjs'), 'export const handler = async () => 1;\n');
}

describe('bam dev\'s build folders', () => {
  it('sweeps the folders of processes that no longer run (killed, so never cleaned up) and keeps those of live ones', async () => {
    const exited = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => exited.once('exit', resolve));
    const running = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      await buildsOf(exited.pid!);
      await buildsOf(running.pid!);
      await buildsOf(process.pid);
      await writeFile(join(paths.devBuilds(), 'notes.txt'), 'not a process folder');
      expect(paths.devBuild('hello')).toBe(join(paths.devBuilds(), String(process.pid), 'hello'));

      await removeDeadProcessesBuilds(paths);
      expect((await readdir(paths.devBuilds())).sort()).toEqual([String(process.pid), String(running.pid), 'notes.txt'].sort());
      expect(await readdir(join(paths.devBuilds(), String(running.pid), 'hello'))).toEqual(['index.mjs', 'node_modules']);
    } finally {
      running.kill();
    }
  });

  it('has nothing to do before any bam dev ran', async () => {
    await expect(removeDeadProcessesBuilds(paths)).resolves.toBeUndefined();
  });
});
