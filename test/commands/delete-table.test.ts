import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DeleteTableCommand, DescribeTableCommand, DynamoDBClient, ListTagsOfResourceCommand } from '@aws-sdk/client-dynamodb';
import { main } from '../../src/cli.js';
import { deleteDbTable } from '../../src/commands/deleteTable.js';
import { BamError } from '../../src/core/errors.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { awsError } from '../aws/fakeAws.js';

// bam delete NAME --dbtable deletes without asking only the tables bam made: recorded here, or
// tagged bam:managed=true (made from another machine). DynamoDB is mocked: the tests read the
// order and the parameters of the calls.

const REGION = 'us-east-1';
const arn = (name: string) => `arn:aws:dynamodb:${REGION}:123456789012:table/${name}`;
const BAM_TAG = { Key: 'bam:managed', Value: 'true' };

let world: TestWorld;
const dynamo = mockClient(DynamoDBClient);

beforeEach(async () => {
  world = await makeWorld({ region: REGION });
  dynamo.reset();
  dynamo.on(DeleteTableCommand).callsFake((input: { TableName: string }) => ({ TableDescription: { TableName: input.TableName, TableStatus: 'DELETING' } }));
});
afterEach(async () => {
  await world.cleanup();
});

/** A table in AWS with these tags (one page of them). */
function inAws(name: string, tags: { Key: string; Value: string }[]): void {
  dynamo.on(DescribeTableCommand, { TableName: name }).resolves({ Table: { TableName: name, TableArn: arn(name), TableStatus: 'ACTIVE' } });
  dynamo.on(ListTagsOfResourceCommand, { ResourceArn: arn(name) }).resolves({ Tags: tags });
}

afterAll(() => dynamo.restore());

/** The calls bam made, in order, as [operation, input]. */
const calls = (): [string, object][] =>
  dynamo.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: object };
    return [command.constructor.name.replace(/Command$/, ''), command.input];
  });

/** A terminal on which the person types `typed`. */
function terminal(typed: string): void {
  const input = Object.assign(new PassThrough(), { isTTY: true });
  input.write(typed);
  world.ctx.io = { input, output: new PassThrough() };
}

async function bam(...args: string[]): Promise<{ code: number; stderr: string }> {
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await main(['node', 'bam', ...args, '--region', REGION], { stdout: new PassThrough(), stderr, stdin: new PassThrough(), cwd: world.cwd, home: world.home, policy: world.policy });
  return { code, stderr: err };
}

describe('bam delete NAME --dbtable: only what bam made, unless a person or --force says so', () => {
  it('a recorded table is deleted at once: DeleteTable alone, no look at its tags', async () => {
    await world.store.dbTableRecords.put(REGION, 'notes', { partitionKey: { name: 'id', type: 'S' }, arn: arn('notes'), createdAt: new Date().toISOString() });
    await deleteDbTable('notes', {}, world.ctx);
    expect(calls()).toEqual([['DeleteTable', { TableName: 'notes' }]]);
    expect(await world.store.dbTableRecords.get(REGION, 'notes')).toBeUndefined();
  });

  it('a table with bam\'s tag but no record (made from another machine) is deleted without asking', async () => {
    inAws('shared', [{ Key: 'team', Value: 'web' }, BAM_TAG]);
    await deleteDbTable('shared', {}, world.ctx);
    expect(calls()).toEqual([
      ['DescribeTable', { TableName: 'shared' }],
      ['ListTagsOfResource', { ResourceArn: arn('shared') }],
      ['DeleteTable', { TableName: 'shared' }],
    ]);
    expect(world.reporter.text('warn')).toBe('');
    expect(world.reporter.text('succeed')).toContain('Table: "shared" has been deleted');
  });

  it('follows the tag pages until bam\'s tag turns up', async () => {
    dynamo.on(DescribeTableCommand).resolves({ Table: { TableName: 'many', TableArn: arn('many') } });
    dynamo
      .on(ListTagsOfResourceCommand)
      .resolvesOnce({ Tags: [{ Key: 'a', Value: '1' }], NextToken: 'page2' })
      .resolvesOnce({ Tags: [BAM_TAG] });
    await deleteDbTable('many', {}, world.ctx);
    expect(calls()).toEqual([
      ['DescribeTable', { TableName: 'many' }],
      ['ListTagsOfResource', { ResourceArn: arn('many') }],
      ['ListTagsOfResource', { ResourceArn: arn('many'), NextToken: 'page2' }],
      ['DeleteTable', { TableName: 'many' }],
    ]);
  });

  it('an untagged table, on a terminal: deleted when the person types its name', async () => {
    inAws('foreign', [{ Key: 'team', Value: 'payments' }]);
    terminal('foreign\n');
    await deleteDbTable('foreign', {}, world.ctx);
    expect(world.reporter.text('warn')).toContain('Table "foreign" in us-east-1 was not made by bam (no record here, no bam:managed tag)');
    expect(calls().map(([name]) => name)).toEqual(['DescribeTable', 'ListTagsOfResource', 'DeleteTable']);
  });

  it('an untagged table, on a terminal: kept when the person types another name (exit 1)', async () => {
    inAws('foreign', []);
    terminal('foreing\n');
    const refused = await deleteDbTable('foreign', {}, world.ctx).then(() => undefined, (err: unknown) => err);
    expect(refused).toBeInstanceOf(BamError);
    expect((refused as BamError).exitCode).toBe(1);
    expect((refused as Error).message).toBe('Table "foreign" was not deleted: its name was not typed.');
    expect(calls().map(([name]) => name)).toEqual(['DescribeTable', 'ListTagsOfResource']);
  });

  it('an untagged table, without a terminal: refused in one line naming --force (exit 2)', async () => {
    inAws('foreign', []);
    const refused = await bam('delete', 'foreign', '--dbtable');
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toEqual([
      expect.stringContaining('Table "foreign" in us-east-1 was not made by bam (no record here, no bam:managed tag); nothing deleted. To delete it anyway: bam delete foreign --dbtable --force'),
    ]);
    expect(calls().map(([name]) => name)).toEqual(['DescribeTable', 'ListTagsOfResource']);
  });

  it('--force deletes it without looking or asking: DeleteTable alone', async () => {
    inAws('foreign', []);
    const forced = await bam('delete', 'foreign', '--dbtable', '--force');
    expect(forced).toEqual({ code: 0, stderr: '' });
    expect(calls()).toEqual([['DeleteTable', { TableName: 'foreign' }]]);
  });

  it('a name with neither record nor table fails with exit 1 after one DescribeTable', async () => {
    dynamo.on(DescribeTableCommand).rejects(awsError('ResourceNotFoundException', 'Requested resource not found'));
    const missing = await bam('delete', 'nosuch', '--dbtable');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Table "nosuch" does not exist in us-east-1');
    expect(calls().map(([name]) => name)).toEqual(['DescribeTable']);
  });
});
