// description: {{name}}: a web page listing the items of a DynamoDB table, and an API to change them
// methods: GET, POST, PUT, PATCH, DELETE
//
// Welcome to {{name}}, a function made with bam that keeps items in a DynamoDB table and
// shows them in a web page.
// The line above is the function's description: bam sends it to AWS when you deploy, and
// `bam list` shows it. Change it to say what your function does.
//
// This folder is the whole function: index.ts (this file) answers the requests; index.html,
// main.css and application.js are the page. bam uploads the folder as it is.
//
// Try it on your machine:   bam dev {{name}}
// On AWS, three steps:
//   1. the table:           bam dbtable {{name}} --partitionKey id:string
//   2. the function, allowed to use your tables (--permitDb):
//                           bam deploy {{name}} --permitDb --methods GET,POST,PUT,PATCH,DELETE
//   3. open the address it prints, and add an item
// Change it later:          bam redeploy {{name}}
//
// The requests it answers (ID is the item's partition key value):
//   GET    /bam        the page with the items       200
//   GET    /bam/ID     one item                      200, or 404 when there is none
//   POST   /bam        a new item, JSON body         201 with the item
//   PUT    /bam/ID     the whole item, JSON body     204
//   PATCH  /bam/ID     some fields, JSON body        204
//   DELETE /bam/ID                                   204
//
// The AWS SDK v3 is part of the Lambda runtime: bam does not upload it.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
// The document client converts plain JavaScript values to DynamoDB's typed attributes
// ({ note: 'hi' } instead of { note: { S: 'hi' } }) and back.
import {
  DynamoDBDocumentClient, GetCommand, ScanCommand, PutCommand, UpdateCommand, DeleteCommand,
} from '@aws-sdk/lib-dynamodb';

// Lambda unpacks your folder into LAMBDA_TASK_ROOT; on your machine the files sit next to this one.
const ROOT = process.env.LAMBDA_TASK_ROOT || dirname(fileURLToPath(import.meta.url));

// Settings from environment variables, with defaults that match `bam dbtable {{name}}`.
// Change a default here, or set the variable in the function's configuration.
const TABLE_NAME = process.env.TABLE_NAME || '{{name}}';
const PARTITION_KEY = process.env.PARTITION_KEY || 'id';
// A key from the URL is text; a table whose partition key is a number needs a number.
const KEY_IS_NUMBER = process.env.PARTITION_KEY_TYPE === 'number';

// Made once, outside the handler: Lambda keeps the function loaded between requests and the
// client (with its open connections) is reused. The region is the function's own.
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

// Headers sent with every answer. Content-Type tells the browser (or curl) what the body is.
const headers: Record<string, string> = {
  'Content-Type': 'application/json',
  // CORS: `bam deploy NAME --cors ORIGIN` makes API Gateway answer the browser's preflight (OPTIONS);
  // the function's own answers must allow the origin too (API Gateway adds nothing to them), e.g.:
  // 'Access-Control-Allow-Origin': 'https://example.com',
};

// Lambda calls `handler` once per request. Keep the name: bam deploys it as index.handler.
// `event` is the HTTP request, as API Gateway's "Lambda proxy integration" describes it:
//   event.httpMethod             'GET', 'POST', ...
//   event.pathParameters.proxy   '42' for /bam/42 (null on the root path /bam)
//   event.queryStringParameters  { name: 'Ada' } for ?name=Ada, null when there is no query
//   event.headers, event.body    the request headers and body (a string, or null)
export const handler = async (event: ApiEvent): Promise<ApiResult> => {
  try {
    return await route(event);
  } catch (err) {
    // The two mistakes everyone makes once, answered with the fix. Any other error is thrown:
    // API Gateway answers 502 and the details go to the logs (bam logs {{name}}).
    if ((err as Error).name === 'ResourceNotFoundException') {
      return reply(500, { message: `Table ${TABLE_NAME} does not exist: create it with bam dbtable ${TABLE_NAME}` });
    }
    if ((err as Error).name === 'AccessDeniedException') {
      return reply(500, { message: `No permission to use table ${TABLE_NAME}: bam redeploy {{name}} --permitDb` });
    }
    throw err;
  }
};

// One function can answer every method of its endpoint. Only the methods you deploy
// (bam deploy --methods, GET by default) ever reach it.
function route(event: ApiEvent): ApiResult | Promise<ApiResult> {
  // pathParameters is null on the root path, so check it before reading .proxy
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
      // 405 Method Not Allowed
      return reply(405, { message: `${event.httpMethod} is not supported: use GET, POST, PUT, PATCH or DELETE` });
  }
}

// A Scan reads the table from its start, Limit items at most (its LastEvaluatedKey then says
// where the next page starts). Fine for small tables; for big ones, design keys you can Query.
async function listItems(): Promise<ApiResult> {
  const { Items } = await db.send(new ScanCommand({ TableName: TABLE_NAME, Limit: 100 }));
  // Everything that comes from the table is escaped before it goes into the page, so an item
  // cannot run code in your visitors' browsers. application.js makes the Delete buttons work.
  const rows = (Items ?? []).map((item) => `<li>
      <code>${escapeHtml(JSON.stringify(item))}</code>
      <button data-id="${escapeHtml(item[PARTITION_KEY])}">Delete</button>
    </li>`);
  return page(rows.length ? `<ul>${rows.join('\n')}</ul>` : `<p>Table ${escapeHtml(TABLE_NAME)} is empty.</p>`);
}

async function getItem(id: string): Promise<ApiResult> {
  const { Item } = await db.send(new GetCommand({ TableName: TABLE_NAME, Key: keyOf(id) }));
  // 404 Not Found when the table has no such item (Item is then undefined)
  return Item ? reply(200, Item) : reply(404, { message: `No item ${id} in table ${TABLE_NAME}` });
}

async function createItem(item: Item | null): Promise<ApiResult> {
  if (!item || item[PARTITION_KEY] === undefined) {
    // 400 Bad Request: the request lacks something the function needs
    return reply(400, { message: `POST the item as a JSON object with its "${PARTITION_KEY}"` });
  }
  const saved = { ...item, ...keyOf(item[PARTITION_KEY]) };
  // A Put replaces any item with the same key
  await db.send(new PutCommand({ TableName: TABLE_NAME, Item: saved }));
  // 201 Created, with the item as stored
  return reply(201, saved);
}

async function replaceItem(id: string, item: Item | null): Promise<ApiResult> {
  if (!id || !item) return reply(400, { message: 'PUT /ID with the whole item as a JSON object' });
  // The key comes from the path: /bam/42 always writes item 42
  await db.send(new PutCommand({ TableName: TABLE_NAME, Item: { ...item, ...keyOf(id) } }));
  // 204 No Content: done, and the answer has no body
  return reply(204);
}

async function updateItem(id: string, fields: Item | null): Promise<ApiResult> {
  const names = fields ? Object.keys(fields).filter((name) => name !== PARTITION_KEY) : [];
  if (!id || !fields || names.length === 0) return reply(400, { message: 'PATCH /ID with the fields to change as a JSON object' });
  // SET #f0 = :v0, #f1 = :v1 ... with the names and values passed apart: field names that are
  // DynamoDB reserved words (name, status, count, ...) then work, and no value is ever read as
  // part of the expression. An item that does not exist yet is created.
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
  // Deleting an item that does not exist is not an error: the result is the same
  await db.send(new DeleteCommand({ TableName: TABLE_NAME, Key: keyOf(id) }));
  return reply(204);
}

// The key of an item, e.g. { id: '42' }, typed as the table's partition key is.
function keyOf(value: unknown): Item {
  return { [PARTITION_KEY]: KEY_IS_NUMBER ? Number(value) : String(value) };
}

// The page is one answer: main.css goes into the empty <style></style> of index.html and
// application.js into its empty <script></script>, so the browser needs no other request
// (an endpoint has one function behind it, not a folder of static files). Hence main.css
// must not contain the text </style>, nor application.js </script>: the tag would end there.
// `content` fills the empty <main></main>. The replacements are functions so that a `$` in
// your css or js is copied as it is (a replacement string treats `$&` and friends as patterns).
async function page(content: string): Promise<ApiResult> {
  const [html, css, js] = await Promise.all(
    ['index.html', 'main.css', 'application.js'].map((file) => readFile(join(ROOT, file), 'utf8')),
  );
  const body = html
    .replace('<style></style>', () => `<style>${css}</style>`)
    .replace('<script></script>', () => `<script>${js}</script>`)
    .replace('<main></main>', () => `<main>${content}</main>`);
  return { statusCode: 200, headers: { ...headers, 'Content-Type': 'text/html; charset=utf-8' }, body };
}

// Turns text into HTML that shows the text, instead of HTML that runs it.
function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

// API Gateway turns this object into the HTTP response: a status code, headers and a body
// that must be a string (hence JSON.stringify).
function reply(statusCode: number, data?: unknown): ApiResult {
  return { statusCode, headers, body: data === undefined ? '' : JSON.stringify(data) };
}

// The body arrives as text; an item is a JSON object. Anything else gives null (a 400).
function readItem(event: ApiEvent): Item | null {
  if (!event.body) return null;
  // API Gateway base64-encodes bodies it treats as binary
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    const item: unknown = JSON.parse(text);
    return item && typeof item === 'object' && !Array.isArray(item) ? (item as Item) : null;
  } catch {
    return null;
  }
}
