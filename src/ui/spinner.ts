import ora, { type Ora } from 'ora';
import { roomForSpinner, type Reporter } from './reporter.js';
import { style } from './style.js';

/**
 * ora's spinner while the terminal is wide enough; when it shrinks below MIN_SPINNER_COLUMNS the
 * running step continues as a plain line (a 'resize' comes before ora's next frame).
 */
export class SpinnerReporter implements Reporter {
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
