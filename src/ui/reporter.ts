import ora, { type Ora } from 'ora';
import { style } from './style.js';

/**
 * Use cases report what they do through these events; one reporter decides how it looks:
 * an ora spinner on a TTY, plain lines otherwise, nothing but results in --json mode.
 */
export interface Reporter {
  /** A long step begins (spinner on a TTY, a plain line otherwise). */
  start(text: string): void;
  /** Updates the running step's text (countdowns); silent without a spinner. */
  update(text: string): void;
  /** The running step (if any) succeeded with this text. */
  succeed(text: string): void;
  /** The running step (if any) failed with this text. */
  fail(text: string): void;
  /** Stops a running spinner, printing nothing. */
  stop(): void;
  info(text: string): void;
  warn(text: string): void;
  /** The command's real output (tables, URLs, JSON): always on stdout. */
  result(text: string): void;
}

export interface ReporterOptions {
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Progress goes to stderr and only results reach stdout (for --json). */
  quiet?: boolean;
}

export function createReporter(options: ReporterOptions = {}): Reporter {
  const stdout = options.stdout ?? process.stdout;
  const progress = options.quiet ? (options.stderr ?? process.stderr) : stdout;
  const interactive = Boolean(progress.isTTY) && !process.env.CI;
  return interactive ? new SpinnerReporter(progress, stdout) : new LineReporter(progress, stdout);
}

class LineReporter implements Reporter {
  constructor(
    private readonly progress: NodeJS.WritableStream,
    private readonly out: NodeJS.WritableStream,
  ) {}

  start(text: string): void {
    this.progress.write(`${text}\n`);
  }
  update(): void {}
  succeed(text: string): void {
    this.progress.write(`${style.ok('✔')} ${text}\n`);
  }
  fail(text: string): void {
    this.progress.write(`${style.error('✖')} ${text}\n`);
  }
  stop(): void {}
  info(text: string): void {
    this.progress.write(`${text}\n`);
  }
  warn(text: string): void {
    this.progress.write(`${style.warn(text)}\n`);
  }
  result(text: string): void {
    this.out.write(`${text}\n`);
  }
}

class SpinnerReporter implements Reporter {
  private spinner: Ora | undefined;

  constructor(
    private readonly progress: NodeJS.WritableStream,
    private readonly out: NodeJS.WritableStream,
  ) {}

  start(text: string): void {
    this.spinner?.stop();
    this.spinner = ora({ text, stream: this.progress, color: 'green' }).start();
  }
  update(text: string): void {
    if (this.spinner) this.spinner.text = text;
  }
  succeed(text: string): void {
    if (this.spinner) this.spinner.succeed(text);
    else this.progress.write(`${style.ok('✔')} ${text}\n`);
    this.spinner = undefined;
  }
  fail(text: string): void {
    if (this.spinner) this.spinner.fail(text);
    else this.progress.write(`${style.error('✖')} ${text}\n`);
    this.spinner = undefined;
  }
  stop(): void {
    this.spinner?.stop();
    this.spinner = undefined;
  }
  info(text: string): void {
    this.withSpinnerPaused(() => this.progress.write(`${text}\n`));
  }
  warn(text: string): void {
    this.withSpinnerPaused(() => this.progress.write(`${style.warn(text)}\n`));
  }
  result(text: string): void {
    this.withSpinnerPaused(() => this.out.write(`${text}\n`));
  }

  private withSpinnerPaused(write: () => void): void {
    if (!this.spinner) return write();
    const text = this.spinner.text;
    this.spinner.stop();
    write();
    this.spinner = ora({ text, stream: this.progress, color: 'green' }).start();
  }
}

/** Records every event; for tests. */
export class MemoryReporter implements Reporter {
  readonly events: { type: string; text: string }[] = [];

  start(text: string): void {
    this.events.push({ type: 'start', text });
  }
  update(text: string): void {
    this.events.push({ type: 'update', text });
  }
  succeed(text: string): void {
    this.events.push({ type: 'succeed', text });
  }
  fail(text: string): void {
    this.events.push({ type: 'fail', text });
  }
  stop(): void {}
  info(text: string): void {
    this.events.push({ type: 'info', text });
  }
  warn(text: string): void {
    this.events.push({ type: 'warn', text });
  }
  result(text: string): void {
    this.events.push({ type: 'result', text });
  }

  /** All text of the given event types, one line each. */
  text(...types: string[]): string {
    return this.events
      .filter((e) => types.length === 0 || types.includes(e.type))
      .map((e) => e.text)
      .join('\n');
  }
}
