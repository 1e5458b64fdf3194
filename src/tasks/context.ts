import type { Reporter } from '../ui/reporter.js';
import type { AwsOptions } from '../aws/clients.js';
import type { PromptIO } from '../ui/prompt.js';

/** What every use case gets from the CLI layer; tests build one by hand. */
export interface CommandContext {
  reporter: Reporter;
  /** Folder the user runs bam in (where functions are found and fetched code is written). */
  cwd: string;
  /** --region / --profile. */
  aws: AwsOptions;
  /** Where prompts read and write; prompts are only allowed when input is a TTY. */
  io: PromptIO;
  /** Today, for judging runtimes against AWS's dates (tests pin it). */
  now: () => Date;
}

export interface GlobalOptions {
  region?: string;
  profile?: string;
}
