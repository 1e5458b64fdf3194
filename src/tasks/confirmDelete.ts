import type { CommandContext } from './context.js';
import { ask, canPrompt } from '../ui/prompt.js';
import { BamError, UsageError } from '../core/errors.js';
import { MANAGED_TAG_KEY } from '../core/tags.js';

export interface ForeignResource {
  kind: 'Function' | 'Table';
  name: string;
  region: string;
  /** The command that deletes it, to which --force is added. */
  command: string;
}

/**
 * bam deletes without asking only what it made (a record here, or its tag from another
 * machine). Anything else may be someone else's, with their data: a person types its name, or
 * the command says --force. Without a terminal that is bad usage (exit 2): nothing failed, the
 * command line lacks what a script must state.
 */
export async function confirmForeignDelete(resource: ForeignResource, ctx: CommandContext): Promise<void> {
  const { kind, name, region } = resource;
  const notOurs = `${kind} "${name}" in ${region} was not made by bam (no record here, no ${MANAGED_TAG_KEY} tag)`;
  if (!canPrompt(ctx.io)) throw new UsageError(`${notOurs}; nothing deleted. To delete it anyway: ${resource.command} --force`);
  ctx.reporter.warn(`${notOurs}.`);
  const answers = await ask([{ text: `Type its name to delete it anyway (anything else keeps it)` }], ctx.io);
  if (answers?.[0] !== name) throw new BamError(`${kind} "${name}" was not deleted: its name was not typed.`);
}
