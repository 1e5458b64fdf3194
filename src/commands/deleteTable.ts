import type { CommandContext } from './context.js';
import { validateTableName } from './tableNames.js';
import { openAws } from '../aws/clients.js';
import { deleteTable } from '../aws/dynamodb.js';
import { dbTableRecords } from '../store/records.js';
import { BamError } from '../ui/errors.js';

/** bam delete NAME --dbtable: DeleteTable and drop its record; a table already gone drops a stale record. */
export async function deleteDbTable(name: string, _options: object, ctx: CommandContext): Promise<void> {
  validateTableName(name);
  const aws = await openAws(ctx.aws);
  const record = await dbTableRecords.get(aws.region, name);

  ctx.reporter.start(`Deleting table "${name}" in ${aws.region}...`);
  const deleted = await deleteTable(aws, name).catch((err: unknown) => {
    ctx.reporter.stop();
    throw err;
  });
  if (deleted) {
    if (record) await dbTableRecords.remove(aws.region, name);
    ctx.reporter.succeed(`Table: "${name}" has been deleted`);
    return;
  }
  ctx.reporter.stop();
  if (!record) throw new BamError(`Table "${name}" does not exist in ${aws.region}. See your tables with: bam list --dbtables`);
  await dbTableRecords.remove(aws.region, name);
  ctx.reporter.warn(`Table: "${name}" no longer exists in ${aws.region}; its stale record has been removed.`);
}
