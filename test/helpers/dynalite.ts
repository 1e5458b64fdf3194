import dynalite from 'dynalite';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DynamoRequest {
  /** The operation, e.g. "CreateTable". */
  operation: string;
  input: Record<string, unknown>;
}

export interface LocalDynamo {
  endpoint: string;
  /** Every request the emulator received, in order (dynalite ignores some fields, e.g. Tags). */
  requests: DynamoRequest[];
  stop: () => Promise<void>;
}

const ENV = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'] as const;

/**
 * A real DynamoDB emulator (dynalite, in memory) on 127.0.0.1 and a random port. The SDK finds it
 * through AWS_ENDPOINT_URL_DYNAMODB, as it would LocalStack; dummy credentials keep it off real AWS.
 * stop() closes it and restores the environment.
 */
export async function startDynalite(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 50, deleteTableMs: 50, updateTableMs: 50 });
  const requests: DynamoRequest[] = [];
  server.on('request', (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      requests.push({ operation, input: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const saved = Object.fromEntries(ENV.map((key) => [key, process.env[key]]));
  Object.assign(process.env, {
    // Any other service goes to a closed local port: a test can never reach real AWS.
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_ACCESS_KEY_ID: 'dynalite',
    AWS_SECRET_ACCESS_KEY: 'dynalite',
    AWS_REGION: 'us-east-1',
  });
  return {
    endpoint,
    requests,
    stop: async () => {
      for (const key of ENV) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
