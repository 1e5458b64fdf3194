import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stripVTControlCharacters } from 'node:util';
import { mockClient } from 'aws-sdk-client-mock';
import { LambdaClient, ListFunctionsCommand, type FunctionConfiguration } from '@aws-sdk/client-lambda';
import { APIGatewayClient, GetRestApiCommand, NotFoundException } from '@aws-sdk/client-api-gateway';
import { DynamoDBClient, DescribeTableCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { list, type Inventory } from '../../src/commands/list.js';
import { type LambdaRecord } from '../../src/core/records.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';

const lambdaMock = mockClient(LambdaClient);
const apiMock = mockClient(APIGatewayClient);
const dynamoMock = mockClient(DynamoDBClient);

let world: TestWorld;

beforeEach(async () => {
  world = await makeWorld();
});

afterEach(async () => {
  lambdaMock.reset();
  apiMock.reset();
  dynamoMock.reset();
  await world.cleanup();
});

const fn = (name: string, extra: Partial<FunctionConfiguration> = {}): FunctionConfiguration => ({ FunctionName: name, Runtime: 'nodejs22.x', Description: '', ...extra });

function lambdaRecord(name: string, extra: Partial<LambdaRecord> = {}): LambdaRecord {
  return {
    arn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    role: 'arn:aws:iam::123456789012:role/defaultBamRole',
    runtime: 'nodejs22.x',
    description: '',
    codeSha256: 'sha',
    sourcePath: `/home/me/${name}.js`,
    deployedAt: '2025-01-01T00:00:00.000Z',
    ...extra,
  };
}

const api = (restApiId: string, methods: string[]) => ({
  restApiId,
  endpointType: 'EDGE' as const,
  methods,
  url: `https://${restApiId}.execute-api.us-east-1.amazonaws.com/bam`,
  stage: 'bam',
  deployed: true,
});

/** Three pages of functions: `hello` is on the second page, `stale` on none. */
async function seedAccount(): Promise<void> {
  await world.store.lambdaRecords.put('us-east-1', 'hello', lambdaRecord('hello', {
      description: 'says hello',
      memory: 256,
      timeout: 10,
      env: { TOKEN: 'not-for-eyes', GREETING: 'hi' },
      api: { ...api('abc123', ['GET', 'POST']), cors: 'https://example.com' },
    }));
  await world.store.lambdaRecords.put('us-east-1', 'stale', lambdaRecord('stale', {
      role: 'arn:aws:iam::123456789012:role/service-role/ownRole',
      api: { ...api('gone99', ['GET']), endpointType: 'REGIONAL' },
    }));
  await world.store.dbTableRecords.put('us-east-1', 'notes', { partitionKey: { name: 'id', type: 'S' }, sortKey: { name: 'at', type: 'N' }, arn: 'arn:notes', createdAt: '2025-01-01T00:00:00.000Z' });
  await world.store.dbTableRecords.put('us-east-1', 'dropped', { partitionKey: { name: 'id', type: 'N' }, arn: 'arn:dropped', createdAt: '2025-01-01T00:00:00.000Z' });

  lambdaMock
    .on(ListFunctionsCommand)
    .rejects(new Error('unexpected ListFunctions input'))
    .on(ListFunctionsCommand, {}, true)
    .resolves({ Functions: [fn('alpha', { Description: 'not mine' }), fn('beta')], NextMarker: 'page-2' })
    .on(ListFunctionsCommand, { Marker: 'page-2' }, true)
    .resolves({ Functions: [fn('hello'), fn('gamma')], NextMarker: 'page-3' })
    .on(ListFunctionsCommand, { Marker: 'page-3' }, true)
    .resolves({ Functions: [fn('delta', { Runtime: 'python3.12' })] });
  apiMock
    .on(GetRestApiCommand, { restApiId: 'abc123' })
    .resolves({ id: 'abc123', name: 'hello' })
    .on(GetRestApiCommand, { restApiId: 'gone99' })
    .rejects(new NotFoundException({ message: 'Invalid API identifier specified', $metadata: {} }));
  dynamoMock
    .on(DescribeTableCommand, { TableName: 'notes' })
    .resolves({ Table: { TableName: 'notes', TableStatus: 'ACTIVE' } })
    .on(DescribeTableCommand, { TableName: 'dropped' })
    .rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
}

const output = () => stripVTControlCharacters(world.reporter.text('result'));

describe('bam list', () => {
  it('shows creates an interrupted bam left unsettled, in text and JSON, for the parts asked for', async () => {
    await seedAccount();
    const startedAt = '2026-12-02T10:00:00.000Z';
    await world.store.intents.open([
      { token: 'aaaa1111bbbb2222', kind: 'function', region: 'us-east-1', name: 'half', startedAt },
      { token: 'aaaa1111bbbb2222', kind: 'api', region: 'us-east-1', name: 'half', startedAt },
      { token: 'cccc3333dddd4444', kind: 'table', region: 'us-east-1', name: 'orders', startedAt },
      { token: 'eeee5555ffff6666', kind: 'function', region: 'eu-west-1', name: 'elsewhere', startedAt },
    ]);
    await list({}, world.ctx);
    expect(output()).toContain(
      [
        '  Interrupted creates, not settled yet:',
        `    function half  (since ${startedAt})`,
        `    the API of half  (since ${startedAt})`,
        `    table orders  (since ${startedAt})`,
        '    The next bam command on that name finds out what exists and records it.',
      ].join('\n'),
    );
    world.reporter.events.length = 0;
    await list({ dbtables: true, json: true }, world.ctx);
    expect((JSON.parse(world.reporter.text('result')) as Inventory).unsettled).toEqual([{ kind: 'table', name: 'orders', startedAt }]);
  });

  it('reads every page of ListFunctions, following NextMarker', async () => {
    await seedAccount();
    await list({ lambdas: true }, world.ctx);
    const inputs = lambdaMock.commandCalls(ListFunctionsCommand).map((call) => call.args[0].input);
    expect(inputs).toEqual([{}, { Marker: 'page-2' }, { Marker: 'page-3' }]);
    expect(output()).toContain('  Other lambdas on AWS:\n    alpha\n    beta\n    delta\n    gamma\n');
  });

  it('shows the three sections in BAM!\'s layout, marking records gone from AWS', async () => {
    await seedAccount();
    await list({}, world.ctx);
    expect(output()).toBe(
      [
        '  Lambdas and endpoints deployed from this machine:',
        '    hello',
        '      description: says hello',
        '      runtime: nodejs22.x, memory: 256 MB, timeout: 10 s, role: defaultBamRole',
        '      environment: GREETING, TOKEN',
        '      endpoint: https://abc123.execute-api.us-east-1.amazonaws.com/bam',
        '      endpoint type: edge',
        '      http methods: GET, POST',
        '      cors: https://example.com',
        '',
        '    stale  (no longer in AWS)',
        '      runtime: nodejs22.x, role: ownRole',
        '      endpoint: https://gone99.execute-api.us-east-1.amazonaws.com/bam  (no longer in AWS)',
        '      endpoint type: regional',
        '      http methods: GET',
        '',
        '  Other lambdas on AWS:',
        '    alpha',
        '    beta',
        '    delta',
        '    gamma',
        '',
        '  DynamoDB tables deployed from this machine:',
        '    dropped  (no longer in AWS)',
        '      partition key: id (number)',
        '',
        '    notes',
        '      partition key: id (string)',
        '      sort key: at (number)',
        '',
      ].join('\n'),
    );
    expect(output()).not.toContain('not-for-eyes');
    // The records are checked, never changed, by list.
    expect(Object.keys(await world.store.lambdaRecords.inRegion('us-east-1'))).toEqual(['hello', 'stale']);
    expect(Object.keys(await world.store.dbTableRecords.inRegion('us-east-1'))).toEqual(['notes', 'dropped']);
  });

  it('--json prints one document with the same content', async () => {
    await seedAccount();
    await list({ json: true }, world.ctx);
    expect(world.reporter.events.filter((e) => e.type === 'result')).toHaveLength(1);
    // Variable values may be secrets: only their names are shown.
    expect(world.reporter.text('result')).not.toContain('not-for-eyes');
    const doc = JSON.parse(world.reporter.text('result')) as Inventory;
    expect(doc).toEqual({
      region: 'us-east-1',
      lambdas: [
        {
          name: 'hello',
          description: 'says hello',
          runtime: 'nodejs22.x',
          memory: 256,
          timeout: 10,
          env: ['GREETING', 'TOKEN'],
          role: 'defaultBamRole',
          inAws: true,
          endpoint: { url: 'https://abc123.execute-api.us-east-1.amazonaws.com/bam', endpointType: 'EDGE', methods: ['GET', 'POST'], cors: 'https://example.com', inAws: true },
          endpointKind: 'rest-api',
        },
        {
          name: 'stale',
          description: '',
          runtime: 'nodejs22.x',
          role: 'ownRole',
          inAws: false,
          endpoint: { url: 'https://gone99.execute-api.us-east-1.amazonaws.com/bam', endpointType: 'REGIONAL', methods: ['GET'], inAws: false },
          endpointKind: 'rest-api',
        },
      ],
      otherLambdas: [
        { name: 'alpha', description: 'not mine', runtime: 'nodejs22.x' },
        { name: 'beta', description: '', runtime: 'nodejs22.x' },
        { name: 'delta', description: '', runtime: 'python3.12' },
        { name: 'gamma', description: '', runtime: 'nodejs22.x' },
      ],
      dbTables: [
        { name: 'dropped', partitionKey: { name: 'id', type: 'N' }, inAws: false },
        { name: 'notes', partitionKey: { name: 'id', type: 'S' }, sortKey: { name: 'at', type: 'N' }, inAws: true },
      ],
    });
  });

  it('checks APIs with GetRestApi concurrently, not one by one', async () => {
    for (const name of ['a1', 'a2', 'a3']) await world.store.lambdaRecords.put('us-east-1', name, lambdaRecord(name, { api: api(`id-${name}`, ['GET']) }));
    lambdaMock.on(ListFunctionsCommand).resolves({ Functions: [fn('a1'), fn('a2'), fn('a3')] });
    let inFlight = 0;
    let most = 0;
    apiMock.on(GetRestApiCommand).callsFake(async (input: { restApiId: string }) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight -= 1;
      return { id: input.restApiId };
    });
    await list({ lambdas: true }, world.ctx);
    expect(apiMock.commandCalls(GetRestApiCommand).map((c) => c.args[0].input.restApiId).sort()).toEqual(['id-a1', 'id-a2', 'id-a3']);
    expect(most).toBe(3);
  });

  it('--dbtables asks only DynamoDB, --lambdas never asks DynamoDB', async () => {
    await seedAccount();
    await list({ dbtables: true }, world.ctx);
    expect(lambdaMock.calls()).toHaveLength(0);
    expect(apiMock.calls()).toHaveLength(0);
    expect(dynamoMock.commandCalls(DescribeTableCommand).map((c) => c.args[0].input.TableName).sort()).toEqual(['dropped', 'notes']);
    expect(output()).not.toContain('Lambdas and endpoints');

    dynamoMock.resetHistory();
    world.reporter.events.length = 0;
    await list({ lambdas: true }, world.ctx);
    expect(dynamoMock.calls()).toHaveLength(0);
    expect(output()).not.toContain('DynamoDB tables');
  });

  it('says so when nothing was deployed from this machine, and omits an empty "other lambdas" section', async () => {
    lambdaMock.on(ListFunctionsCommand).resolves({ Functions: [] });
    await list({}, world.ctx);
    expect(output()).toBe(
      [
        '  Lambdas and endpoints deployed from this machine:',
        '    There are no lambdas in us-east-1 deployed from this machine.',
        '',
        '  DynamoDB tables deployed from this machine:',
        '    No DynamoDB tables in us-east-1 have been deployed from this machine.',
        '',
      ].join('\n'),
    );
  });

  it('shows a table that is not ACTIVE with its status', async () => {
    await world.store.dbTableRecords.put('us-east-1', 'busy', { partitionKey: { name: 'id', type: 'S' }, arn: 'arn:busy', createdAt: '2025-01-01T00:00:00.000Z' });
    dynamoMock.on(DescribeTableCommand).resolves({ Table: { TableName: 'busy', TableStatus: 'DELETING' } });
    await list({ dbtables: true }, world.ctx);
    expect(output()).toContain('    busy  (DELETING)\n');
  });
});
