import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTagsOfResourceCommand,
  type CreateTableCommandInput,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { dbtable } from '../../src/commands/dbtable.js';
import { deleteDbTable } from '../../src/commands/deleteTable.js';
import { NoAnswerError } from '../../src/aws/bamBam.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { awsError } from '../aws/fakeAws.js';

// bam dbtable under failure: CreateTable failing before DynamoDB acts, its answer lost after
// DynamoDB made the table, or no answer at all (made, or not). After the failed command and
// after the next one, the records list exactly the tables that exist, and nothing is made twice.

const REGION = 'us-east-1';
const dynamo = mockClient(DynamoDBClient);

/** DynamoDB as a small model: tables with their tags; CreateTable's behaviour scripted per call. */
class FakeDynamo {
  readonly tables = new Map<string, { description: TableDescription; tags: Record<string, string> }>();
  readonly calls: string[] = [];
  /** What each next CreateTable does: act and answer, fail before acting, act and lose the answer, or hang (acted or not). */
  readonly script: ('ok' | 'error' | 'lost' | 'hangActed' | 'hangNot')[] = [];

  constructor() {
    dynamo.on(CreateTableCommand).callsFake((input: CreateTableCommandInput) => this.create(input));
    dynamo.on(DescribeTableCommand).callsFake((input: { TableName: string }) => {
      this.calls.push('DescribeTable');
      const table = this.tables.get(input.TableName);
      if (!table) throw awsError('ResourceNotFoundException', `Requested resource not found: Table: ${input.TableName} not found`);
      return { Table: table.description };
    });
    dynamo.on(ListTagsOfResourceCommand).callsFake((input: { ResourceArn: string }) => {
      this.calls.push('ListTagsOfResource');
      const table = [...this.tables.values()].find((t) => t.description.TableArn === input.ResourceArn);
      return { Tags: Object.entries(table?.tags ?? {}).map(([Key, Value]) => ({ Key, Value })) };
    });
  }

  private create(input: CreateTableCommandInput) {
    this.calls.push('CreateTable');
    const way = this.script.shift() ?? 'ok';
    if (way === 'error') throw awsError('LimitExceededException', 'Too many tables are being created at once.');
    if (way === 'hangNot') throw new NoAnswerError('answer', 30_000, 'https://dynamodb.us-east-1.amazonaws.com');
    const name = input.TableName!;
    if (this.tables.has(name)) throw awsError('ResourceInUseException', `Table already exists: ${name}`);
    const description: TableDescription = {
      TableName: name,
      TableArn: `arn:aws:dynamodb:${REGION}:123456789012:table/${name}`,
      TableStatus: 'ACTIVE',
      KeySchema: input.KeySchema,
      AttributeDefinitions: input.AttributeDefinitions,
      CreationDateTime: new Date('2026-12-02T10:00:00Z'),
    };
    this.tables.set(name, { description, tags: Object.fromEntries((input.Tags ?? []).map((t) => [t.Key!, t.Value!])) });
    if (way === 'lost') throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    if (way === 'hangActed') throw new NoAnswerError('answer', 30_000, 'https://dynamodb.us-east-1.amazonaws.com');
    return { TableDescription: description };
  }
}

let world: TestWorld;
let fake: FakeDynamo;

beforeEach(async () => {
  world = await makeWorld({ region: REGION });
  dynamo.reset();
  fake = new FakeDynamo();
});

afterEach(async () => {
  dynamo.reset();
  await world.cleanup();
});

const create = () => dbtable('notes', { partitionKey: 'id:string' }, world.ctx);

async function expectRecordsMatchTables(): Promise<void> {
  expect(Object.keys(await world.store.dbTableRecords.inRegion(REGION)).sort()).toEqual([...fake.tables.keys()].sort());
}

describe('bam dbtable, CreateTable failing each way', () => {
  it('fails before DynamoDB acts: one line, nothing made, nothing recorded, no intent left; the next run makes it', async () => {
    fake.script.push('error');
    await expect(create()).rejects.toThrow(/CreateTable failed: Too many tables/);
    await expectRecordsMatchTables();
    expect(await world.store.intents.inRegion(REGION)).toEqual([]);
    await create();
    expect(fake.tables.size).toBe(1);
    await expectRecordsMatchTables();
  });

  it.each(['lost', 'hangActed'] as const)('answer %s after DynamoDB made it: found by its token and recorded, never "already exists"', async (way) => {
    fake.script.push(way);
    await create();
    expect(fake.calls.filter((c) => c === 'CreateTable')).toHaveLength(1);
    expect(fake.tables.size).toBe(1);
    expect((await world.store.dbTableRecords.get(REGION, 'notes'))!.partitionKey).toEqual({ name: 'id', type: 'S' });
    expect(await world.store.intents.inRegion(REGION)).toEqual([]);
  });

  it('no answer and nothing made: sent again, one table', async () => {
    fake.script.push('hangNot');
    await create();
    expect(fake.calls.filter((c) => c === 'CreateTable')).toHaveLength(2);
    await expectRecordsMatchTables();
  });

  it('no answer to any of the three sends: fails in one line with its intent open; the next run settles it and makes the table', async () => {
    fake.script.push('hangNot', 'hangNot', 'hangNot');
    await expect(create()).rejects.toThrow(/CreateTable did not answer within 30 s/);
    expect(fake.tables.size).toBe(0);
    expect(await world.store.intents.inRegion(REGION)).toHaveLength(1);
    await create();
    expect(fake.tables.size).toBe(1);
    await expectRecordsMatchTables();
    expect(await world.store.intents.inRegion(REGION)).toEqual([]);
  });

  /** The table is made, but the answer is lost and the look for it fails too: only the intent knows. */
  async function madeButUnrecorded(): Promise<void> {
    fake.script.push('hangActed');
    failDescribeOnce();
    await expect(create()).rejects.toThrow(/DescribeTable failed/);
    expect(fake.tables.size).toBe(1);
    expect(await world.store.dbTableRecords.inRegion(REGION)).toEqual({});
    expect(await world.store.intents.inRegion(REGION)).toHaveLength(1);
  }

  function failDescribeOnce(): void {
    let failed = false;
    dynamo.on(DescribeTableCommand).callsFake((input: { TableName: string }) => {
      if (!failed) {
        failed = true;
        throw awsError('AccessDeniedException', 'not authorized to perform dynamodb:DescribeTable');
      }
      const table = fake.tables.get(input.TableName);
      if (!table) throw awsError('ResourceNotFoundException', `Requested resource not found: Table: ${input.TableName} not found`);
      return { Table: table.description };
    });
  }

  it('made, its answer lost and the look for it failed: the next run records it instead of making a second one', async () => {
    await madeButUnrecorded();
    await create();
    expect(world.reporter.text('warn')).toContain('Recorded table "notes", which an interrupted bam had created.');
    expect(fake.calls.filter((c) => c === 'CreateTable')).toHaveLength(1);
    await expectRecordsMatchTables();
    expect(await world.store.intents.inRegion(REGION)).toEqual([]);
  });

  it('a delete after such a failure settles first, then deletes the table bam made without asking', async () => {
    await madeButUnrecorded();
    dynamo.on(DeleteTableCommand).callsFake((input: { TableName: string }) => {
      fake.tables.delete(input.TableName);
      return {};
    });
    await deleteDbTable('notes', {}, world.ctx);
    expect(fake.tables.size).toBe(0);
    await expectRecordsMatchTables();
    expect(await world.store.intents.inRegion(REGION)).toEqual([]);
  });

  it('a stranger\'s table of that name is never adopted', async () => {
    fake.tables.set('notes', { description: { TableName: 'notes', TableArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/notes' }, tags: {} });
    await expect(create()).rejects.toThrow('Table "notes" already exists in us-east-1. Pick another name, or delete it first with: bam delete notes --dbtable');
    expect(await world.store.dbTableRecords.inRegion(REGION)).toEqual({});
    expect(await world.store.intents.inRegion(REGION)).toEqual([]);
  });
});
