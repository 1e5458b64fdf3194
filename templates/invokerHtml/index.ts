// description: {{name}}: invokes another Lambda function and shows its answer in a web page
// methods: GET, POST, PUT, PATCH, DELETE
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LambdaClient, InvokeCommand } from '@aws-sdk/client-lambda';

const ROOT = process.env.LAMBDA_TASK_ROOT || dirname(fileURLToPath(import.meta.url));

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

const headers: Record<string, string> = {
  'Content-Type': 'application/json',
  // CORS: `bam deploy NAME --cors ORIGIN` makes API Gateway answer the browser's preflight (OPTIONS);
  // the function's own answers must allow the origin too (API Gateway adds nothing to them), e.g.:
  // 'Access-Control-Allow-Origin': 'https://example.com',
};

export const handler = async (event: ApiEvent): Promise<ApiResult> => {
  const path = (event.pathParameters && event.pathParameters.proxy) || '';
  const query = event.queryStringParameters || {};

  switch (event.httpMethod) {
    case 'GET': {
      // Anyone with the URL may pick ?function=NAME: set FUNCTION_NAME before you share it.
      const functionName = process.env.FUNCTION_NAME || query.function;
      if (!functionName) return page('<p>Name a function to invoke.</p>');
      const result = await invoke(functionName, apiEvent(path, query));
      if (result.failed) return reply(502, { invoked: functionName, answer: result.answer });
      return page(`<p><code>${escapeHtml(functionName)}</code> answered:</p>
    <pre>${escapeHtml(JSON.stringify(result.answer, null, 2))}</pre>`);
    }
    case 'POST':
      return reply(201, { received: readBody(event) });
    case 'PUT':
    case 'PATCH':
    case 'DELETE':
      return reply(204);
    default:
      return reply(405, { message: `${event.httpMethod} is not supported: use GET, POST, PUT, PATCH or DELETE` });
  }
};

function apiEvent(path: string, query: Record<string, string | undefined>): ApiEvent {
  return { httpMethod: 'GET', path: `/${path}`, pathParameters: path ? { proxy: path } : null, queryStringParameters: query, headers: {}, body: null, isBase64Encoded: false };
}

async function invoke(functionName: string, payload: ApiEvent): Promise<{ failed: boolean; answer: unknown }> {
  const output = await lambda.send(new InvokeCommand({
    FunctionName: functionName,
    InvocationType: 'RequestResponse',
    Payload: JSON.stringify(payload),
  }));
  const text = new TextDecoder().decode(output.Payload);
  return { failed: Boolean(output.FunctionError), answer: text ? JSON.parse(text) : null };
}

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

function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function reply(statusCode: number, data?: unknown): ApiResult {
  return { statusCode, headers, body: data === undefined ? '' : JSON.stringify(data) };
}

function readBody(event: ApiEvent): unknown {
  if (!event.body) return null;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
