import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsSession } from './clients.js';
import { bamBam } from './bamBam.js';

/** GetCallerIdentity: the account the credentials belong to. */
export async function callerAccount(aws: AwsSession): Promise<string | undefined> {
  const identity = await bamBam(aws, 'GetCallerIdentity', () => aws.client('sts', STSClient).send(new GetCallerIdentityCommand({})));
  return identity.Account;
}
