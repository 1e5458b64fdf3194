// description: {{name}}: invokes another Lambda function and shows its answer in a web page
// methods: GET, POST, PUT, PATCH, DELETE
const { readFile } = require('node:fs/promises');
const { join } = require('node:path');
const { LambdaClient, InvokeCommand } = require('@aws-sdk/client-lambda');

const ROOT = process.env.LAMBDA_TASK_ROOT || __dirname;

const lambda = new LambdaClient({});

const headers = {
  'Content-Type': 'application/json',
  // CORS: `bam deploy NAME --cors ORIGIN` makes API Gateway answer the browser's preflight (OPTIONS);
  // the function's own answers must allow the origin too (API Gateway adds nothing to them), e.g.:
  // 'Access-Control-Allow-Origin': 'https://example.com',
};

exports.handler = async (event) => {
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

function apiEvent(path, query) {
  return { httpMethod: 'GET', path: `/${path}`, pathParameters: path ? { proxy: path } : null, queryStringParameters: query, headers: {}, body: null, isBase64Encoded: false };
}

async function invoke(functionName, payload) {
  const output = await lambda.send(new InvokeCommand({
    FunctionName: functionName,
    InvocationType: 'RequestResponse',
    Payload: JSON.stringify(payload),
  }));
  const text = new TextDecoder().decode(output.Payload);
  return { failed: Boolean(output.FunctionError), answer: text ? JSON.parse(text) : null };
}

async function page(content) {
  const [html, css, js] = await Promise.all(
    ['index.html', 'main.css', 'application.js'].map((file) => readFile(join(ROOT, file), 'utf8')),
  );
  const body = html
    .replace('<style></style>', () => `<style>${css}</style>`)
    .replace('<script></script>', () => `<script>${js}</script>`)
    .replace('<main></main>', () => `<main>${content}</main>`);
  return { statusCode: 200, headers: { ...headers, 'Content-Type': 'text/html; charset=utf-8' }, body };
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function reply(statusCode, data) {
  return { statusCode, headers, body: data === undefined ? '' : JSON.stringify(data) };
}

function readBody(event) {
  if (!event.body) return null;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
