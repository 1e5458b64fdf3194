import type { TableDescription } from '@aws-sdk/client-dynamodb';
import type { DbTableRecord, KeyRecord } from '../core/records.js';

/** A table's record from DynamoDB's description of it (keys from its schema). */
export function tableRecordFrom(table: TableDescription): DbTableRecord {
  const key = (role: 'HASH' | 'RANGE'): KeyRecord | undefined => {
    const name = table.KeySchema?.find((element) => element.KeyType === role)?.AttributeName;
    if (!name) return undefined;
    const type = table.AttributeDefinitions?.find((attribute) => attribute.AttributeName === name)?.AttributeType ?? 'S';
    return { name, type };
  };
  const sortKey = key('RANGE');
  return {
    partitionKey: key('HASH') ?? { name: 'id', type: 'S' },
    ...(sortKey ? { sortKey } : {}),
    arn: table.TableArn ?? '',
    createdAt: (table.CreationDateTime ?? new Date()).toISOString(),
  };
}
