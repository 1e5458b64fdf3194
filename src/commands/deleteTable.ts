import type { CommandContext } from '../tasks/context.js';
import { validateTableName } from '../core/names.js';
import { confirmForeignDelete } from '../tasks/confirmDelete.js';
import { openAws, type AwsSession } from '../aws/clients.js';
import { deleteTable, describeTable, tableCarriesManagedTag } from '../aws/dynamodb.js';
import { waitMessages } from '../tasks/endpoint.js';
import { settleTable } from '../tasks/settleTable.js';
import { BamError } from '../core/errors.js';

export interface DeleteTableOptions {
  /** Also delete a table bam did not make (no record, no tag), without asking. */
  force?: boolean;
}

/**
 * bam delete NAME --dbtable: DeleteTable and drop its record; a table already gone drops a stale
 * record. A table bam has no record of is first looked at (DescribeTable, ListTagsOfResource).
 */
export async function deleteDbTable(name: string, options: DeleteTableOptions, ctx: CommandContext): Promise<void> {
  validateTableName(name);
  const aws = await openAws(ctx.aws);
  await ctx.store.withNameLease('table', aws.region, name, waitMessages(ctx.reporter), async () => {
    await settleTable(aws, ctx.store, name, ctx.reporter);
    await deleteUnderLease(aws, name, options, ctx);
  });
}

async function deleteUnderLease(aws: AwsSession, name: string, options: DeleteTableOptions, ctx: CommandContext): Promise<void> {
  const record = await ctx.store.dbTableRecords.get(aws.region, name);
  if (!record && !options.force) await makeSureBamMadeIt(aws, name, ctx);

  ctx.reporter.start(`Deleting table "${name}" in ${aws.region}...`);
  const deleted = await deleteTable(aws, name).catch((err: unknown) => {
    ctx.reporter.stop();
    throw err;
  });
  if (deleted) {
    if (record) await ctx.store.dbTableRecords.remove(aws.region, name);
    ctx.reporter.succeed(`Table: "${name}" has been deleted`);
    return;
  }
  ctx.reporter.stop();
  if (!record) throw doesNotExist(name, aws.region);
  await ctx.store.dbTableRecords.remove(aws.region, name);
  ctx.reporter.warn(`Table: "${name}" no longer exists in ${aws.region}; its stale record has been removed.`);
}

/** bam made it (its tag, from another machine), or a person says so by typing its name. */
async function makeSureBamMadeIt(aws: AwsSession, name: string, ctx: CommandContext): Promise<void> {
  const table = await describeTable(aws, name);
  if (!table) throw doesNotExist(name, aws.region);
  if (table.TableArn && (await tableCarriesManagedTag(aws, table.TableArn))) return;
  await confirmForeignDelete({ kind: 'Table', name, region: aws.region, command: `bam delete ${name} --dbtable` }, ctx);
}

function doesNotExist(name: string, region: string): BamError {
  return new BamError(`Table "${name}" does not exist in ${region}. See your tables with: bam list --dbtables`);
}

