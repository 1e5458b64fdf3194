// What the package benchmarks share: a median, and one timed child process that must succeed.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Runs the command to its end; its wall time in ms and its output. A failure stops the bench. */
export function timed(command, args, options) {
  const start = performance.now();
  const run = spawnSync(command, args, { encoding: 'utf8', ...options });
  const ms = performance.now() - start;
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${run.stdout}\n${run.stderr}`);
  return { ms, stdout: run.stdout, stderr: run.stderr };
}
