import { LambdaClient } from '@aws-sdk/client-lambda';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { IAMClient } from '@aws-sdk/client-iam';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { BamError, errorMessage } from '../ui/errors.js';
import { readConfig, updateConfig } from '../store/records.js';
import { bamBam } from './bamBam.js';

export interface AwsOptions {
  region?: string;
  profile?: string;
}

/**
 * The SDK clients of one command, built on first use from one region and profile.
 * Endpoints come from the SDK itself, which honours AWS_ENDPOINT_URL and the per-service
 * AWS_ENDPOINT_URL_<SERVICE> variables (LocalStack and other AWS-compatible endpoints).
 */
export interface AwsSession {
  readonly region: string;
  readonly lambda: LambdaClient;
  readonly apiGateway: APIGatewayClient;
  readonly iam: IAMClient;
  readonly dynamodb: DynamoDBClient;
  readonly sts: STSClient;
  readonly logs: CloudWatchLogsClient;
}

/** How to set a region; names the profile, since a misspelt one (no such section) looks the same. */
function regionHelp(profile: string | undefined): string {
  const where = profile ? ` for profile "${profile}" (is it in ~/.aws/config?)` : '';
  return `No AWS region is set${where}. Pass --region us-east-1, set AWS_REGION, or add "region = us-east-1" to your profile in ~/.aws/config.`;
}

/** Finds the region the way the SDK does (flag, AWS_REGION, the profile's config), or says how to set one. */
export async function resolveRegion(options: AwsOptions): Promise<string> {
  if (options.region) return options.region;
  const probe = new STSClient(options.profile ? { profile: options.profile } : {});
  const help = regionHelp(options.profile ?? process.env.AWS_PROFILE);
  try {
    const region = await probe.config.region();
    if (!region) throw new BamError(help, { exitCode: 2 });
    return region;
  } catch (err) {
    if (err instanceof BamError) throw err;
    throw new BamError(help, { cause: err, exitCode: 2 });
  } finally {
    probe.destroy();
  }
}

export async function openAws(options: AwsOptions): Promise<AwsSession> {
  const region = await resolveRegion(options);
  const config = { region, ...(options.profile ? { profile: options.profile } : {}) };
  const cache = new Map<string, unknown>();
  const lazy = <T>(key: string, build: () => T): T => {
    if (!cache.has(key)) cache.set(key, build());
    return cache.get(key) as T;
  };
  return {
    region,
    get lambda() {
      return lazy('lambda', () => new LambdaClient(config));
    },
    get apiGateway() {
      return lazy('apiGateway', () => new APIGatewayClient(config));
    },
    get iam() {
      return lazy('iam', () => new IAMClient(config));
    },
    get dynamodb() {
      return lazy('dynamodb', () => new DynamoDBClient(config));
    },
    get sts() {
      return lazy('sts', () => new STSClient(config));
    },
    get logs() {
      return lazy('logs', () => new CloudWatchLogsClient(config));
    },
  };
}

/** The account number: from config.json, else STS GetCallerIdentity once, then cached there. */
export async function accountNumber(aws: AwsSession): Promise<string> {
  const config = await readConfig();
  if (config.accountNumber) return config.accountNumber;
  const identity = await bamBam('GetCallerIdentity', () => aws.sts.send(new GetCallerIdentityCommand({})));
  const account = identity.Account;
  if (!account) throw new BamError('AWS did not return an account number. Set one with: bam config --accountNumber 123456789012');
  await updateConfig((current) => ({ ...current, accountNumber: account }));
  return account;
}

const CREDENTIAL_ERRORS = ['CredentialsProviderError', 'ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId', 'UnrecognizedClientException', 'TokenRefreshRequired'];

/** Turns the SDK's credential failures into one line that says how to fix them. */
export function explainCredentialError(err: unknown): BamError | undefined {
  const inner = err instanceof Error && err.cause !== undefined && err.name === 'StepError' ? err.cause : err;
  const name = inner instanceof Error ? inner.name : undefined;
  if (name && CREDENTIAL_ERRORS.includes(name)) {
    return new BamError(
      `AWS credentials are missing or invalid (${errorMessage(inner)}). Run "aws configure" or "aws sso login", set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --profile NAME.`,
      { cause: err },
    );
  }
  return undefined;
}

const NETWORK_ERRORS = ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'];

/** Connection failures: say where bam tried to go and what to check. */
export function explainNetworkError(err: unknown): BamError | undefined {
  const inner = err instanceof Error && err.name === 'StepError' ? err.cause : err;
  const code = inner && typeof inner === 'object' && 'code' in inner ? String(inner.code) : undefined;
  if (!code || !NETWORK_ERRORS.includes(code)) return undefined;
  const endpoint = process.env.AWS_ENDPOINT_URL ? ` (AWS_ENDPOINT_URL is ${process.env.AWS_ENDPOINT_URL})` : '';
  return new BamError(`${errorMessage(err)}: AWS could not be reached${endpoint}. Check your network connection, proxy and endpoint settings, then try again.`, {
    cause: err,
  });
}

