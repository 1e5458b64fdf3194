import {
  IAMClient,
  AttachRolePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  PutRolePolicyCommand,
  waitUntilRoleExists,
  type Role,
} from '@aws-sdk/client-iam';
import type { AwsSession } from './clients.js';
import { MANAGED_TAG_KEY, MANAGED_TAG_VALUE } from '../core/tags.js';
import { bamBam } from './bamBam.js';
import { isAwsError } from '../core/errors.js';

export const BASIC_EXECUTION_POLICY = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
export const INVOKE_POLICY_NAME = 'bam-invoke-lambda';
/** The session's IAM client (built on first use). */
const iamClient = (aws: AwsSession): IAMClient => aws.client('iam', IAMClient);

export const DYNAMODB_ACTIONS = ['Scan', 'Query', 'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'].map((a) => `dynamodb:${a}`);

export function trustPolicy(): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  });
}

/** Lets bam's functions invoke the account's other functions (the invoker templates need it). */
export function invokePolicy(account: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: `arn:aws:lambda:*:${account}:function:*` }],
  });
}

export function dynamoDbPolicyName(region: string): string {
  return `bam-dynamodb-${region}`;
}

/** Read and write items of the account's tables in one region (what the db templates do). */
export function dynamoDbPolicy(region: string, account: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: DYNAMODB_ACTIONS, Resource: `arn:aws:dynamodb:${region}:${account}:table/*` }],
  });
}

/** The role, or undefined when it does not exist. */
export async function findRole(aws: AwsSession, role: string): Promise<Role | undefined> {
  try {
    return (await bamBam(aws, 'GetRole', () => iamClient(aws).send(new GetRoleCommand({ RoleName: role })))).Role;
  } catch (err) {
    if (isAwsError(err, 'NoSuchEntityException')) return undefined;
    throw err;
  }
}

/** Creates a role Lambda may assume; an existing one (another bam got there first) is fine. */
export async function createRole(aws: AwsSession, role: string): Promise<void> {
  try {
    await bamBam(aws, 'CreateRole', () =>
      iamClient(aws).send(
        new CreateRoleCommand({
          RoleName: role,
          AssumeRolePolicyDocument: trustPolicy(),
          Description: 'Role of Lambda functions deployed with bam',
          Tags: [{ Key: MANAGED_TAG_KEY, Value: MANAGED_TAG_VALUE }],
        }),
      ),
      // The role has a fixed name: sent again after a lost answer, it is "already exists", which is fine.
      { idempotent: true },
    );
  } catch (err) {
    if (!isAwsError(err, 'EntityAlreadyExistsException')) throw err;
  }
}

export async function attachRolePolicy(aws: AwsSession, role: string, policyArn: string): Promise<void> {
  await bamBam(aws, 'AttachRolePolicy', () => iamClient(aws).send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: policyArn })));
}

export async function putRolePolicy(aws: AwsSession, role: string, policyName: string, document: string): Promise<void> {
  await bamBam(aws, 'PutRolePolicy', () =>
    iamClient(aws).send(new PutRolePolicyCommand({ RoleName: role, PolicyName: policyName, PolicyDocument: document })),
  );
}

/** Waits until IAM answers for a new role (Lambda may still need seconds more: CreateFunction retries). */
export async function waitForRole(aws: AwsSession, role: string): Promise<void> {
  await bamBam(aws, 'WaitForRole', () => waitUntilRoleExists({ client: iamClient(aws), maxWaitTime: 60 }, { RoleName: role }));
}
