import { applyEnv, type EnvChange } from '../core/env.js';
import { isTableName } from '../core/names.js';
import type { DbTableRecord, LambdaRecord } from '../core/records.js';
import type { FoundFunction } from './functions.js';
import type { LocalTable } from './localDynamo.js';

/**
 * The tables the local DynamoDB makes (unless they exist) for bam dev and a standalone bam invoke:
 * the recorded tables, the --table ones, and for a function that uses DynamoDB but whose table is
 * not among them, a table named as the db templates read it: TABLE_NAME, else the function's
 * name; partition key PARTITION_KEY (default `id`), a number when PARTITION_KEY_TYPE=number.
 */
export function localTables(
  found: FoundFunction[],
  records: Record<string, LambdaRecord>,
  tableRecords: Record<string, DbTableRecord>,
  extra: LocalTable[],
  overrides: EnvChange,
): LocalTable[] {
  const tables = new Map<string, LocalTable>();
  for (const [name, { partitionKey, sortKey }] of Object.entries(tableRecords)) tables.set(name, { name, partitionKey, ...(sortKey ? { sortKey } : {}) });
  for (const table of extra) tables.set(table.name, table);
  for (const { source, usesDynamoDb } of found) {
    if (!usesDynamoDb) continue;
    const env = applyEnv(records[source.name]?.env ?? {}, overrides);
    const name = env.TABLE_NAME ?? source.name;
    const partitionKey = { name: env.PARTITION_KEY ?? 'id', type: env.PARTITION_KEY_TYPE === 'number' ? ('N' as const) : ('S' as const) };
    if (!tables.has(name) && isTableName(name)) tables.set(name, { name, partitionKey });
  }
  return [...tables.values()];
}
