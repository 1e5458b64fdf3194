import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createReporter } from '../../src/ui/reporter.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

// eslint-disable-next-line no-control-regex
const stripEscapes = (text: string): string => text.replace(/\u001b\[[\d;?]*[a-zA-Z]/g, '');

/** Runs `body` as if on a terminal: no CI, a TERM that allows a spinner. */
async function onATerminal(body: () => Promise<void>): Promise<void> {
  const saved = { CI: process.env.CI, TERM: process.env.TERM };
  delete process.env.CI;
  process.env.TERM = 'xterm-256color';
  try {
    await body();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

/**
 * A TTY of the given width that refuses to take more than `budget` bytes: an endless redraw loop
 * (which would block this test forever) throws instead, and `overflowed` says so.
 */
function fakeTerminal(columns: number, budget = 64 * 1024) {
  const stream = new PassThrough();
  let text = '';
  let overflowed = false;
  const write = (chunk: string | Uint8Array): boolean => {
    text += chunk.toString();
    if (text.length > budget) {
      overflowed = true;
      throw new Error(`unbounded terminal output (${text.length} bytes)`);
    }
    return true;
  };
  Object.assign(stream, {
    isTTY: true,
    columns,
    rows: columns === 0 ? 0 : 24,
    write,
    cursorTo: () => write('\u001b[G'),
    clearLine: () => write('\u001b[2K'),
    moveCursor: () => write('\u001b[1A'),
  });
  return { stream, text: () => text, overflowed: () => overflowed, resize: (to: number) => Object.assign(stream, { columns: to }).emit('resize') };
}

function capture() {
  const stream = Object.assign(new PassThrough(), { isTTY: false });
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

describe('reporter', () => {
  it('prints plain lines, one per event, when output is not a terminal', async () => {
    const out = capture();
    const reporter = await createReporter({ stdout: out.stream });
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
      const reporter = await createReporter({ stdout: out.stream });
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

  it('sends progress to stderr and only results to stdout in quiet (--json) mode', async () => {
    const out = capture();
    const err = capture();
    const reporter = await createReporter({ stdout: out.stream, stderr: err.stream, quiet: true });
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

  it('leaves output that is not a terminal uncoloured, without loading chalk, unless FORCE_COLOR or --color asks', () => {
    const probe = (args: string[]) => {
      const env = { ...process.env };
      delete env.FORCE_COLOR;
      delete env.NO_COLOR;
      const script = `import('${root}dist/ui/style.js').then(({ style }) => process.stdout.write(style.warn('w') + ' ' + process.moduleLoadList.includes('NativeModule tty')))`;
      return spawnSync(process.execPath, ['-e', script, '--', ...args], { encoding: 'utf8', env }).stdout;
    };
    // chalk's colour probing loads node:tty; without it nothing did.
    expect(probe([])).toBe('w false');
    expect(probe(['--color'])).toBe('\u001b[33mw\u001b[39m true');
  });

  it.each([0, 1, 19])('a terminal of %i columns gets plain lines, a bounded output, never a spinner loop', async (columns) => {
    await onATerminal(async () => {
      const term = fakeTerminal(columns);
      const reporter = await createReporter({ stdout: term.stream });
      reporter.start('Listing tables');
      await sleep(300); // several of ora's frames, if one were running
      reporter.update('Listing tables (page 2)');
      reporter.info('between');
      reporter.succeed('Tables listed');
      await sleep(100);
      expect(term.overflowed()).toBe(false);
      expect(stripEscapes(term.text())).toBe('Listing tables\nbetween\n✔ Tables listed\n');
    });
  });

  it('spinner: false gives plain lines on a wide terminal too (bam invoke: no ora)', async () => {
    await onATerminal(async () => {
      const term = fakeTerminal(80);
      const reporter = await createReporter({ stdout: term.stream, spinner: false });
      reporter.start('Invoking');
      reporter.update('Invoking (still)');
      reporter.succeed('Invoked');
      // ora hides the cursor first thing; plain lines never do.
      expect(term.text()).not.toContain('\u001b[?25l');
      expect(stripEscapes(term.text())).toBe('Invoking\n\u2714 Invoked\n');
    });
  });

  it('a spinner whose terminal shrinks to 0 columns carries on as plain lines', async () => {
    await onATerminal(async () => {
      const term = fakeTerminal(80);
      const reporter = await createReporter({ stdout: term.stream });
      reporter.start('Creating function');
      await sleep(250);
      term.resize(0);
      const before = term.text().length;
      await sleep(300); // a spinner still running would now clear lines without end
      expect(term.overflowed()).toBe(false);
      expect(term.text().length - before).toBeLessThan(100);
      expect(stripEscapes(term.text())).toMatch(/Creating function\n$/);
      reporter.succeed('Function created');
      expect(stripEscapes(term.text())).toMatch(/Creating function\n✔ Function created\n$/);
      term.resize(80);
      reporter.start('Creating the API'); // wide again: the next step spins
      await sleep(250);
      reporter.succeed('API created');
      expect(term.overflowed()).toBe(false);
      expect(term.text().match(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Creating the API/g)?.length ?? 0).toBeGreaterThan(1);
    });
  });
});

// `script` (util-linux) runs a command on a real pty; `stty cols 0 rows 0` is a terminal nobody sized.
const hasScript = process.platform === 'linux' && spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!hasScript)('reporter on a real 0x0 pty (script -qc)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bam-pty-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the step, answers Ctrl-C (SIGINT) at once and writes a bounded amount', async () => {
    // A command that spins until interrupted, like `bam list --dbtables` waiting on AWS.
    const program = join(dir, 'spin.mjs');
    await writeFile(
      program,
      [
        `import { writeFileSync } from 'node:fs';`,
        `const { createReporter } = await import(${JSON.stringify(join(root, 'dist/ui/reporter.js'))});`,
        `writeFileSync(${JSON.stringify(join(dir, 'pid'))}, String(process.pid));`,
        `const reporter = await createReporter();`,
        `process.on('SIGINT', () => { reporter.fail('Interrupted'); process.exit(130); });`,
        `reporter.start('Listing tables');`,
        `setTimeout(() => process.exit(3), 20_000);`,
      ].join('\n'),
    );
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
    delete env.CI;
    const child = spawn('script', ['-qec', `stty cols 0 rows 0; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(program)}`, '/dev/null'], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (output.length < 1_000_000) output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    let pid: number | undefined;
    try {
      for (let waited = 0; pid === undefined && waited < 10_000; waited += 50) {
        await sleep(50);
        pid = Number(await readFile(join(dir, 'pid'), 'utf8').catch(() => '')) || undefined;
      }
      expect(pid, 'the command did not start').toBeDefined();
      await sleep(500); // a few of the spinner's frames
      process.kill(pid!, 'SIGINT'); // what Ctrl-C sends
      const code = await Promise.race([exited, sleep(5_000).then(() => 'still running')]);
      expect(code).toBe(130); // script -e passes the command's exit code on
      expect(output.length).toBeLessThan(10_000);
      expect(stripEscapes(output)).toContain('Listing tables');
      expect(stripEscapes(output)).toContain('✖ Interrupted');
    } finally {
      // A command stuck in a redraw loop ignores SIGINT, and the pty closing does not stop it.
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      child.kill('SIGKILL');
    }
  });
});
