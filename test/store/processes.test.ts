import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { isRunning } from '../../src/store/processes.js';

describe('isRunning', () => {
  it('is true for this process and false for a pid no process has', () => {
    expect(isRunning(process.pid)).toBe(true);
    expect(isRunning(2 ** 22 + 12345)).toBe(false);
  });

  // A zombie: `true` ends at once, and its parent shell became `sleep`, which never reaps it.
  it.runIf(existsSync('/proc/self/stat'))('is false for a zombie (exited, not reaped yet), which signal 0 still finds', async () => {
    const parent = spawn('sh', ['-c', 'true & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const [chunk] = (await once(parent.stdout, 'data')) as [Buffer];
      const zombie = Number(chunk.toString().trim());
      await expect.poll(() => isRunning(zombie), { timeout: 5000 }).toBe(false);
      expect(() => process.kill(zombie, 0)).not.toThrow();
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
