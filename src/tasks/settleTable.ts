import type { AwsSession } from '../aws/clients.js';
import type { Store } from '../store/store.js';
import type { Reporter } from '../ui/reporter.js';
import { findOwnTable } from './ownTables.js';
import { tableRecordFrom } from './tableRecord.js';

/** Settles an interrupted `bam dbtable NAME`: a table carrying its token is recorded. True when it recorded one. */
export async function settleTable(aws: AwsSession, store: Store, name: string, reporter: Reporter): Promise<boolean> {
  const open = await store.intents.forName(aws.region, name, ['table']);
  if (open.length === 0) return false;
  let recorded = false;
  for (const intent of open) {
    const found = await findOwnTable(aws, name, intent.token);
    if (found.table && found.ours && !(await store.dbTableRecords.get(aws.region, name))) {
      await store.dbTableRecords.put(aws.region, name, tableRecordFrom(found.table));
      reporter.warn(`Recorded table "${name}", which an interrupted bam had created.`);
      recorded = true;
    }
  }
  await store.intents.close(...open);
  return recorded;
}
