import { style } from './style.js';
import type { Reporter, ReporterOptions } from './reporter.js';

/**
 * Plain lines, never a spinner: for commands that run no long steps (bam invoke), so they do not
 * load ora and what it needs (a fifth of the process's start-up).
 */
export function createLineReporter(options: ReporterOptions = {}): Reporter {
  const stdout = options.stdout ?? process.stdout;
  return new LineReporter(options.quiet ? (options.stderr ?? process.stderr) : stdout, stdout);
}

export class LineReporter implements Reporter {
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
