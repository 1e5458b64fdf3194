import type { AwsSession } from '../aws/clients.js';
import { DATABASE_ROLE, DEFAULT_ROLE } from '../core/records.js';
import type { Store } from '../store/store.js';
import { BamError, UsageError } from '../core/errors.js';
import type { Reporter } from '../ui/reporter.js';
import { validateRoleName } from '../core/names.js';
import { concurrently } from './concurrently.js';

export interface RoleFlags {
  role?: string;
  permitDb?: boolean;
  revokeDb?: boolean;
}

/** The role the flags ask for (--role wins over --permitDb, which wins over --revokeDb), if any. */
export function requestedRole(flags: RoleFlags, defaultRole: string): string | undefined {
  if (flags.permitDb && flags.revokeDb) throw new UsageError('--permitDb and --revokeDb contradict each other: pass one of them.');
  if (flags.role !== undefined) {
    const problem = validateRoleName(flags.role);
    if (problem) throw new UsageError(problem);
    return flags.role;
  }
  if (flags.permitDb) return DATABASE_ROLE;
  if (flags.revokeDb) return defaultRole;
  return undefined;
}

export interface RoleTarget {
  role: string;
  account: string;
  region: string;
  reporter: Reporter;
  /** Where the roles known to be ready are remembered (config.json). */
  store: Store;
}

/** The roles bam creates and repairs; any other role must already exist. */
function isBamRole(role: string): boolean {
  return role === DEFAULT_ROLE || role === DATABASE_ROLE;
}

// The database role's DynamoDB permission is per region, so it is known per region.
function cacheKey(role: string, region: string): string {
  return role === DATABASE_ROLE ? `${role}@${region}` : role;
}

/**
 * Makes sure the role exists (bam's own roles are created or repaired); a role seen before is
 * taken on trust from config.json, so a normal deploy makes no IAM call at all.
 */
export async function ensureRole(aws: AwsSession, target: RoleTarget): Promise<void> {
  const key = cacheKey(target.role, target.region);
  if ((await target.store.readConfig()).knownRoles?.includes(key)) return;
  await checkRole(aws, target);
  await target.store.updateConfig((config) => ({ ...config, knownRoles: [...new Set([...(config.knownRoles ?? []), key])] }));
}

/**
 * Lambda rejected the role: drop it from the cache and look again. A bam role deleted in the
 * console is recreated (the caller's retry then waits for it to propagate).
 */
export async function recheckRole(aws: AwsSession, target: RoleTarget): Promise<void> {
  const key = cacheKey(target.role, target.region);
  await target.store.updateConfig((config) => ({ ...config, knownRoles: (config.knownRoles ?? []).filter((known) => known !== key) }));
  await ensureRole(aws, target);
}

async function checkRole(aws: AwsSession, target: RoleTarget): Promise<void> {
  // Loaded here, not at the top: once a role is known (cached), no command loads the IAM client.
  const { BASIC_EXECUTION_POLICY, INVOKE_POLICY_NAME, attachRolePolicy, createRole, dynamoDbPolicy, dynamoDbPolicyName, findRole, invokePolicy, putRolePolicy, waitForRole } =
    await import('../aws/iam.js');
  const { role } = target;
  const exists = (await findRole(aws, role)) !== undefined;
  if (!isBamRole(role)) {
    if (!exists) throw new BamError(`Role "${role}" does not exist in this AWS account. Create it in the IAM console or pick another one with --role.`);
    return;
  }
  if (!exists) {
    target.reporter.info(`Creating IAM role ${role}.`);
    await createRole(aws, role);
  }
  // Attaching is idempotent, so an existing role is repaired too (say a crash between create and attach).
  await concurrently([
    attachRolePolicy(aws, role, BASIC_EXECUTION_POLICY),
    putRolePolicy(aws, role, INVOKE_POLICY_NAME, invokePolicy(target.account)),
    role === DATABASE_ROLE ? putRolePolicy(aws, role, dynamoDbPolicyName(target.region), dynamoDbPolicy(target.region, target.account)) : undefined,
    exists ? undefined : waitForRole(aws, role),
  ]);
  if (!exists) target.reporter.succeed(`IAM role ${role} has been created.`);
}

/**
 * A function that imports a DynamoDB client under bam's default role fails every table call
 * with AccessDenied: say so while there is time to pass --permitDb.
 */
export function warnIfTablesDenied(target: { name: string; usesDynamoDb: boolean; role: string; defaultRole: string; command: 'deploy' | 'redeploy' }, reporter: Reporter): void {
  if (!target.usesDynamoDb || target.role !== target.defaultRole) return;
  const fix = target.command === 'deploy' ? `bam deploy ${target.name} --permitDb` : `bam redeploy ${target.name} --permitDb`;
  reporter.warn(
    `"${target.name}" uses DynamoDB, but its role ${target.role} may not read or write tables: every table call will fail with AccessDenied. Use: ${fix}`,
  );
}
