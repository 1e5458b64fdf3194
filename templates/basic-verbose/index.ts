// description: {{name}}: answers GET, POST, PUT, PATCH and DELETE requests with JSON
// methods: GET, POST, PUT, PATCH, DELETE
//
// Welcome to {{name}}, a function made with bam.
// The line above is the function's description: bam sends it to AWS when you deploy, and
// `bam list` shows it. Change it to say what your function does.
//
// Try it on your machine:   bam dev {{name}}
// Put it on AWS:            bam deploy {{name}} --methods GET,POST,PUT,PATCH,DELETE
// Change it later:          bam redeploy {{name}}
// Read its logs:            bam logs {{name}}
//
// Packages you import at the top of this file are installed for you when you deploy
// (the AWS SDK v3 is already part of the Lambda runtime).

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
//   event.path                   '/users/42' (the part after the stage, /bam)
//   event.pathParameters.proxy   'users/42' (null on the root path /bam)
//   event.queryStringParameters  { name: 'Ada' } for ?name=Ada, null when there is no query
//   event.headers                the request headers
//   event.body                   the request body as a string (null for GET), base64 when
//                                event.isBase64Encoded is true
export const handler = async (event: ApiEvent): Promise<ApiResult> => {
  // pathParameters is null on the root path, so check it before reading .proxy
  const path = (event.pathParameters && event.pathParameters.proxy) || '';
  // queryStringParameters is null (not {}) when the URL has no ?query
  const query = event.queryStringParameters || {};

  // One function can answer every method of its endpoint. Only the methods you deploy
  // (bam deploy --methods, GET by default) ever reach it.
  switch (event.httpMethod) {
    case 'GET':
      // 200 OK: here is what you asked for
      return reply(200, { message: 'Hello from {{name}}', path, query });
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

// API Gateway turns this object into the HTTP response: a status code, headers and a body
// that must be a string (hence JSON.stringify). An error thrown by the handler becomes a
// 502 "Internal server error", and its details go to the function's logs.
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
