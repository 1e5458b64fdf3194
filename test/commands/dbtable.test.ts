import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dbtable } from '../../src/commands/dbtable.js';
import { deleteDbTable } from '../../src/commands/deleteTable.js';
import { list } from '../../src/commands/list.js';
import { BamError, UsageError } from '../../src/core/errors.js';
import { fastPolicy } from '../helpers/policy.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite.js';

// Integration tests: a real DynamoDB emulator (dynalite), no mock. The SDK reaches it only through
// AWS_ENDPOINT_URL_DYNAMODB, the same way users point bam at LocalStack.

let dynamo: LocalDynamo;
let direct: DynamoDBClient;
let world: TestWorld;

beforeAll(async () => {
  dynamo = await startDynalite();
  direct = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint });
});

afterAll(async () => {
  direct.destroy();
  await dynamo.stop();
});

/** The local emulator makes a table in well under a second: poll it often. */
const localTableWaits = () => fastPolicy({ tableWait: { minDelay: 0.05, maxDelay: 0.2, maxWaitTime: 10 } });

beforeEach(async () => {
  world = await makeWorld({ policy: localTableWaits() });
});

afterEach(async () => {
  await world.cleanup();
});

const describeBack = async (name: string) => (await direct.send(new DescribeTableCommand({ TableName: name }))).Table!;

describe('bam dbtable (against dynalite)', () => {
  it('creates an on-demand table with the partition and sort keys, tagged, ACTIVE, and records it', async () => {
    await dbtable('notes', { partitionKey: 'userId:string', sortKey: 'createdAt:n' }, world.ctx);

    const table = await describeBack('notes');
    expect(table.TableStatus).toBe('ACTIVE');
    expect(table.KeySchema).toEqual([
      { AttributeName: 'userId', KeyType: 'HASH' },
      { AttributeName: 'createdAt', KeyType: 'RANGE' },
    ]);
    expect(table.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'userId', AttributeType: 'S' },
        { AttributeName: 'createdAt', AttributeType: 'N' },
      ]),
    );
    expect(table.AttributeDefinitions).toHaveLength(2);
    expect(table.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    // dynalite accepts but drops Tags on CreateTable, so check what bam sent.
    const created = dynamo.requests.filter((r) => r.operation === 'CreateTable' && r.input.TableName === 'notes');
    expect(created).toHaveLength(1);
    expect(created[0]!.input).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      Tags: [
        { Key: 'bam:managed', Value: 'true' },
        { Key: 'bam:token', Value: expect.stringMatching(/^[0-9a-f]{16}$/) },
      ],
    });
    expect(created[0]!.input).not.toHaveProperty('ProvisionedThroughput');

    const record = await world.store.dbTableRecords.get('us-east-1', 'notes');
    expect(record).toMatchObject({
      partitionKey: { name: 'userId', type: 'S' },
      sortKey: { name: 'createdAt', type: 'N' },
      arn: table.TableArn,
    });
    expect(Date.parse(record!.createdAt)).not.toBeNaN();
    expect(world.reporter.text('succeed')).toContain('Table: "notes" has been created');
  });

  it('a second dbtable of the same name fails cleanly and leaves the record untouched', async () => {
    await dbtable('dupes', { partitionKey: 'id:number' }, world.ctx);
    const before = await world.store.dbTableRecords.get('us-east-1', 'dupes');
    expect(before).toBeDefined();

    const second = dbtable('dupes', { partitionKey: 'other:string' }, world.ctx);
    await expect(second).rejects.toBeInstanceOf(BamError);
    await expect(second).rejects.toThrow('Table "dupes" already exists in us-east-1');

    expect(await world.store.dbTableRecords.get('us-east-1', 'dupes')).toEqual(before);
    expect((await describeBack('dupes')).KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
  });

  it('list shows the table with its keys, and delete --dbtable removes table and record', async () => {
    await dbtable('orders', { partitionKey: 'orderId:s', sortKey: 'line:number' }, world.ctx);
    await list({ dbtables: true }, world.ctx);
    const shown = world.reporter.text('result');
    expect(shown).toContain('DynamoDB tables deployed from this machine:');
    expect(shown).toContain('    orders\n      partition key: orderId (string)\n      sort key: line (number)');
    expect(shown).not.toContain('no longer in AWS');

    await deleteDbTable('orders', {}, world.ctx);
    expect(world.reporter.text('succeed')).toContain('Table: "orders" has been deleted');
    expect(await world.store.dbTableRecords.get('us-east-1', 'orders')).toBeUndefined();
    // dynalite keeps a deleted table in DELETING for deleteTableMs, then it is gone.
    await expect
      .poll(async () => direct.send(new DescribeTableCommand({ TableName: 'orders' })).then(() => 'exists', (err: Error) => err.name), { timeout: 5000 })
      .toBe('ResourceNotFoundException');
  });

  it('list marks a recorded table that is gone from AWS, and delete --dbtable drops the stale record', async () => {
    await world.store.dbTableRecords.put('us-east-1', 'ghost', { partitionKey: { name: 'id', type: 'S' }, arn: 'arn:aws:dynamodb:us-east-1:000000000000:table/ghost', createdAt: new Date().toISOString() });

    await list({ dbtables: true }, world.ctx);
    expect(world.reporter.text('result')).toContain('    ghost  (no longer in AWS)');

    await deleteDbTable('ghost', {}, world.ctx);
    expect(world.reporter.text('warn')).toContain('Table: "ghost" no longer exists in us-east-1; its stale record has been removed.');
    expect(await world.store.dbTableRecords.get('us-east-1', 'ghost')).toBeUndefined();
  });

  it('delete --dbtable of a table with neither record nor table is an error', async () => {
    await expect(deleteDbTable('nothing-here', {}, world.ctx)).rejects.toThrow('Table "nothing-here" does not exist in us-east-1');
  });

  it('asks for the keys on a terminal (sort key "none" skips its type)', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const tty = await makeWorld({ stdin, policy: localTableWaits() });
    try {
      stdin.write('pk\nstring\nnone\n');
      await dbtable('prompted', {}, tty.ctx);
      expect((await describeBack('prompted')).KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
      expect(await tty.store.dbTableRecords.get('us-east-1', 'prompted')).toMatchObject({ partitionKey: { name: 'pk', type: 'S' } });
      expect((await tty.store.dbTableRecords.get('us-east-1', 'prompted'))?.sortKey).toBeUndefined();
    } finally {
      await tty.cleanup();
    }
  });

  it('says a region is missing before asking anything', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const tty = await makeWorld({ stdin, policy: localTableWaits() });
    const saved = { region: process.env.AWS_REGION, config: process.env.AWS_CONFIG_FILE, profile: process.env.AWS_PROFILE };
    delete process.env.AWS_REGION;
    delete process.env.AWS_PROFILE;
    process.env.AWS_CONFIG_FILE = join(tty.home, 'no-such-aws-config');
    let shown = '';
    tty.ctx.io.output.on('data', (d: Buffer) => (shown += d.toString()));
    try {
      await expect(dbtable('noregion', {}, { ...tty.ctx, aws: {} })).rejects.toThrow(/No AWS region is set/);
      expect(shown).toBe(''); // no question was asked
    } finally {
      for (const [key, value] of [['AWS_REGION', saved.region], ['AWS_CONFIG_FILE', saved.config], ['AWS_PROFILE', saved.profile]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      await tty.cleanup();
    }
  });

  it('asks again for a sort key named like the partition key, instead of failing after the last answer', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const tty = await makeWorld({ stdin, policy: localTableWaits() });
    try {
      stdin.write('pk\nstring\npk\nat\nnumber\n');
      await dbtable('twice', {}, tty.ctx);
      expect(await tty.store.dbTableRecords.get('us-east-1', 'twice')).toMatchObject({ partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'at', type: 'N' } });
    } finally {
      await tty.cleanup();
    }
  });

  it('asks again after a bad type, takes the defaults on Enter, and creates nothing when the user types q', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const tty = await makeWorld({ stdin, policy: localTableWaits() });
    try {
      stdin.write('\nbool\n\nsk\nq\n');
      await dbtable('quitter', {}, tty.ctx);
      expect(tty.reporter.text('info')).toContain('No table created.');
      await expect(direct.send(new DescribeTableCommand({ TableName: 'quitter' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
      expect(await tty.store.dbTableRecords.get('us-east-1', 'quitter')).toBeUndefined();
    } finally {
      await tty.cleanup();
    }
  });
});

describe('bam dbtable input checks (before any AWS call)', () => {
  it.each([
    ['ab', { partitionKey: 'id:string' }, 'not a valid table name'],
    ['has space', { partitionKey: 'id:string' }, 'not a valid table name'],
    ['x'.repeat(256), { partitionKey: 'id:string' }, 'not a valid table name'],
    ['good', { partitionKey: 'id:bool' }, '"bool" is not a key type: use string, number or binary.'],
    ['good', { partitionKey: 'id' }, 'must look like name:type'],
    ['good', { partitionKey: ':string' }, 'must look like name:type'],
    ['good', { partitionKey: 'id:s', sortKey: 'id:n' }, 'both "id"'],
    ['good', { sortKey: 'id:n' }, '--sortKey needs --partitionKey'],
    ['good', {}, 'needs --partitionKey name:type (and optionally --sortKey name:type) when not run on a terminal'],
  ])('dbtable %s %o is a usage error', async (name, options, message) => {
    const seen = dynamo.requests.length;
    const err: unknown = await dbtable(name, options, world.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain(message);
    expect(dynamo.requests.slice(seen)).toEqual([]);
  });

  it('delete --dbtable checks the table name too', async () => {
    const seen = dynamo.requests.length;
    await expect(deleteDbTable('a', {}, world.ctx)).rejects.toBeInstanceOf(UsageError);
    expect(dynamo.requests.slice(seen)).toEqual([]);
  });
});

describe('bam dbtable / list / delete --dbtable through the CLI (against dynalite)', () => {
  async function bam(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const { main } = await import('../../src/cli.js');
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stdout.on('data', (chunk: Buffer) => out.push(chunk));
    stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const code = await main(['node', 'bam', ...args], { stdout, stderr, stdin: new PassThrough(), cwd: world.cwd, home: world.home, policy: world.policy });
    return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
  }

  it('takes BAM!\'s binary key type (DynamoDB B) and --sortKey none (no sort key), as the prompts do', async () => {
    const made = await bam('dbtable', 'blobs', '--partitionKey', 'hash:binary', '--sortKey', 'none');
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain('partition key: hash (binary)');
    const table = await describeBack('blobs');
    expect(table.KeySchema).toEqual([{ AttributeName: 'hash', KeyType: 'HASH' }]);
    expect(table.AttributeDefinitions).toEqual([{ AttributeName: 'hash', AttributeType: 'B' }]);
    expect(await world.store.dbTableRecords.get('us-east-1', 'blobs')).toMatchObject({ partitionKey: { name: 'hash', type: 'B' } });
    expect((await world.store.dbTableRecords.get('us-east-1', 'blobs'))?.sortKey).toBeUndefined();
  });

  it('wires the flags, the exit codes and --json', async () => {
    const usage = await bam('dbtable', 'cli-table');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('needs --partitionKey name:type');

    expect((await bam('dbtable', 'cli-table', '--partitionKey', 'id:string', '--sortKey', 'at:number')).code).toBe(0);

    const listed = await bam('list', '--dbtables', '--json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual({
      region: 'us-east-1',
      dbTables: [{ name: 'cli-table', partitionKey: { name: 'id', type: 'S' }, sortKey: { name: 'at', type: 'N' }, inAws: true }],
    });

    const again = await bam('dbtable', 'cli-table', '--partitionKey', 'id:string');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Table "cli-table" already exists in us-east-1');

    expect((await bam('delete', 'cli-table', '--dbtable')).code).toBe(0);
    expect(await world.store.dbTableRecords.get('us-east-1', 'cli-table')).toBeUndefined();
    const gone = await bam('delete', 'never-made', '--dbtable');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('Table "never-made" does not exist in us-east-1');
  });
});
