// No SDK client package is imported here: each service module (lambda.ts, apiGateway.ts, …)
// imports its own and asks the session for its client, so a command loads only the client
// packages it calls (loading all six took 0.9 s of CPU on every command).
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { BamError, errorMessage } from '../core/errors.js';
import { NoAnswerError } from './bamBam.js';
import { AWS_POLICY, type AwsPolicy, type StepSettings } from './policy.js';

export interface AwsOptions {
  region?: string;
  profile?: string;
  /** How long requests may take; tests shorten them. */
  bounds?: Partial<HttpBounds>;
  /** Retry budgets and waiter limits (default AWS_POLICY; tests pass a fast one). */
  policy?: AwsPolicy;
  /** Where "AWS is making us wait" goes when a step passes no onWait (cli.ts: the command's reporter). */
  onWait?: (message: string) => void;
}

/**
 * How long bam waits for AWS. Without bounds the SDK waits forever on a connection that
 * never answers (a CreateFunction hung for minutes with no word).
 */
export interface HttpBounds {
  /** Until the TCP connection is up: AWS endpoints connect in well under a second. */
  connectionMs: number;
  /** Until the answer starts, for a request with a small body (control-plane calls answer in seconds). */
  requestMs: number;
  /** Upload speed to allow for on top, per byte sent: a 50 MB zip goes up as ~67 MB of JSON. */
  uploadBytesPerSecond: number;
}

const BOUNDS: HttpBounds = { connectionMs: 10_000, requestMs: 30_000, uploadBytesPerSecond: 125_000 /* 1 Mbit/s */ };
// CreateFunction and UpdateFunctionCode check and store the zip before they answer.
const SERVICE_BOUNDS: Partial<Record<string, Partial<HttpBounds>>> = { lambda: { requestMs: 60_000 } };

/** The request timeout for a body of this many bytes: the base plus the upload at a slow uplink's speed. */
export function requestTimeoutMs(bounds: HttpBounds, bodyBytes: number): number {
  return bounds.requestMs + Math.ceil((bodyBytes / bounds.uploadBytesPerSecond) * 1000);
}

type Handle = NodeHttpHandler['handle'];

/**
 * The SDK's HTTP handler with every request bounded, its timeout sized to the body. A timeout
 * becomes a NoAnswerError, which the SDK does not retry on its own: whether a request that may
 * have reached AWS is sent again is bamBam's decision, per step.
 */
class BoundedHttpHandler extends NodeHttpHandler {
  constructor(private readonly bounds: HttpBounds) {
    super({ connectionTimeout: bounds.connectionMs, requestTimeout: bounds.requestMs, throwOnRequestTimeout: true });
  }

  override async handle(...[request, options = {}]: Parameters<Handle>): ReturnType<Handle> {
    const requestTimeout = options.requestTimeout ?? requestTimeoutMs(this.bounds, bodyBytes(request.body));
    try {
      return await super.handle(request, { ...options, requestTimeout });
    } catch (err) {
      if (!(err instanceof Error) || err.name !== 'TimeoutError') throw err;
      const endpoint = `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}`;
      const connecting = /establish a connection/.test(err.message) || (err as { syscall?: string }).syscall === 'connect';
      throw connecting ? new NoAnswerError('connect', this.bounds.connectionMs, endpoint) : new NoAnswerError('answer', requestTimeout, endpoint);
    }
  }
}

function bodyBytes(body: unknown): number {
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  return 0;
}

/**
 * The SDK clients of one command, built on first use from one region and profile.
 * Endpoints come from the SDK itself, which honours AWS_ENDPOINT_URL and the per-service
 * AWS_ENDPOINT_URL_<SERVICE> variables (LocalStack and other AWS-compatible endpoints).
 */
export interface AwsSession extends StepSettings {
  readonly region: string;
  /** The service's client, built on first use (one per service per command) with bam's settings. */
  client<T>(service: AwsService, Client: new (config: AwsClientConfig) => T): T;
}

export type AwsService = 'lambda' | 'apiGateway' | 'iam' | 'dynamodb' | 'sts' | 'logs';

/** What bam gives every client: region, profile, bounded requests, a quiet logger. */
export interface AwsClientConfig {
  region: string;
  profile?: string;
  logger: typeof quietLogger;
  requestHandler: NodeHttpHandler;
  maxAttempts?: number;
}

/**
 * The SDK writes some warnings straight to the console when a client has no logger of its own:
 * `--profile NAME` beside AWS_ACCESS_KEY_ID in the environment gave ten lines ("Multiple credential
 * sources detected") before bam's one. A logger that drops everything (what the SDK's default
 * NoOpLogger does with all its other messages) silences those too; bam says what matters itself.
 */
const quietLogger = { trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** How to set a region; names the profile, since a misspelt one (no such section) looks the same. */
function regionHelp(profile: string | undefined): string {
  const where = profile ? ` for profile "${profile}" (is it in ~/.aws/config?)` : '';
  return `No AWS region is set${where}. Pass --region us-east-1, set AWS_REGION, or add "region = us-east-1" to your profile in ~/.aws/config.`;
}

/** Finds the region the way the SDK does (flag, AWS_REGION, the profile's config), or says how to set one. */
export async function resolveRegion(options: AwsOptions): Promise<string> {
  if (options.region) return options.region;
  // AWS_REGION wins over any profile, as in the SDK: no need to load a client to read it.
  if (process.env.AWS_REGION) return process.env.AWS_REGION;
  const { STSClient } = await import('@aws-sdk/client-sts');
  const probe = new STSClient({ logger: quietLogger, ...(options.profile ? { profile: options.profile } : {}) });
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
  const base = { region, logger: quietLogger, ...(options.profile ? { profile: options.profile } : {}) };
  // The endpoint stays the SDK's own resolution (AWS_ENDPOINT_URL and per-service variables).
  const config = (service: AwsService): AwsClientConfig => ({
    ...base,
    requestHandler: new BoundedHttpHandler({ ...BOUNDS, ...SERVICE_BOUNDS[service], ...options.bounds }),
    // ImportRestApi takes no idempotency token: the SDK's own retry of a request whose answer
    // was lost made a second API. bamBam retries API Gateway's calls instead, and looks for
    // the API by bam's token before it sends an import again.
    ...(service === 'apiGateway' ? { maxAttempts: 1 } : {}),
  });
  const clients = new Map<AwsService, unknown>();
  return {
    region,
    policy: options.policy ?? AWS_POLICY,
    onWait: options.onWait,
    client<T>(service: AwsService, Client: new (config: AwsClientConfig) => T): T {
      if (!clients.has(service)) clients.set(service, new Client(config(service)));
      return clients.get(service) as T;
    },
  };
}


const CREDENTIAL_ERRORS = ['CredentialsProviderError', 'ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId', 'UnrecognizedClientException', 'TokenRefreshRequired'];

/** Turns the SDK's credential failures into one line that says how to fix them (naming the profile used, if any). */
export function explainCredentialError(err: unknown, profile?: string): BamError | undefined {
  const inner = err instanceof Error && err.cause !== undefined && err.name === 'StepError' ? err.cause : err;
  const name = inner instanceof Error ? inner.name : undefined;
  if (name && CREDENTIAL_ERRORS.includes(name) && profile) {
    // A misspelt --profile looks exactly like missing credentials to the SDK.
    return new BamError(
      `AWS credentials for profile "${profile}" are missing or invalid (${errorMessage(inner)}). Is "${profile}" in ~/.aws/config or ~/.aws/credentials (aws configure list-profiles)? Otherwise run "aws configure --profile ${profile}" or "aws sso login --profile ${profile}".`,
      { cause: err },
    );
  }
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

