import { readFileSync } from 'node:fs';

/**
 * Whether a process runs: signal 0 checks it exists (EPERM means it does: another user's). A
 * zombie (exited, its parent has not reaped it yet, as after a kill -9) exists but runs no more:
 * on Linux its state in /proc says so, and what it held is free.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false; // no /proc (macOS, Windows), or gone meanwhile
  }
  // "PID (COMMAND) STATE ...": the command may hold spaces and parentheses, so read after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 1).trim().startsWith('Z');
}
