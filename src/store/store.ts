import { intentsAt, type Intents } from './intents.js';
import { devEndpointsAt, type DevEndpoints } from './devEndpoints.js';
import { withNameLease, type LeaseKind, type LeaseOptions } from './lease.js';
import { storePathsIn, type StorePaths } from './paths.js';
import { RecordFile, configFileAt, validateDbTable, validateLambda, type ConfigFile } from './records.js';
import type { DbTableRecord, LambdaRecord } from '../core/records.js';

/**
 * The .bam directory of one run: every record, intent, lease and staging folder under one root.
 * cli.ts roots it once (BAM_HOME or ~/.bam); tests root theirs in a temporary folder.
 */
export interface Store extends ConfigFile {
  readonly root: string;
  readonly paths: StorePaths;
  readonly lambdaRecords: RecordFile<LambdaRecord>;
  readonly dbTableRecords: RecordFile<DbTableRecord>;
  readonly intents: Intents;
  /** The bam dev processes running on this machine and their local Lambda APIs. */
  readonly devEndpoints: DevEndpoints;
  /** Runs `work` holding the lease on one function's or table's name (see lease.ts). */
  withNameLease<T>(kind: LeaseKind, region: string, name: string, options: LeaseOptions, work: () => Promise<T>): Promise<T>;
}

export function openStore(root: string): Store {
  const paths = storePathsIn(root);
  return {
    root,
    paths,
    lambdaRecords: new RecordFile<LambdaRecord>(paths.lambdas, paths.lock, validateLambda),
    dbTableRecords: new RecordFile<DbTableRecord>(paths.dbTables, paths.lock, validateDbTable),
    ...configFileAt(paths),
    intents: intentsAt(paths),
    devEndpoints: devEndpointsAt(paths),
    withNameLease: (kind, region, name, options, work) => withNameLease(paths, kind, region, name, options, work),
  };
}
