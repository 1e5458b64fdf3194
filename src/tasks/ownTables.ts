import type { TableDescription } from '@aws-sdk/client-dynamodb';
import type { AwsSession } from '../aws/clients.js';
import { alreadyExists, answerMayBeLost } from '../aws/bamBam.js';
import { createTable, describeTable, tableTags } from '../aws/dynamodb.js';
import { BamError } from '../core/errors.js';
import type { TableKeys } from '../core/records.js';
import { TOKEN_TAG_KEY } from '../core/tags.js';
import { SENDS, afterLostAnswer } from './ownCreates.js';

// Apart from ownCreates.ts, so that the function commands do not load the DynamoDB client.

/**
 * CreateTable that never leaves a table bam does not know about: after a lost answer, or
 * "already exists", the table's tags say whether this operation made it.
 */
export async function createOwnTable(aws: AwsSession, name: string, keys: TableKeys, token: string): Promise<TableDescription> {
  for (let sent = 1; ; sent += 1) {
    try {
      return await createTable(aws, name, keys, token);
    } catch (err) {
      const lost = answerMayBeLost(err);
      if (!lost && !alreadyExists(err)) throw err;
      const found = await afterLostAnswer(lost, () => findOwnTable(aws, name, token));
      if (found.table && found.ours) return found.table;
      if (found.table) {
        throw new BamError(`Table "${name}" already exists in ${aws.region}. Pick another name, or delete it first with: bam delete ${name} --dbtable`, { cause: err });
      }
      if (!lost || sent >= SENDS) throw err;
    }
  }
}

/** The table of that name, and whether it carries this operation's token. */
export async function findOwnTable(aws: AwsSession, name: string, token: string): Promise<{ table?: TableDescription; ours: boolean }> {
  const table = await describeTable(aws, name);
  if (!table) return { ours: false };
  const tags = table.TableArn ? await tableTags(aws, table.TableArn) : {};
  return { table, ours: tags[TOKEN_TAG_KEY] === token };
}
