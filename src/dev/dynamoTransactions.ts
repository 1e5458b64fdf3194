import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readBody } from './httpBody.js';

type Item = Record<string, AttributeValue>;
type Operation = 'ConditionCheck' | 'Put' | 'Delete' | 'Update';

interface WriteStep {
  operation: Operation;
  params: Record<string, unknown> & { TableName: string };
  key: Item;
  before: Item | undefined;
}

/** A DynamoDB error as the JSON protocol sends it (the SDK reads `__type` and `message`). */
class DynamoError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

// DynamoDB's limit on the items of one transaction.
const MAX_TRANSACTION_ITEMS = 100;
const JSON_TYPE = 'application/x-amz-json-1.0';

/**
 * A front for dynalite, which has no transactions: every call is passed through, except
 * TransactWriteItems and TransactGetItems, which are run here as the single-item calls they are
 * made of, while no other call runs (so nobody sees half of one). A write whose condition fails
 * puts back what the earlier writes changed and answers TransactionCanceledException with a
 * reason per item, as DynamoDB does.
 */
export function createTransactionFront(backend: () => Promise<{ url: string; client: DynamoDBClient }>): Server {
  const gate = new ReadWriteGate();
  return createServer((req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.indexOf('.') + 1);
    const work = backend().then(({ url, client }) =>
      operation === 'TransactWriteItems' || operation === 'TransactGetItems'
        ? gate.run(true, () => transact(operation, req, res, client))
        : gate.run(false, () => pass(req, res, url)),
    );
    work.catch((err: unknown) => {
      if (!res.headersSent) sendError(res, new DynamoError('InternalServerError', err instanceof Error ? err.message : String(err)));
      else res.destroy();
    });
  });
}

/** Hands one call to dynalite as it came, and its answer back. */
function pass(req: IncomingMessage, res: ServerResponse, backend: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const forward = request(`${backend}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 500, answer.headers);
      answer.pipe(res);
      answer.on('end', resolve);
      answer.on('error', reject);
    });
    forward.on('error', reject);
    req.pipe(forward);
  });
}

async function transact(operation: string, req: IncomingMessage, res: ServerResponse, client: DynamoDBClient): Promise<void> {
  const body = await readBody(req);
  let input: { TransactItems?: unknown };
  try {
    input = JSON.parse(body?.toString('utf8') ?? '') as { TransactItems?: unknown };
  } catch {
    return sendError(res, new DynamoError('SerializationException', 'The request body is not JSON'));
  }
  try {
    const items = transactItems(input.TransactItems);
    const answer = operation === 'TransactGetItems' ? await transactGet(items, client) : await transactWrite(items, client);
    res.writeHead(200, { 'Content-Type': JSON_TYPE }).end(JSON.stringify(answer));
  } catch (err) {
    if (err instanceof DynamoError) return sendError(res, err);
    const failure = err as { name?: string; message?: string };
    sendError(res, new DynamoError(failure.name ?? 'InternalServerError', failure.message ?? String(err)));
  }
}

function transactItems(value: unknown): Record<string, unknown>[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_TRANSACTION_ITEMS) {
    throw new DynamoError('ValidationException', `1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length between 1 and ${MAX_TRANSACTION_ITEMS}`);
  }
  return value as Record<string, unknown>[];
}

async function transactGet(items: Record<string, unknown>[], client: DynamoDBClient): Promise<{ Responses: { Item?: Item }[] }> {
  const { GetItemCommand } = await import('@aws-sdk/client-dynamodb');
  const responses: { Item?: Item }[] = [];
  for (const entry of items) {
    const get = entry.Get as ({ TableName: string; Key: Item } & Record<string, unknown>) | undefined;
    if (!get) throw new DynamoError('ValidationException', 'Each TransactGetItems entry must be a Get');
    const { Item: found } = await client.send(new GetItemCommand({ ...get, ConsistentRead: true }));
    responses.push(found ? { Item: found } : {});
  }
  return { Responses: responses };
}

async function transactWrite(items: Record<string, unknown>[], client: DynamoDBClient): Promise<Record<string, never>> {
  const steps = await planWrites(items, client);
  const reasons: { Code: string; Message?: string; Item?: Item }[] = steps.map(() => ({ Code: 'None' }));
  const done: WriteStep[] = [];
  for (const [index, step] of steps.entries()) {
    try {
      await runStep(step, client);
      done.push(step);
    } catch (err) {
      await restore(done.reverse(), client);
      if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
      const returnOld = step.params.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && step.before;
      reasons[index] = { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', ...(returnOld ? { Item: step.before } : {}) };
      throw new DynamoError('TransactionCanceledException', `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`, { CancellationReasons: reasons });
    }
  }
  return {};
}

/** Each write's table, key and the item as it was, refusing two writes to one item as DynamoDB does. */
async function planWrites(items: Record<string, unknown>[], client: DynamoDBClient): Promise<WriteStep[]> {
  const { DescribeTableCommand, GetItemCommand } = await import('@aws-sdk/client-dynamodb');
  const keyNames = new Map<string, string[]>();
  const seen = new Set<string>();
  const steps: WriteStep[] = [];
  for (const entry of items) {
    const operations = (['ConditionCheck', 'Put', 'Delete', 'Update'] as const).filter((name) => entry[name] !== undefined);
    const operation = operations[0];
    if (operations.length !== 1 || !operation) throw new DynamoError('ValidationException', 'Each TransactItems entry must hold exactly one of ConditionCheck, Put, Delete or Update');
    const params = entry[operation] as WriteStep['params'];
    let names = keyNames.get(params.TableName);
    if (!names) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: params.TableName }));
      names = (Table?.KeySchema ?? []).map((k) => k.AttributeName ?? '');
      keyNames.set(params.TableName, names);
    }
    const source = (operation === 'Put' ? params.Item : params.Key) as Item | undefined;
    const key: Item = Object.fromEntries(names.map((name) => [name, source?.[name] as AttributeValue]));
    if (names.some((name) => source?.[name] === undefined)) throw new DynamoError('ValidationException', `The provided key element does not match the schema of table ${params.TableName}`);
    const id = `${params.TableName}\u0000${JSON.stringify(key)}`;
    if (seen.has(id)) throw new DynamoError('ValidationException', 'Transaction request cannot include multiple operations on one item');
    seen.add(id);
    const { Item: before } = await client.send(new GetItemCommand({ TableName: params.TableName, Key: key, ConsistentRead: true }));
    steps.push({ operation, params, key, before });
  }
  return steps;
}

async function runStep(step: WriteStep, client: DynamoDBClient): Promise<void> {
  const { PutItemCommand, DeleteItemCommand, UpdateItemCommand } = await import('@aws-sdk/client-dynamodb');
  const { ReturnValuesOnConditionCheckFailure: _returnOld, ...params } = step.params;
  switch (step.operation) {
    case 'Put':
      await client.send(new PutItemCommand(params as never));
      return;
    case 'Update':
      await client.send(new UpdateItemCommand(params as never));
      return;
    case 'Delete':
      await client.send(new DeleteItemCommand(params as never));
      return;
    case 'ConditionCheck':
      // A delete carrying the condition checks it against the item as it is; the item is put straight back.
      await client.send(new DeleteItemCommand(params as never));
      await restore([step], client);
  }
}

/** Puts back the items as they were before the transaction, latest write first. */
async function restore(steps: WriteStep[], client: DynamoDBClient): Promise<void> {
  const { PutItemCommand, DeleteItemCommand } = await import('@aws-sdk/client-dynamodb');
  for (const { params, key, before } of steps) {
    if (before) await client.send(new PutItemCommand({ TableName: params.TableName, Item: before }));
    else await client.send(new DeleteItemCommand({ TableName: params.TableName, Key: key }));
  }
}

function sendError(res: ServerResponse, err: DynamoError): void {
  res.writeHead(400, { 'Content-Type': JSON_TYPE }).end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${err.type}`, message: err.message, ...err.extra }));
}

/** Many calls at once, or one exclusive one (a transaction) with nothing else running. */
class ReadWriteGate {
  private shared = 0;
  private exclusive = false;
  private readonly waiting: { exclusive: boolean; go: () => void }[] = [];

  async run<T>(exclusive: boolean, work: () => Promise<T>): Promise<T> {
    await new Promise<void>((go) => {
      this.waiting.push({ exclusive, go });
      this.pump();
    });
    try {
      return await work();
    } finally {
      if (exclusive) this.exclusive = false;
      else this.shared -= 1;
      this.pump();
    }
  }

  /** Lets in, in arrival order, what may run now. */
  private pump(): void {
    for (let next = this.waiting[0]; next && !this.exclusive; next = this.waiting[0]) {
      if (next.exclusive && this.shared > 0) return;
      this.waiting.shift();
      if (next.exclusive) this.exclusive = true;
      else this.shared += 1;
      next.go();
    }
  }
}
