import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTagsOfResourceCommand,
  waitUntilTableExists,
  type AttributeDefinition,
  type KeySchemaElement,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import type { TableKeys } from '../core/records.js';
import type { AwsClientConfig } from './clients.js';
import { isAwsError } from '../core/errors.js';
import { bamBam } from './bamBam.js';
import type { StepSettings } from './policy.js';
import { MANAGED_TAG_KEY, MANAGED_TAG_VALUE, creationTags } from '../core/tags.js';

/** The table steps use only the DynamoDB client, so `bam dev` can hand them one aimed at its local DynamoDB. */
export interface DynamoSession extends StepSettings {
  client(service: 'dynamodb', Client: new (config: AwsClientConfig) => DynamoDBClient): DynamoDBClient;
}

/** The session's DynamoDB client (built on first use). */
const dynamoClient = (aws: DynamoSession): DynamoDBClient => aws.client('dynamodb', DynamoDBClient);

/** CreateTable, billed on demand (BAM!'s provisioned 100/10 capacity cost money while idle). */
export async function createTable(aws: DynamoSession, name: string, keys: TableKeys, token?: string): Promise<TableDescription> {
  const schema: KeySchemaElement[] = [{ AttributeName: keys.partitionKey.name, KeyType: 'HASH' }];
  const attributes: AttributeDefinition[] = [{ AttributeName: keys.partitionKey.name, AttributeType: keys.partitionKey.type }];
  if (keys.sortKey) {
    schema.push({ AttributeName: keys.sortKey.name, KeyType: 'RANGE' });
    attributes.push({ AttributeName: keys.sortKey.name, AttributeType: keys.sortKey.type });
  }
  const out = await bamBam(aws, 'CreateTable', () =>
    dynamoClient(aws).send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: schema,
        AttributeDefinitions: attributes,
        BillingMode: 'PAY_PER_REQUEST',
        // Tagged as bam's, with the operation's token: a lost answer can be told from a stranger's table.
        Tags: Object.entries(creationTags(token)).map(([Key, Value]) => ({ Key, Value })),
      }),
    ),
  );
  return out.TableDescription ?? {};
}

/** Resolves when the table is ACTIVE (DescribeTable polled by the SDK's waiter). */
export async function waitForTableActive(aws: DynamoSession, name: string): Promise<void> {
  await bamBam(aws, 'WaitForTableActive', () => waitUntilTableExists({ client: dynamoClient(aws), ...aws.policy.tableWait }, { TableName: name }));
}

/** DescribeTable, or undefined when the table does not exist. */
export async function describeTable(aws: DynamoSession, name: string): Promise<TableDescription | undefined> {
  try {
    const out = await bamBam(aws, 'DescribeTable', () => dynamoClient(aws).send(new DescribeTableCommand({ TableName: name })));
    return out.Table;
  } catch (err) {
    if (isAwsError(err, 'ResourceNotFoundException')) return undefined;
    throw err;
  }
}

/** DeleteTable; false when the table was already gone. */
export async function deleteTable(aws: DynamoSession, name: string): Promise<boolean> {
  try {
    await bamBam(aws, 'DeleteTable', () => dynamoClient(aws).send(new DeleteTableCommand({ TableName: name })));
    return true;
  } catch (err) {
    if (isAwsError(err, 'ResourceNotFoundException')) return false;
    throw err;
  }
}

/** The table's tags (every page of ListTagsOfResource). */
export async function tableTags(aws: DynamoSession, tableArn: string): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  let token: string | undefined;
  do {
    const page = await bamBam(aws, 'ListTagsOfResource', () =>
      dynamoClient(aws).send(new ListTagsOfResourceCommand({ ResourceArn: tableArn, ...(token ? { NextToken: token } : {}) })),
    );
    for (const tag of page.Tags ?? []) if (tag.Key) tags[tag.Key] = tag.Value ?? '';
    token = page.NextToken;
  } while (token);
  return tags;
}

/** Whether the table carries bam's tag: bam made it, on this machine or another. */
export async function tableCarriesManagedTag(aws: DynamoSession, tableArn: string): Promise<boolean> {
  return (await tableTags(aws, tableArn))[MANAGED_TAG_KEY] === MANAGED_TAG_VALUE;
}
