// description: {{name}}: lists, reads, creates, replaces, updates and deletes items of a DynamoDB table
// methods: GET, POST, PUT, PATCH, DELETE
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient, GetCommand, ScanCommand, PutCommand, UpdateCommand, DeleteCommand,
} from '@aws-sdk/lib-dynamodb';

const TABLE_NAME = process.env.TABLE_NAME || '{{name}}';
const PARTITION_KEY = process.env.PARTITION_KEY || 'id';
const KEY_IS_NUMBER = process.env.PARTITION_KEY_TYPE === 'number';

const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));

// The request and the answer as API Gateway's Lambda proxy integration passes them, with the
// fields this function uses. The full set is in @types/aws-lambda (APIGatewayProxyEvent and
// APIGatewayProxyResult), which you may use instead; bam needs neither to deploy.
interface ApiEvent {
  httpMethod: string;
  path: string;
  pathParameters: { proxy?: string } | null;
  queryStringParameters: Record<string, string | undefined> | null;
  headers: Record<string, string | undefined>;
  body: string | null;
  isBase64Encoded: boolean;
}

interface ApiResult {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
}

// An item of the table: its partition key and any other fields.
type Item = Record<string, unknown>;

const headers: Record<string, string> = {
  'Content-Type': 'application/json',
  // CORS: `bam deploy NAME --cors ORIGIN` makes API Gateway answer the browser's preflight (OPTIONS);
  // the function's own answers must allow the origin too (API Gateway adds nothing to them), e.g.:
  // 'Access-Control-Allow-Origin': 'https://example.com',
};

export const handler = async (event: ApiEvent): Promise<ApiResult> => {
  try {
    return await route(event);
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') {
      return reply(500, { message: `Table ${TABLE_NAME} does not exist: create it with bam dbtable ${TABLE_NAME}` });
    }
    if ((err as Error).name === 'AccessDeniedException') {
      return reply(500, { message: `No permission to use table ${TABLE_NAME}: bam redeploy {{name}} --permitDb` });
    }
    throw err;
  }
};

function route(event: ApiEvent): ApiResult | Promise<ApiResult> {
  const id = (event.pathParameters && event.pathParameters.proxy) || '';
  switch (event.httpMethod) {
    case 'GET':
      return id ? getItem(id) : listItems();
    case 'POST':
      return createItem(readItem(event));
    case 'PUT':
      return replaceItem(id, readItem(event));
    case 'PATCH':
      return updateItem(id, readItem(event));
    case 'DELETE':
      return deleteItem(id);
    default:
      return reply(405, { message: `${event.httpMethod} is not supported: use GET, POST, PUT, PATCH or DELETE` });
  }
}

async function listItems(): Promise<ApiResult> {
  const { Items } = await db.send(new ScanCommand({ TableName: TABLE_NAME, Limit: 100 }));
  return reply(200, { items: Items });
}

async function getItem(id: string): Promise<ApiResult> {
  const { Item } = await db.send(new GetCommand({ TableName: TABLE_NAME, Key: keyOf(id) }));
  return Item ? reply(200, Item) : reply(404, { message: `No item ${id} in table ${TABLE_NAME}` });
}

async function createItem(item: Item | null): Promise<ApiResult> {
  if (!item || item[PARTITION_KEY] === undefined) {
    return reply(400, { message: `POST the item as a JSON object with its "${PARTITION_KEY}"` });
  }
  const saved = { ...item, ...keyOf(item[PARTITION_KEY]) };
  await db.send(new PutCommand({ TableName: TABLE_NAME, Item: saved }));
  return reply(201, saved);
}

async function replaceItem(id: string, item: Item | null): Promise<ApiResult> {
  if (!id || !item) return reply(400, { message: 'PUT /ID with the whole item as a JSON object' });
  await db.send(new PutCommand({ TableName: TABLE_NAME, Item: { ...item, ...keyOf(id) } }));
  return reply(204);
}

async function updateItem(id: string, fields: Item | null): Promise<ApiResult> {
  const names = fields ? Object.keys(fields).filter((name) => name !== PARTITION_KEY) : [];
  if (!id || !fields || names.length === 0) return reply(400, { message: 'PATCH /ID with the fields to change as a JSON object' });
  await db.send(new UpdateCommand({
    TableName: TABLE_NAME,
    Key: keyOf(id),
    UpdateExpression: `SET ${names.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
    ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#f${i}`, name])),
    ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:v${i}`, fields[name]])),
  }));
  return reply(204);
}

async function deleteItem(id: string): Promise<ApiResult> {
  if (!id) return reply(400, { message: 'DELETE /ID names the item to delete' });
  await db.send(new DeleteCommand({ TableName: TABLE_NAME, Key: keyOf(id) }));
  return reply(204);
}

function keyOf(value: unknown): Item {
  return { [PARTITION_KEY]: KEY_IS_NUMBER ? Number(value) : String(value) };
}

function reply(statusCode: number, data?: unknown): ApiResult {
  return { statusCode, headers, body: data === undefined ? '' : JSON.stringify(data) };
}

function readItem(event: ApiEvent): Item | null {
  if (!event.body) return null;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    const item: unknown = JSON.parse(text);
    return item && typeof item === 'object' && !Array.isArray(item) ? (item as Item) : null;
  } catch {
    return null;
  }
}
