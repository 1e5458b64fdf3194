import type { CommandContext } from '../tasks/context.js';
import { describeKey, isNoKey, keyNameProblem, keyTypeProblem, parseKeyFlag, parseKeyType } from '../core/keys.js';
import { validateTableName } from '../core/names.js';
import { waitMessages } from '../tasks/endpoint.js';
import { openAws, type AwsSession } from '../aws/clients.js';
import { waitForTableActive } from '../aws/dynamodb.js';
import type { TableKeys } from '../core/records.js';
import { newToken, type Intent } from '../store/intents.js';
import { createMayHaveHappened } from '../tasks/ownCreates.js';
import { createOwnTable } from '../tasks/ownTables.js';
import { settleTable } from '../tasks/settleTable.js';
import { UsageError } from '../core/errors.js';
import { ask, canPrompt } from '../ui/prompt.js';

export interface DbTableOptions {
  partitionKey?: string;
  sortKey?: string;
}

/** bam dbtable NAME: ask for (or take) the keys, CreateTable on demand, wait until ACTIVE, record it. */
export async function dbtable(name: string, options: DbTableOptions, ctx: CommandContext): Promise<void> {
  validateTableName(name);
  const flagKeys = keysFromFlags(name, options, ctx);
  // The region is settled before anyone answers prompts: a missing one should not waste them.
  const aws = await openAws(ctx.aws);
  const keys = flagKeys ?? (await promptForKeys(name, ctx));
  if (!keys) {
    ctx.reporter.info('No table created.');
    return;
  }

  await ctx.store.withNameLease('table', aws.region, name, waitMessages(ctx.reporter), async () => {
    // An interrupted `bam dbtable NAME` may have made the table already: then it is only recorded.
    if (await settleTable(aws, ctx.store, name, ctx.reporter)) return;
    await createAndRecord(aws, name, keys, ctx);
  });
  ctx.reporter.succeed(`💥  Table: "${name}" has been created`);
  ctx.reporter.result(
    [`partition key: ${describeKey(keys.partitionKey)}`, ...(keys.sortKey ? [`sort key: ${describeKey(keys.sortKey)}`] : []), 'billing: on demand'].join('\n'),
  );
}

/** Write-ahead intent, CreateTable carrying its token, the record at once, then the wait for ACTIVE. */
async function createAndRecord(aws: AwsSession, name: string, keys: TableKeys, ctx: CommandContext): Promise<void> {
  ctx.reporter.start(`Creating table "${name}" in ${aws.region}...`);
  const intent: Intent = { token: newToken(), kind: 'table', region: aws.region, name, startedAt: new Date().toISOString() };
  try {
    await ctx.store.intents.open([intent], (message) => ctx.reporter.warn(message));
    const table = await createOwnTable(aws, name, keys, intent.token).catch(async (err: unknown) => {
      // A create that failed for sure made nothing; one whose answer was lost is settled by the next command.
      if (!createMayHaveHappened(err)) await ctx.store.intents.close(intent);
      throw err;
    });
    // Recorded at once, so a failure while waiting still leaves a record of the table.
    await ctx.store.dbTableRecords.put(aws.region, name, { ...keys, arn: table.TableArn ?? '', createdAt: (table.CreationDateTime ?? new Date()).toISOString() });
    await ctx.store.intents.close(intent);
    if (table.TableStatus !== 'ACTIVE') {
      ctx.reporter.update(`Waiting for table "${name}" to become active...`);
      await waitForTableActive(aws, name);
    }
  } catch (err) {
    ctx.reporter.stop();
    throw err;
  }
}

/** Keys from the flags; undefined when they are to be asked on a terminal. */
function keysFromFlags(name: string, options: DbTableOptions, ctx: CommandContext): TableKeys | undefined {
  if (options.partitionKey === undefined) {
    if (options.sortKey !== undefined) {
      throw new UsageError('--sortKey needs --partitionKey too, e.g. bam dbtable NAME --partitionKey id:string --sortKey createdAt:number');
    }
    if (canPrompt(ctx.io)) return undefined;
    throw new UsageError(
      `bam dbtable needs --partitionKey name:type (and optionally --sortKey name:type) when not run on a terminal, e.g. bam dbtable ${name} --partitionKey id:string`,
    );
  }
  const keys: TableKeys = { partitionKey: parseKeyFlag('--partitionKey', options.partitionKey) };
  if (options.sortKey !== undefined && !isNoKey(options.sortKey)) keys.sortKey = parseKeyFlag('--sortKey', options.sortKey);
  const problem = keys.sortKey && sameKeyProblem(keys.sortKey.name, keys.partitionKey.name);
  if (problem) throw new UsageError(problem);
  return keys;
}

function sameKeyProblem(sortKeyName: string, partitionKeyName: string | undefined): string | undefined {
  if (sortKeyName !== partitionKeyName) return undefined;
  return `The sort key and the partition key are both "${sortKeyName}": give them different names.`;
}

async function promptForKeys(name: string, ctx: CommandContext): Promise<TableKeys | undefined> {
  ctx.reporter.info(`Keys for table "${name}" (type q to quit).`);
  const noSortKey = (answers: string[]) => isNoKey(answers[2] ?? '');
  const answers = await ask(
    [
      { text: 'Partition key name for the table', defaultValue: 'id', validate: keyNameProblem },
      { text: 'Partition key type (string, number or binary)', defaultValue: 'number', validate: keyTypeProblem },
      { text: 'Sort key name for the table ("none" for no sort key)', defaultValue: 'none', validate: (answer, [pkName]) => (isNoKey(answer) ? undefined : (sameKeyProblem(answer, pkName) ?? keyNameProblem(answer))) },
      { text: 'Sort key type (string, number or binary)', validate: keyTypeProblem, skip: noSortKey },
    ],
    ctx.io,
  );
  if (!answers) return undefined;
  const [pkName = '', pkType = '', skName = '', skType = ''] = answers;
  const keys: TableKeys = { partitionKey: { name: pkName, type: parseKeyType(pkType) ?? 'S' } };
  if (!noSortKey(answers)) keys.sortKey = { name: skName, type: parseKeyType(skType) ?? 'S' };
  return keys;
}
