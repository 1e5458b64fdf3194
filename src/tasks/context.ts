import type { Reporter } from '../ui/reporter.js';
import type { AwsOptions } from '../aws/clients.js';
import type { PromptIO } from '../ui/prompt.js';
import type { Store } from '../store/store.js';

/** What every use case gets from the CLI layer (the one context, built in cli.ts); tests build one by hand. */
export interface CommandContext {
  reporter: Reporter;
  /** Folder the user runs bam in (where functions are found and fetched code is written). */
  cwd: string;
  /**
   * What openAws builds the command's session from: --region / --profile, the retry and wait
   * policy (default AWS_POLICY) and the wait-notice sink. Every AWS step reads them from the session.
   */
  aws: AwsOptions;
  /** The .bam directory (cli.ts roots it at BAM_HOME or ~/.bam): records, intents, leases, staging. */
  store: Store;
  /** Where prompts read and write; prompts are only allowed when input is a TTY. */
  io: PromptIO;
  /** Today, for judging runtimes against AWS's dates (tests pin it). */
  now: () => Date;
}

export interface GlobalOptions {
  region?: string;
  profile?: string;
}
