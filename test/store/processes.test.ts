import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { isRunning } from '../../src/store/processes.js';

describe('isRunning', () => {
  it('is true for this process and false for a pid no process has', () => {
    expect(isRunning(process.pid)).toBe(true);
    expect(isRunning(2 ** 22 + 12345)).toBe(false);
  });

  // A zombie: the background job ends after its parent shell has become `sleep`, which never
  // reaps it (had the shell still been there, it would have).
  it.runIf(existsSync('/proc/self/stat'))('is false for a zombie (exited, not reaped yet), which signal 0 still finds', async () => {
    const parent = spawn('sh', ['-c', '(sleep 0.5) & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const [chunk] = (await once(parent.stdout, 'data')) as [Buffer];
      const zombie = Number(chunk.toString().trim());
      expect(isRunning(zombie)).toBe(true);
      await expect.poll(() => isRunning(zombie), { timeout: 5000 }).toBe(false);
      expect(() => process.kill(zombie, 0)).not.toThrow();
      expect(readFileSync(`/proc/${zombie}/stat`, 'utf8')).toMatch(/\) Z /);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
