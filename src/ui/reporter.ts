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
  /** false: plain lines even on a terminal, for a command with no long steps (bam invoke): ora is never loaded. */
  spinner?: boolean;
}

export async function createReporter(options: ReporterOptions = {}): Promise<Reporter> {
  const stdout = options.stdout ?? process.stdout;
  const progress = options.quiet ? (options.stderr ?? process.stderr) : stdout;
  const interactive = options.spinner !== false && Boolean(progress.isTTY) && !process.env.CI && roomForSpinner(progress);
  if (!interactive) return new LineReporter(progress, stdout);
  // ora and its dependencies take longer to load than a warm `bam package` takes to run: only a terminal loads them.
  const { SpinnerReporter } = await import('./spinner.js');
  return new SpinnerReporter(progress, stdout);
}

/** Narrower than this, a spinner line cannot be redrawn in place: plain lines instead. */
export const MIN_SPINNER_COLUMNS = 20;

/**
 * ora clears its previous frame by counting rows (text width ÷ columns): a terminal that reports
 * 0 columns (a pty nobody sized, as under `script`) makes that Infinity, and ora then clears
 * lines forever, so fast that Ctrl-C is never handled; a few columns make a screenful per frame.
 * An unknown width is fine: ora assumes 80.
 */
export function roomForSpinner(stream: NodeJS.WritableStream): boolean {
  const { columns } = stream as { columns?: number };
  return columns === undefined || columns >= MIN_SPINNER_COLUMNS;
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
