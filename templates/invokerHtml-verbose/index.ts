// description: {{name}}: invokes another Lambda function and shows its answer in a web page
// methods: GET, POST, PUT, PATCH, DELETE
//
// Welcome to {{name}}, a function made with bam that calls another function and shows
// its answer in a web page.
// The line above is the function's description: bam sends it to AWS when you deploy, and
// `bam list` shows it. Change it to say what your function does.
//
// This folder is the whole function: index.ts (this file) answers the requests; index.html,
// main.css and application.js are the page. bam uploads the folder as it is.
//
// Try it on your machine:   bam dev {{name}}     (then open the address it prints)
// Put it on AWS:            bam deploy {{name}}
// Change it later:          bam redeploy {{name}}
//
// bam's default role (defaultBamRole) lets your functions invoke the other functions of your
// account. The AWS SDK v3 is part of the Lambda runtime: bam does not upload it.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LambdaClient, InvokeCommand } from '@aws-sdk/client-lambda';

// Lambda unpacks your folder into LAMBDA_TASK_ROOT; on your machine the files sit next to this one.
const ROOT = process.env.LAMBDA_TASK_ROOT || dirname(fileURLToPath(import.meta.url));

// Made once, outside the handler: Lambda keeps the function loaded between requests and the
// client (with its open connections) is reused. The region is the function's own.
const lambda = new LambdaClient({});

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

// Headers sent with every answer. Content-Type tells the browser what the body is.
const headers: Record<string, string> = {
  'Content-Type': 'application/json',
  // CORS: `bam deploy NAME --cors ORIGIN` makes API Gateway answer the browser's preflight (OPTIONS);
  // the function's own answers must allow the origin too (API Gateway adds nothing to them), e.g.:
  // 'Access-Control-Allow-Origin': 'https://example.com',
};

// Lambda calls `handler` once per request. Keep the name: bam deploys it as index.handler.
// `event` is the HTTP request, as API Gateway's "Lambda proxy integration" describes it:
//   event.httpMethod             'GET', 'POST', ...
//   event.pathParameters.proxy   'users/42' for /bam/users/42 (null on the root path /bam)
//   event.queryStringParameters  { name: 'Ada' } for ?name=Ada, null when there is no query
//   event.headers, event.body    the request headers and body (a string, or null)
export const handler = async (event: ApiEvent): Promise<ApiResult> => {
  // pathParameters is null on the root path, so check it before reading .proxy
  const path = (event.pathParameters && event.pathParameters.proxy) || '';
  // queryStringParameters is null (not {}) when the URL has no ?query
  const query = event.queryStringParameters || {};

  // Only the methods you deploy (bam deploy --methods, GET by default) ever reach the function.
  switch (event.httpMethod) {
    case 'GET': {
      // The function to call: the FUNCTION_NAME environment variable when it is set, else
      // ?function=NAME (the page's form sends it). Anyone with your URL can pick a name: set
      // FUNCTION_NAME (or write the name here) before you share the URL, so they cannot call
      // your other functions.
      const functionName = process.env.FUNCTION_NAME || query.function;
      if (!functionName) return page('<p>Name a function to invoke.</p>');
      const result = await invoke(functionName, apiEvent(path, query));
      // 502 Bad Gateway: the other function failed; its error is in the answer
      if (result.failed) return reply(502, { invoked: functionName, answer: result.answer });
      // 200 OK with the page. Anything taken from the request or from the other function is
      // escaped before it goes into the page, so it cannot run code in your visitors' browsers.
      return page(`<p><code>${escapeHtml(functionName)}</code> answered:</p>
    <pre>${escapeHtml(JSON.stringify(result.answer, null, 2))}</pre>`);
    }
    case 'POST':
      // 201 Created: something new exists now
      return reply(201, { received: readBody(event) });
    case 'PUT':
    case 'PATCH':
    case 'DELETE':
      // 204 No Content: done, and the answer has no body
      return reply(204);
    default:
      // 405 Method Not Allowed
      return reply(405, { message: `${event.httpMethod} is not supported: use GET, POST, PUT, PATCH or DELETE` });
  }
};

// The other function gets a GET as API Gateway would send it, so a bam function answers it.
function apiEvent(path: string, query: Record<string, string | undefined>): ApiEvent {
  return { httpMethod: 'GET', path: `/${path}`, pathParameters: path ? { proxy: path } : null, queryStringParameters: query, headers: {}, body: null, isBase64Encoded: false };
}

// Calls the other function and waits for its answer (RequestResponse). Use InvocationType
// 'Event' instead to start it without waiting; it then answers nothing.
// The payload is the other function's `event`. If it is an API function made with bam, it
// expects an API Gateway event (httpMethod, pathParameters, ...) and answers
// { statusCode, headers, body }, with body a string.
async function invoke(functionName: string, payload: ApiEvent): Promise<{ failed: boolean; answer: unknown }> {
  const output = await lambda.send(new InvokeCommand({
    FunctionName: functionName,
    InvocationType: 'RequestResponse',
    Payload: JSON.stringify(payload),
  }));
  // The answer comes back as bytes (a Uint8Array) holding JSON. When the other function threw,
  // FunctionError is set and the JSON is { errorType, errorMessage, ... }.
  const text = new TextDecoder().decode(output.Payload);
  return { failed: Boolean(output.FunctionError), answer: text ? JSON.parse(text) : null };
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
// that must be a string (hence JSON.stringify). An error thrown by the handler becomes a
// 502 "Internal server error", and its details go to the function's logs (bam logs {{name}}).
function reply(statusCode: number, data?: unknown): ApiResult {
  return { statusCode, headers, body: data === undefined ? '' : JSON.stringify(data) };
}

// The body arrives as text: parse it as JSON when it is JSON, keep the text otherwise.
function readBody(event: ApiEvent): unknown {
  if (!event.body) return null;
  // API Gateway base64-encodes bodies it treats as binary
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
