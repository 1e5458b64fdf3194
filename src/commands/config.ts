import type { CommandContext } from '../tasks/context.js';
import { openAws } from '../aws/clients.js';
import { findRole } from '../aws/iam.js';
import { DATABASE_ROLE, DEFAULT_ROLE, type BamConfig } from '../core/records.js';
import { BamError, errorMessage, UsageError } from '../core/errors.js';
import { ask, canPrompt } from '../ui/prompt.js';
import { parseEndpointType, validateAccountNumber, validateRoleName } from '../core/names.js';

export interface ConfigOptions {
  accountNumber?: string;
  role?: string;
  endpointType?: string;
  json?: boolean;
}

/** bam config: show the settings; change them by flags, or by prompts on a terminal. */
export async function config(options: ConfigOptions, ctx: CommandContext): Promise<void> {
  const flagsGiven = options.accountNumber !== undefined || options.role !== undefined || options.endpointType !== undefined;
  let changes: Partial<BamConfig> = {};

  if (flagsGiven) {
    changes = validateFlags(options);
    if (changes.defaultRole !== undefined) await checkRoleExists(changes.defaultRole, ctx);
  } else if (!options.json && canPrompt(ctx.io)) {
    const current = await ctx.store.readConfig();
    const prompted = await promptForChanges(current, ctx);
    if (!prompted) {
      ctx.reporter.info('Configuration unchanged.');
      return;
    }
    if (prompted.defaultRole !== undefined && prompted.defaultRole !== current.defaultRole) await checkRoleExists(prompted.defaultRole, ctx);
    changes = prompted;
  }

  const current = Object.keys(changes).length > 0 ? await ctx.store.updateConfig((c) => ({ ...c, ...changes })) : await ctx.store.readConfig();
  if (Object.keys(changes).length > 0) ctx.reporter.succeed('Configuration saved.');
  if (options.json) {
    ctx.reporter.result(JSON.stringify(current, null, 2));
    return;
  }
  ctx.reporter.result(
    [
      `Account number: ${current.accountNumber ?? '(not known yet: found on first deploy, or set with --accountNumber)'}`,
      `Default role:   ${current.defaultRole}`,
      `Endpoint type:  ${(current.endpointType ?? 'EDGE').toLowerCase()}`,
    ].join('\n'),
  );
  if (!flagsGiven && !canPrompt(ctx.io) && !options.json) {
    ctx.reporter.info('To change them without a terminal: bam config --accountNumber N --role NAME');
  }
}

/**
 * A default role that does not exist would fail every deploy: refused now (IAM GetRole). bam's own
 * roles are created on deploy. When AWS cannot be asked (no credentials or region, offline), the
 * role is saved with a warning: a deploy checks it again.
 */
async function checkRoleExists(role: string, ctx: CommandContext): Promise<void> {
  if (role === DEFAULT_ROLE || role === DATABASE_ROLE) return;
  let found: boolean;
  try {
    found = (await findRole(await openAws(ctx.aws), role)) !== undefined;
  } catch (err) {
    ctx.reporter.warn(`Could not ask AWS whether role "${role}" exists (${errorMessage(err).split('\n')[0]}); saved it anyway: a deploy will say if it is missing.`);
    return;
  }
  if (!found) {
    throw new BamError(
      `Role "${role}" does not exist in this AWS account, so every deploy would fail. Create it in the IAM console (trusted by lambda.amazonaws.com), or keep bam's own role: bam config --role ${DEFAULT_ROLE}`,
    );
  }
}

function validateFlags(options: ConfigOptions): Partial<BamConfig> {
  const changes: Partial<BamConfig> = {};
  if (options.accountNumber !== undefined) {
    const problem = validateAccountNumber(options.accountNumber);
    if (problem) throw new UsageError(problem);
    changes.accountNumber = options.accountNumber;
  }
  if (options.role !== undefined) {
    const problem = validateRoleName(options.role);
    if (problem) throw new UsageError(problem);
    changes.defaultRole = options.role;
  }
  if (options.endpointType !== undefined) changes.endpointType = parseEndpointType(options.endpointType);
  return changes;
}

async function promptForChanges(current: BamConfig, ctx: CommandContext): Promise<Partial<BamConfig> | undefined> {
  ctx.reporter.info('Press Enter to keep a value, q to quit.');
  const answers = await ask(
    [
      {
        text: 'AWS account number',
        defaultValue: current.accountNumber,
        // Not known yet: Enter leaves it to be found on first deploy.
        validate: (answer) => (answer === '' ? undefined : validateAccountNumber(answer)),
      },
      { text: 'Default role for new functions', defaultValue: current.defaultRole, validate: validateRoleName },
    ],
    ctx.io,
  );
  if (!answers) return undefined;
  const [accountNumber, defaultRole] = answers as [string, string];
  return accountNumber === '' ? { defaultRole } : { accountNumber, defaultRole };
}
