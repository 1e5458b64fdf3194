import { homedir } from 'node:os';
import { join } from 'node:path';

/** The .bam directory: machine-wide as in BAM!, `BAM_HOME` overrides it (tests always do). */
export function bamHome(): string {
  return process.env.BAM_HOME || join(homedir(), '.bam');
}

export const storePaths = {
  config: () => join(bamHome(), 'config.json'),
  lambdas: () => join(bamHome(), 'lambdas.json'),
  dbTables: () => join(bamHome(), 'dbTables.json'),
  lock: () => join(bamHome(), 'records.lock'),
  staging: (name: string) => join(bamHome(), 'staging', name),
  devDb: () => join(bamHome(), 'dev-db'),
};
