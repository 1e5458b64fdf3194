import type { Reporter } from './reporter.js';

export interface InterruptOptions {
  /** Ends the process on the second Ctrl-C; tests replace it. */
  exit?: (code: number) => void;
}

/**
 * Runs AWS work that creates or deletes resources. A first Ctrl-C does not cut it off between a
 * resource being created and its record being written (the records would then miss it): bam says
 * it is finishing the steps under way, which take seconds. A second Ctrl-C stops at once.
 */
export async function finishBeforeExit<T>(reporter: Reporter, work: () => Promise<T>, options: InterruptOptions = {}): Promise<T> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let interrupted = false;
  const onInterrupt = (): void => {
    if (interrupted) {
      exit(130);
      return;
    }
    interrupted = true;
    reporter.warn('Finishing the AWS steps under way, so that bam\'s records match what exists in AWS. Press Ctrl-C again to stop now.');
  };
  process.on('SIGINT', onInterrupt);
  try {
    return await work();
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}
