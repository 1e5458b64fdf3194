import ora, { type Ora } from 'ora';
import { style } from './style.js';
import { LineReporter } from './lineReporter.js';

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
  const interactive = Boolean(progress.isTTY) && !process.env.CI && roomForSpinner(progress);
  return interactive ? new SpinnerReporter(progress, stdout) : new LineReporter(progress, stdout);
}

/** Narrower than this, a spinner line cannot be redrawn in place: plain lines instead. */
export const MIN_SPINNER_COLUMNS = 20;

/**
 * ora clears its previous frame by counting rows (text width ÷ columns): a terminal that reports
 * 0 columns (a pty nobody sized, as under `script`) makes that Infinity, and ora then clears
 * lines forever, so fast that Ctrl-C is never handled; a few columns make a screenful per frame.
 * An unknown width is fine: ora assumes 80.
 */
function roomForSpinner(stream: NodeJS.WritableStream): boolean {
  const { columns } = stream as { columns?: number };
  return columns === undefined || columns >= MIN_SPINNER_COLUMNS;
}

/**
 * ora's spinner while the terminal is wide enough; when it shrinks below MIN_SPINNER_COLUMNS the
 * running step continues as a plain line (a 'resize' comes before ora's next frame).
 */
class SpinnerReporter implements Reporter {
  private spinner: Ora | undefined;
  private readonly onResize = (): void => {
    if (roomForSpinner(this.progress)) return;
    const text = this.halt();
    if (text !== undefined) this.progress.write(`${text}\n`);
  };

  constructor(
    private readonly progress: NodeJS.WritableStream,
    private readonly out: NodeJS.WritableStream,
  ) {}

  start(text: string): void {
    this.halt();
    this.spin(text);
  }
  update(text: string): void {
    if (this.spinner) this.spinner.text = text;
  }
  succeed(text: string): void {
    const spinner = this.release();
    if (spinner) spinner.succeed(text);
    else this.progress.write(`${style.ok('✔')} ${text}\n`);
  }
  fail(text: string): void {
    const spinner = this.release();
    if (spinner) spinner.fail(text);
    else this.progress.write(`${style.error('✖')} ${text}\n`);
  }
  stop(): void {
    this.halt();
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

  private spin(text: string): void {
    if (!roomForSpinner(this.progress)) {
      this.progress.write(`${text}\n`);
      return;
    }
    this.spinner = ora({ text, stream: this.progress, color: 'green' }).start();
    this.progress.on('resize', this.onResize);
  }

  /** Takes the running spinner (if any) out of this reporter, still spinning, to end it. */
  private release(): Ora | undefined {
    const spinner = this.spinner;
    this.spinner = undefined;
    this.progress.removeListener('resize', this.onResize);
    return spinner;
  }

  /** Stops the running spinner, printing nothing; returns its text. */
  private halt(): string | undefined {
    const spinner = this.release();
    spinner?.stop();
    return spinner?.text;
  }

  private withSpinnerPaused(write: () => void): void {
    const text = this.halt();
    write();
    if (text !== undefined) this.spin(text);
  }
}
