import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createReporter } from '../../src/ui/reporter.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function capture() {
  const stream = Object.assign(new PassThrough(), { isTTY: false });
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

describe('reporter', () => {
  it('prints plain lines, one per event, when output is not a terminal', () => {
    const out = capture();
    const reporter = createReporter({ stdout: out.stream });
    reporter.start('Creating function');
    reporter.update('still creating'); // countdowns are for spinners only
    reporter.succeed('Function created');
    reporter.warn('careful');
    reporter.result('https://example.com');
    expect(out.text().split('\n').filter(Boolean)).toHaveLength(4);
    expect(out.text()).not.toContain('still creating');
  });

  it('animates a spinner on a terminal, and shows the step once it ends', async () => {
    const saved = { CI: process.env.CI, TERM: process.env.TERM };
    delete process.env.CI;
    process.env.TERM = 'xterm-256color';
    try {
      const out = capture();
      Object.assign(out.stream, { isTTY: true, columns: 80, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
      const reporter = createReporter({ stdout: out.stream });
      reporter.start('Installing dependencies');
      await new Promise((r) => setTimeout(r, 250)); // a few frames
      reporter.update('Installing dependencies (2 of 3)');
      await new Promise((r) => setTimeout(r, 150));
      reporter.succeed('Dependencies installed');
      const frames = out.text().match(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Installing dependencies/g) ?? [];
      expect(frames.length).toBeGreaterThan(1); // redrawn in place, not one line per step
      expect(out.text()).toContain('Installing dependencies (2 of 3)');
      // eslint-disable-next-line no-control-regex
      expect(out.text().replace(/\u001b\[[\d;?]*[a-zA-Z]/g, '')).toMatch(/✔ Dependencies installed\n$/);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('sends progress to stderr and only results to stdout in quiet (--json) mode', () => {
    const out = capture();
    const err = capture();
    const reporter = createReporter({ stdout: out.stream, stderr: err.stream, quiet: true });
    reporter.start('Listing');
    reporter.result('{"a":1}');
    expect(out.text()).toBe('{"a":1}\n');
    expect(err.text()).toContain('Listing');
  });

  it('honours NO_COLOR and colours otherwise when forced', () => {
    const probe = (env: Record<string, string>) =>
      spawnSync(process.execPath, ['-e', `import('${root}dist/ui/style.js').then(({ style }) => process.stdout.write(style.warn('w')))`], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      }).stdout;
    expect(probe({ FORCE_COLOR: '1', NO_COLOR: '1' })).toBe('w');
    expect(probe({ FORCE_COLOR: '1', NO_COLOR: '' })).toContain('\u001b[');
  });
});
