// description: {{name}}: serves a web page (index.html with main.css and application.js inlined)
// methods: GET, POST, PUT, PATCH, DELETE
const { readFile } = require('node:fs/promises');
const { join } = require('node:path');

const ROOT = process.env.LAMBDA_TASK_ROOT || __dirname;

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
    case 'GET':
      return page(`<p>Path: <code>/${escapeHtml(path)}</code></p>
    <p>Query: <code>${escapeHtml(JSON.stringify(query))}</code></p>`);
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
