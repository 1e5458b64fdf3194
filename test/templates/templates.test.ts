import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as acorn from 'acorn';
import { transformSync } from 'esbuild';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import type * as LibDynamoDb from '@aws-sdk/lib-dynamodb';
import type * as ClientLambda from '@aws-sdk/client-lambda';
import { create, isHtmlTemplate, type CreateOptions, type TemplateName } from '../../src/commands/create.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { lambdaContext, proxyEvent, type ProxyEventOptions } from '../helpers/apiGatewayEvent.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface ProxyResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}
type Handler = (event: unknown, context: unknown) => Promise<ProxyResponse>;

const FLAGS: Record<TemplateName, CreateOptions> = {
  basic: {},
  invoker: { invoker: true },
  html: { html: true },
  invokerHtml: { invoker: true, html: true },
  db: { db: true },
  dbHtml: { db: true, html: true },
};

const VARIANTS = (Object.keys(FLAGS) as TemplateName[]).flatMap((template) =>
  [false, true].map((verbose) => ({
    template,
    verbose,
    // Three characters at least: a db template's table is named after its function.
    name: `${template}${verbose ? '-verbose' : '-fn'}`,
    options: { ...FLAGS[template], verbose },
  })),
);
type Variant = (typeof VARIANTS)[number];

// Variables the templates read; each test starts without them and with an endpoint nobody
// listens on, so an SDK call the mock did not catch fails at once instead of reaching AWS.
const ENV: Record<string, string | undefined> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDTEST',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_MAX_ATTEMPTS: '1',
  AWS_PROFILE: undefined,
  LAMBDA_TASK_ROOT: undefined,
  TABLE_NAME: undefined,
  PARTITION_KEY: undefined,
  PARTITION_KEY_TYPE: undefined,
  FUNCTION_NAME: undefined,
};
let savedEnv: Record<string, string | undefined> = {};

function setEnv(values: Record<string, string | undefined>): void {
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}

// The generated files live in a folder inside the project (gitignored), like a user's project
// folder: Node resolves their require('@aws-sdk/...') to this project's node_modules, and the
// test takes the SDK classes through the same require, so the mocks patch the very module
// instances the handlers use. Its package.json says CommonJS, as a user's usually does (bam's
// own package.json says "type": "module").
let project: string;
let world: TestWorld;
const entries = new Map<string, string>();

beforeAll(async () => {
  savedEnv = Object.fromEntries(Object.keys(ENV).map((key) => [key, process.env[key]]));
  project = await mkdtemp(join(root, 'test', '.tmp-templates-'));
  await writeFile(join(project, 'package.json'), '{ "private": true, "type": "commonjs" }\n');
  world = await makeWorld();
  for (const variant of VARIANTS) {
    const written = await create(variant.name, variant.options, { ...world.ctx, cwd: project });
    entries.set(variant.name, written.find((file) => file.endsWith('.js') && !file.endsWith('application.js'))!);
  }
});

afterAll(async () => {
  setEnv(savedEnv);
  await world.cleanup();
  await rm(project, { recursive: true, force: true });
});

beforeEach(() => {
  setEnv(ENV);
});

/** The generated handler, freshly loaded (module-scope constants read the env at load time). */
function loadHandler(variant: Variant, env: Record<string, string> = {}): Handler {
  const file = entries.get(variant.name)!;
  const require = createRequire(file);
  delete require.cache[require.resolve(file)];
  setEnv(env);
  return (require(file) as { handler: Handler }).handler;
}

/** A module as the generated handler's require() sees it. */
function requireBeside<T>(variant: Variant, id: string): T {
  return createRequire(entries.get(variant.name)!)(id) as T;
}

function call(handler: Handler, variant: Variant, options: ProxyEventOptions): Promise<ProxyResponse> {
  return handler(proxyEvent(options), lambdaContext(variant.name));
}

function json(response: ProxyResponse): unknown {
  expect(response.headers['Content-Type']).toBe('application/json');
  return JSON.parse(response.body);
}

const of = (...templates: TemplateName[]) => VARIANTS.filter((v) => templates.includes(v.template));

describe.each(VARIANTS)('template $name', (variant) => {
  it('writes NAME.js, or NAME/ with index.js, index.html, main.css and application.js for html', async () => {
    if (isHtmlTemplate(variant.template)) {
      expect((await readdir(join(project, variant.name))).sort()).toEqual(['application.js', 'index.html', 'index.js', 'main.css']);
    } else {
      expect(entries.get(variant.name)).toBe(join(project, `${variant.name}.js`));
    }
  });

  it('parses with acorn as a CommonJS script, opens with the description and has the name filled in', async () => {
    const folder = isHtmlTemplate(variant.template) ? join(project, variant.name) : project;
    const files = isHtmlTemplate(variant.template) ? await readdir(folder) : [`${variant.name}.js`];
    for (const file of files) {
      const text = await readFile(join(folder, file), 'utf8');
      expect(text, file).not.toContain('{{');
      if (file.endsWith('.js')) acorn.parse(text, { ecmaVersion: 'latest', sourceType: 'script' });
    }
    const entry = await readFile(entries.get(variant.name)!, 'utf8');
    expect(entry.split('\n')[0]).toMatch(new RegExp(`^// description: ${variant.name}: \\S`));
    // Every template handles these five (the switch below), and says so for bam dev and bam deploy.
    expect(entry.split('\n')[1]).toBe('// methods: GET, POST, PUT, PATCH, DELETE');
    expect(entry).toMatch(/^exports\.handler = async \(event\) =>/m);
    expect(entry).toContain("'Access-Control-Allow-Origin'");
  });

  it('answers a method it does not handle with 405', async () => {
    const handler = loadHandler(variant);
    const response = await call(handler, variant, { method: 'OPTIONS', path: '/x' });
    expect(response.statusCode).toBe(405);
    expect(json(response)).toEqual({ message: 'OPTIONS is not supported: use GET, POST, PUT, PATCH or DELETE' });
  });
});

describe.each(of('basic', 'html', 'invoker', 'invokerHtml'))('template $name without a database', (variant) => {
  it('answers POST with 201 and the JSON body it received (base64 too)', async () => {
    const handler = loadHandler(variant);
    const plain = await call(handler, variant, { method: 'POST', path: '/orders', body: { item: 'tea', qty: 2 } });
    expect(plain.statusCode).toBe(201);
    expect(json(plain)).toEqual({ received: { item: 'tea', qty: 2 } });
    const encoded = await call(handler, variant, { method: 'POST', body: 'plain text', base64: true });
    expect(encoded.statusCode).toBe(201);
    expect(json(encoded)).toEqual({ received: 'plain text' });
  });

  it.each(['PUT', 'PATCH', 'DELETE'])('answers %s with 204 and an empty body', async (method) => {
    const handler = loadHandler(variant);
    const response = await call(handler, variant, { method, path: '/orders/7', body: { qty: 3 } });
    expect(response).toMatchObject({ statusCode: 204, body: '' });
  });
});

describe.each(of('basic'))('template $name', (variant) => {
  it('answers GET with 200 and echoes the path and query parameters', async () => {
    const handler = loadHandler(variant);
    const response = await call(handler, variant, { method: 'GET', path: '/users/42', query: { name: 'Ada', tag: ['a', 'b'] } });
    expect(response.statusCode).toBe(200);
    expect(json(response)).toEqual({ message: `Hello from ${variant.name}`, path: 'users/42', query: { name: 'Ada', tag: 'b' } });
    const bare = await call(handler, variant, { method: 'GET' });
    expect(json(bare)).toEqual({ message: `Hello from ${variant.name}`, path: '', query: {} });
  });
});

async function assetsOf(variant: Variant) {
  const folder = join(project, variant.name);
  return {
    css: await readFile(join(folder, 'main.css'), 'utf8'),
    js: await readFile(join(folder, 'application.js'), 'utf8'),
  };
}

async function expectPage(response: ProxyResponse, variant: Variant): Promise<string> {
  expect(response.statusCode).toBe(200);
  expect(response.headers['Content-Type']).toBe('text/html; charset=utf-8');
  const { css, js } = await assetsOf(variant);
  const page = response.body;
  expect(css.trim().length).toBeGreaterThan(0);
  expect(js.trim().length).toBeGreaterThan(0);
  // Inlined, a closing tag inside them would end the page's <style> or <script> early.
  expect(css).not.toMatch(/<\/style/i);
  expect(js).not.toMatch(/<\/script/i);
  expect(page).toContain(`<style>${css}</style>`);
  expect(page).toContain(`<script>${js}</script>`);
  expect(page).not.toMatch(/(href|src)=["']?[./]*(main\.css|application\.js)/);
  expect(page).toContain(`<title>${variant.name}</title>`);
  return page;
}

describe.each(of('html'))('template $name', (variant) => {
  it('answers GET with the page, main.css and application.js inlined, and the path and query shown', async () => {
    const handler = loadHandler(variant);
    const response = await call(handler, variant, { method: 'GET', path: '/users/42', query: { name: 'Ada' } });
    const page = await expectPage(response, variant);
    expect(page).toContain('<code>/users/42</code>');
    expect(page).toContain('<code>{&#34;name&#34;:&#34;Ada&#34;}</code>');
  });

  it('escapes what the URL says, so a link cannot inject a script', async () => {
    const handler = loadHandler(variant);
    const response = await call(handler, variant, { method: 'GET', path: '/a', query: { q: '<script>alert(1)</script>' } });
    expect(response.body).not.toContain('<script>alert(1)');
    expect(response.body).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
  });

  it('reads its files from LAMBDA_TASK_ROOT when Lambda sets it', async () => {
    const taskRoot = await mkdtemp(join(project, 'task-root-'));
    await cp(join(project, variant.name), taskRoot, { recursive: true });
    await writeFile(join(taskRoot, 'main.css'), 'h1 { color: rebeccapurple; }');
    const handler = loadHandler(variant, { LAMBDA_TASK_ROOT: taskRoot });
    const response = await call(handler, variant, { method: 'GET' });
    expect(response.body).toContain('<style>h1 { color: rebeccapurple; }</style>');
  });
});

describe.each(of('invoker', 'invokerHtml'))('template $name', (variant) => {
  let lambda: typeof ClientLambda;
  let lambdaMock: AwsClientStub<ClientLambda.LambdaClient>;

  beforeEach(() => {
    lambda = requireBeside<typeof ClientLambda>(variant, '@aws-sdk/client-lambda');
    lambdaMock = mockClient(lambda.LambdaClient);
  });
  afterEach(() => {
    lambdaMock.restore();
  });

  const answer = (value: unknown, functionError?: string) => ({
    StatusCode: 200,
    Payload: new TextEncoder().encode(JSON.stringify(value)) as never,
    ...(functionError ? { FunctionError: functionError } : {}),
  });

  it('GET invokes the function named by ?function= with the path and query, and shows its decoded answer', async () => {
    lambdaMock.on(lambda.InvokeCommand).resolves(answer({ total: 1234 }));
    const handler = loadHandler(variant);
    const response = await call(handler, variant, { method: 'GET', path: '/reports/march', query: { function: 'salesReport' } });

    const calls = lambdaMock.commandCalls(lambda.InvokeCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input).toMatchObject({ FunctionName: 'salesReport', InvocationType: 'RequestResponse' });
    // A GET event as API Gateway sends one, so a function made with bam answers it (not 405).
    expect(JSON.parse(input.Payload as unknown as string)).toEqual({
      httpMethod: 'GET', path: '/reports/march', pathParameters: { proxy: 'reports/march' }, queryStringParameters: { function: 'salesReport' }, headers: {}, body: null, isBase64Encoded: false,
    });

    if (variant.template === 'invoker') {
      expect(response.statusCode).toBe(200);
      expect(json(response)).toEqual({ invoked: 'salesReport', path: 'reports/march', query: { function: 'salesReport' }, answer: { total: 1234 } });
    } else {
      const page = await expectPage(response, variant);
      expect(page).toContain('<code>salesReport</code> answered:');
      expect(page).toContain('&#34;total&#34;: 1234');
    }
  });

  it('FUNCTION_NAME wins over the query parameter', async () => {
    lambdaMock.on(lambda.InvokeCommand).resolves(answer('ok'));
    const handler = loadHandler(variant);
    process.env.FUNCTION_NAME = 'fixedTarget';
    await call(handler, variant, { method: 'GET', query: { function: 'somethingElse' } });
    expect(lambdaMock.commandCalls(lambda.InvokeCommand).map((c) => c.args[0].input.FunctionName)).toEqual(['fixedTarget']);
  });

  it('answers 502 with the error when the invoked function failed', async () => {
    lambdaMock.on(lambda.InvokeCommand).resolves(answer({ errorType: 'Error', errorMessage: 'boom' }, 'Unhandled'));
    const handler = loadHandler(variant);
    const response = await call(handler, variant, { method: 'GET', query: { function: 'broken' } });
    expect(response.statusCode).toBe(502);
    expect(json(response)).toMatchObject({ invoked: 'broken', answer: { errorMessage: 'boom' } });
  });

  it('without a function name invokes nothing and says how to name one', async () => {
    const handler = loadHandler(variant);
    const response = await call(handler, variant, { method: 'GET' });
    expect(lambdaMock.calls()).toHaveLength(0);
    if (variant.template === 'invoker') {
      expect(response.statusCode).toBe(400);
      expect(json(response)).toEqual({ message: 'Name the function to invoke: ?function=NAME (or set FUNCTION_NAME)' });
    } else {
      expect(await expectPage(response, variant)).toContain('<p>Name a function to invoke.</p>');
    }
  });
});

describe.each(of('db', 'dbHtml'))('template $name', (variant) => {
  let lib: typeof LibDynamoDb;
  let dbMock: AwsClientStub<LibDynamoDb.DynamoDBDocumentClient>;

  beforeEach(() => {
    lib = requireBeside<typeof LibDynamoDb>(variant, '@aws-sdk/lib-dynamodb');
    dbMock = mockClient(lib.DynamoDBDocumentClient);
  });
  afterEach(() => {
    dbMock.restore();
  });

  const inputOf = <T extends object>(command: new (input: T) => unknown) =>
    dbMock.commandCalls(command as never).map((c) => c.args[0].input as T);

  it('GET without an id scans the table named after the function and lists the items', async () => {
    dbMock.on(lib.ScanCommand).resolves({ Items: [{ id: '1', note: 'tea' }, { id: '2', note: '<b>milk</b>' }] });
    const handler = loadHandler(variant);
    const response = await call(handler, variant, { method: 'GET', query: { page: '1' } });
    expect(inputOf(lib.ScanCommand)).toEqual([{ TableName: variant.name, Limit: 100 }]);
    if (variant.template === 'db') {
      expect(response.statusCode).toBe(200);
      expect(json(response)).toEqual({ items: [{ id: '1', note: 'tea' }, { id: '2', note: '<b>milk</b>' }] });
    } else {
      const page = await expectPage(response, variant);
      expect(page).toContain('<button data-id="1">Delete</button>');
      expect(page).toContain('&#60;b&#62;milk&#60;/b&#62;');
      expect(page).not.toContain('<b>milk</b>');
    }
  });

  it('GET /ID gets the item (200), or answers 404 when there is none', async () => {
    dbMock.on(lib.GetCommand, { Key: { id: '42' } }).resolves({ Item: { id: '42', note: 'tea' } });
    dbMock.on(lib.GetCommand, { Key: { id: '43' } }).resolves({});
    const handler = loadHandler(variant);
    const found = await call(handler, variant, { method: 'GET', path: '/42' });
    expect(found.statusCode).toBe(200);
    expect(json(found)).toEqual({ id: '42', note: 'tea' });
    const missing = await call(handler, variant, { method: 'GET', path: '/43' });
    expect(missing.statusCode).toBe(404);
    expect(inputOf(lib.GetCommand)).toEqual([
      { TableName: variant.name, Key: { id: '42' } },
      { TableName: variant.name, Key: { id: '43' } },
    ]);
  });

  it('POST puts the item and answers 201 with it; without its key, 400 and no write', async () => {
    const handler = loadHandler(variant);
    const created = await call(handler, variant, { method: 'POST', body: { id: 7, note: 'tea' } });
    expect(created.statusCode).toBe(201);
    expect(json(created)).toEqual({ id: '7', note: 'tea' });
    const keyless = await call(handler, variant, { method: 'POST', body: { note: 'tea' } });
    expect(keyless.statusCode).toBe(400);
    const broken = await call(handler, variant, { method: 'POST', body: '{not json' });
    expect(broken.statusCode).toBe(400);
    expect(inputOf(lib.PutCommand)).toEqual([{ TableName: variant.name, Item: { id: '7', note: 'tea' } }]);
  });

  it('PUT /ID replaces the item with the id from the path, 204', async () => {
    const handler = loadHandler(variant);
    const response = await call(handler, variant, { method: 'PUT', path: '/42', body: { id: 'ignored', note: 'coffee' } });
    expect(response).toMatchObject({ statusCode: 204, body: '' });
    expect(inputOf(lib.PutCommand)).toEqual([{ TableName: variant.name, Item: { id: '42', note: 'coffee' } }]);
  });

  it('PATCH /ID updates only the fields sent, with placeholders for names and values, 204', async () => {
    const handler = loadHandler(variant);
    const response = await call(handler, variant, { method: 'PATCH', path: '/42', body: { status: 'done', count: 3 } });
    expect(response).toMatchObject({ statusCode: 204, body: '' });
    expect(inputOf(lib.UpdateCommand)).toEqual([{
      TableName: variant.name,
      Key: { id: '42' },
      UpdateExpression: 'SET #f0 = :v0, #f1 = :v1',
      ExpressionAttributeNames: { '#f0': 'status', '#f1': 'count' },
      ExpressionAttributeValues: { ':v0': 'done', ':v1': 3 },
    }]);
  });

  it('DELETE /ID deletes the item, 204', async () => {
    const handler = loadHandler(variant);
    const response = await call(handler, variant, { method: 'DELETE', path: '/42' });
    expect(response).toMatchObject({ statusCode: 204, body: '' });
    expect(inputOf(lib.DeleteCommand)).toEqual([{ TableName: variant.name, Key: { id: '42' } }]);
  });

  it.each(['PUT', 'PATCH', 'DELETE'])('%s without an id answers 400 and writes nothing', async (method) => {
    const handler = loadHandler(variant);
    const response = await call(handler, variant, { method, body: { note: 'x' } });
    expect(response.statusCode).toBe(400);
    expect(dbMock.calls()).toHaveLength(0);
  });

  it('TABLE_NAME, PARTITION_KEY and PARTITION_KEY_TYPE choose the table and its key', async () => {
    const handler = loadHandler(variant, { TABLE_NAME: 'orders', PARTITION_KEY: 'orderId', PARTITION_KEY_TYPE: 'number' });
    await call(handler, variant, { method: 'DELETE', path: '/42' });
    expect(inputOf(lib.DeleteCommand)).toEqual([{ TableName: 'orders', Key: { orderId: 42 } }]);
  });

  it('says how to fix a missing table or a missing permission', async () => {
    const error = (name: string) => Object.assign(new Error(name), { name });
    dbMock.on(lib.GetCommand).rejectsOnce(error('ResourceNotFoundException')).rejectsOnce(error('AccessDeniedException'));
    const handler = loadHandler(variant);
    const noTable = await call(handler, variant, { method: 'GET', path: '/1' });
    expect(noTable.statusCode).toBe(500);
    expect(json(noTable)).toEqual({ message: `Table ${variant.name} does not exist: create it with bam dbtable ${variant.name}` });
    const denied = await call(handler, variant, { method: 'GET', path: '/1' });
    expect(json(denied)).toEqual({ message: `No permission to use table ${variant.name}: bam redeploy ${variant.name} --permitDb` });
  });
});

describe('the module instances the tests mock', () => {
  it('are the ones the handlers use: an unmocked client fails instead of answering', async () => {
    const variant = VARIANTS.find((v) => v.template === 'db' && !v.verbose)!;
    const handler = loadHandler(variant);
    // No mock installed: the call goes to the dead endpoint set in ENV and fails.
    await expect(call(handler, variant, { method: 'GET', path: '/1' })).rejects.toThrow();
  });
});

// The verbose variants must teach, not differ: the same code once comments are set aside.
describe.each(Object.keys(FLAGS) as TemplateName[])('templates/%s-verbose', (template) => {
  const folder = (suffix: string) => join(root, 'templates', `${template}${suffix}`);

  it('has the same files and the same code as the plain one, plus teaching comments', async () => {
    const plain = (await readdir(folder(''))).sort();
    expect((await readdir(folder('-verbose'))).sort()).toEqual(plain);
    for (const file of plain) {
      const [a, b] = await Promise.all([readFile(join(folder(''), file), 'utf8'), readFile(join(folder('-verbose'), file), 'utf8')]);
      expect(codeOf(file, b), file).toEqual(codeOf(file, a));
      if (file === 'index.js' || file === 'index.ts') expect(commentLength(file, b)).toBeGreaterThan(commentLength(file, a) + 1000);
    }
  });
});

function codeOf(file: string, text: string): string[] {
  // TypeScript: compare the code esbuild makes of it (types stripped, comments dropped).
  if (file.endsWith('.ts')) return codeOf('index.js', transformSync(text, { loader: 'ts', legalComments: 'none' }).code);
  if (file.endsWith('.js')) {
    return [...acorn.tokenizer(text, { ecmaVersion: 'latest' })].map((token) => `${token.type.label}:${text.slice(token.start, token.end)}`);
  }
  const withoutComments = file.endsWith('.html') ? text.replace(/<!--[\s\S]*?-->/g, '') : text.replace(/\/\*[\s\S]*?\*\//g, '');
  return withoutComments.split('\n').map((line) => line.trim()).filter(Boolean);
}

function commentLength(file: string, text: string): number {
  // A TypeScript template's comments are all whole // lines (acorn cannot parse TypeScript).
  if (file.endsWith('.ts')) return text.split('\n').filter((line) => line.trim().startsWith('//')).join('').length;
  let length = 0;
  acorn.parse(text, { ecmaVersion: 'latest', onComment: (_block, comment) => { length += comment.length; } });
  return length;
}
