// description: {{name}}: answers GET, POST, PUT, PATCH and DELETE requests with JSON
// methods: GET, POST, PUT, PATCH, DELETE

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
    case 'GET':
      return reply(200, { message: 'Hello from {{name}}', path, query });
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
