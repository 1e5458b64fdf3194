import type { AwsSession } from '../aws/clients.js';
import { callerAccount } from '../aws/sts.js';
import { BamError } from '../core/errors.js';
import type { Store } from '../store/store.js';

/** The account number: from config.json, else STS GetCallerIdentity once, then cached there. */
export async function accountNumber(aws: AwsSession, store: Store): Promise<string> {
  const config = await store.readConfig();
  if (config.accountNumber) return config.accountNumber;
  const account = await callerAccount(aws);
  if (!account) throw new BamError('AWS did not return an account number. Set one with: bam config --accountNumber 123456789012');
  await store.updateConfig((current) => ({ ...current, accountNumber: account }));
  return account;
}
