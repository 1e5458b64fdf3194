import { rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withLock } from '../store/lock.js';
import { makePrivateFolder } from '../store/paths.js';
import type { AwsPolicy } from '../aws/policy.js';
import type { TableKeys } from '../core/records.js';
import type { DynamoSession } from '../aws/dynamodb.js';
import { BamError } from '../core/errors.js';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTransactionFront } from './dynamoTransactions.js';

export interface LocalTable extends TableKeys {
  name: string;
}

export interface LocalDynamo {
  endpoint: string;
  /** Starts dynalite now, if the first call has not; resolves with the tables it created. */
  start(): Promise<string[]>;
  /** Makes these tables too (a function started later needs its own), unless they exist; resolves with those it created. */
  addTables(tables: LocalTable[]): Promise<string[]>;
  close(): Promise<void>;
}

export interface LocalDynamoOptions {
  fresh: boolean;
  folder: string;
  policy: AwsPolicy;
  /** Made when dynalite starts, unless they exist. */
  tables?: LocalTable[];
  /** Told when dynalite starts on a function's first call, with the tables it created (or why it could not start). */
  onFirstCall?: (outcome: { created: string[] } | { error: Error }) => void;
}

/** dynalite's endpoint, and a client aimed at it for bam's own calls. */
interface Backend {
  url: string;
  client: DynamoDBClient;
  server: Server;
}

/**
 * dynalite, in this process, keeping its data in `folder` (the store's dev-db), behind a front
 * on a random loopback port that listens at once: dynalite itself (its storage and tables)
 * starts on the first call, or when start() is called, so a function that never uses DynamoDB
 * never waits for it. LevelDB allows one process per folder, so a lock file taken at once says
 * which bam dev owns it.
 */
export async function startLocalDynamo(options: LocalDynamoOptions): Promise<LocalDynamo> {
  const { folder } = options;
  const releaseLock = await holdFolderLock(`${folder}.lock`, folder);
  try {
    if (options.fresh) await rm(folder, { recursive: true, force: true });
    await makePrivateFolder(folder);
    let starting: Promise<{ backend: Backend; created: string[] }> | undefined;
    const startOnce = (): Promise<{ backend: Backend; created: string[] }> => (starting ??= startBackend(folder, options.tables ?? [], options.policy));
    // dynalite has no transactions: the functions talk to a front that runs them over its single-item calls.
    const front = createTransactionFront(async () => {
      const first = starting === undefined;
      const started = startOnce();
      if (first) started.then(({ created }) => options.onFirstCall?.({ created }), (error: unknown) => options.onFirstCall?.({ error: error as Error }));
      return (await started).backend;
    });
    await listen(front);
    return {
      endpoint: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
      start: async () => (await startOnce()).created,
      addTables: async (tables) => ensureTables((await startOnce()).backend.client, tables, options.policy),
      close: async () => {
        const backend = await starting?.then(({ backend }) => backend).catch(() => undefined);
        for (const running of [front, ...(backend ? [backend.server] : [])]) {
          running.closeAllConnections();
          await new Promise<void>((resolve) => running.close(() => resolve()));
        }
        backend?.client.destroy();
        await releaseLock();
      },
    };
  } catch (err) {
    await releaseLock();
    throw err;
  }
}

async function startBackend(folder: string, tables: LocalTable[], policy: AwsPolicy): Promise<{ backend: Backend; created: string[] }> {
  const { default: dynalite } = await import('dynalite');
  const server = dynalite({ path: folder, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await listen(server);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = await localClient(url);
  const created = await ensureTables(client, tables, policy);
  return { backend: { url, client, server }, created };
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

/** Holds the store's lock file until the returned function is called. */
async function holdFolderLock(lockFile: string, folder: string): Promise<() => Promise<void>> {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let acquired: () => void = () => {};
  const holding = new Promise<void>((resolve) => {
    acquired = resolve;
  });
  const lock = withLock(
    lockFile,
    async () => {
      acquired();
      await released;
    },
    { timeoutMs: 0 },
  );
  try {
    await Promise.race([holding, lock]);
  } catch (err) {
    throw new BamError(`Another bam dev is already using ${folder}. Stop it first (Ctrl-C), or run this one with another BAM_HOME.`, { cause: err });
  }
  return async () => {
    release();
    await lock;
  };
}

async function localClient(endpoint: string): Promise<DynamoDBClient> {
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bam-dev-local', secretAccessKey: 'bam-dev-local' } });
}

async function ensureTables(client: DynamoDBClient, tables: LocalTable[], policy: AwsPolicy): Promise<string[]> {
  if (tables.length === 0) return [];
  const { createTable, describeTable } = await import('../aws/dynamodb.js');
  // The table steps only use a DynamoDB client: hand them one aimed at dynalite.
  const local: DynamoSession = { client: () => client, policy };
  const created: string[] = [];
  for (const table of tables) {
    if (await describeTable(local, table.name)) continue;
    await createTable(local, table.name, table);
    created.push(table.name);
  }
  return created;
}
