import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A small AWS on 127.0.0.1 that a bam child process reaches through AWS_ENDPOINT_URL: just
 * enough of Lambda and API Gateway (REST-JSON) and of STS and IAM (query protocol, XML answers)
 * for deploy, redeploy, delete and list. Paths, status codes and field names follow the SDK's
 * own (de)serializers (node_modules/@aws-sdk/client-lambda/dist-cjs: `GetFunction$` and so on).
 *
 * Requests are served one at a time, in the order they arrived, and numbered from 1. Around each
 * one the test may act (say, SIGKILL the child) at two boundaries: `onRequest` once the request
 * is fully received and before AWS acts on it, `onAnswered` once its answer is written and
 * flushed. A request received before its sender died is still acted on, as AWS would: only
 * its answer is lost.
 */

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

export interface HttpFakeFunction {
  name: string;
  arn: string;
  role: string;
  runtime: string;
  handler: string;
  description: string;
  memory: number;
  timeout: number;
  env: Record<string, string>;
  codeSha256: string;
  zip: Buffer;
  tags: Record<string, string>;
  lastModified: string;
  /** Resource-policy statements by statement id. */
  permissions: Record<string, { principal: string; action: string; sourceArn?: string; functionUrlAuthType?: string; invokedViaFunctionUrl?: boolean }>;
  /** Its function URL (CreateFunctionUrlConfig): one at most. */
  url?: { FunctionUrl: string; AuthType: string; Cors?: object; InvokeMode: string; CreationTime: string };
}

export interface HttpFakeApi {
  id: string;
  name: string;
  description: string;
  createdDate: Date;
  endpointTypes: string[];
  /** The OpenAPI document last imported or put. */
  document: ApiDocument;
  /** Bumped by every PutRestApi, so a stage can be told to serve an older definition. */
  revision: number;
  deployments: { id: string; stageName: string; revision: number }[];
  /** Stage name → the definition revision its latest deployment serves. */
  stages: Record<string, number>;
  tags: Record<string, string>;
}

export interface ApiDocument {
  info?: { title?: string; description?: string };
  paths?: Record<string, Record<string, { 'x-amazon-apigateway-integration'?: { uri?: string; type?: string } }>>;
  [key: string]: unknown;
}

/** One request as served: its number, operation, and what the answer was. */
export interface ServedRequest {
  k: number;
  name: string;
  method: string;
  path: string;
  status: number;
  /** The AWS error code of an error answer. */
  error?: string;
  /** False when the client was gone before its answer could be written. */
  answered: boolean;
}

/** What a hook may return: nothing, or (onRequest only) 'drop' for a request AWS never acts on nor answers. */
export type HookResult = void | 'drop' | Promise<void | 'drop'>;
export type BoundaryHook = (k: number, name: string) => HookResult;

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** An error the way AWS answers it; `name` is the code the SDK turns into the error's class name. */
class AwsFault extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Route {
  name: string;
  method: string;
  pattern: RegExp;
  act: (call: Call) => Answer;
}

interface Call {
  params: string[];
  query: URLSearchParams;
  body: Buffer;
}

const LAMBDA = '/2015-03-31/functions';
const FUNCTION = `${LAMBDA}/([^/]+)`;
const TAGS = '/2017-03-31/tags/([^/]+)';
const FUNCTION_URL = '/2021-10-31/functions/([^/]+)/url';

export class HttpFakeAws {
  readonly functions = new Map<string, HttpFakeFunction>();
  readonly apis = new Map<string, HttpFakeApi>();
  /** IAM roles by name (bam's default role exists unless a test removes it). */
  readonly roles = new Set<string>(['defaultBamRole']);
  readonly requests: ServedRequest[] = [];
  /** Requests no route knows: a test asserts there are none, so a gap in the fake is not mistaken for a bam bug. */
  readonly unmodelled: string[] = [];
  /** After request k is fully received, before AWS acts on it. Awaited: nothing else is served meanwhile. */
  onRequest: BoundaryHook | undefined;
  /** After answer k is written and flushed. Awaited too. */
  onAnswered: BoundaryHook | undefined;
  /**
   * Milliseconds every request travels before AWS sees it (a network's round trip, for
   * benchmarks). Requests in flight together travel together: only sequential ones add up.
   */
  latencyMs = 0;
  /** Updates answer LastUpdateStatus InProgress, as Lambda does; the next GetFunction finds them Successful. */
  updatesInProgress = false;
  private queue: Promise<void> = Promise.resolve();
  private count = 0;
  private readonly routes: Route[];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {
    this.routes = this.buildRoutes();
  }

  /** Starts a server on a free port of 127.0.0.1. */
  static async start(): Promise<HttpFakeAws> {
    const server = createServer();
    // A client killed mid-request leaves a broken socket: drop it, it is not the test's concern.
    server.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const fake = new HttpFakeAws(server, `http://127.0.0.1:${port}`);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => fake.receive(req, res));
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A clean AWS for the next trial: no functions or APIs, bam's default role, no hooks, numbering from 1. */
  reset(): void {
    this.functions.clear();
    this.apis.clear();
    this.roles.clear();
    this.roles.add('defaultBamRole');
    this.requests.length = 0;
    this.unmodelled.length = 0;
    this.onRequest = undefined;
    this.onAnswered = undefined;
    this.count = 0;
  }

  /**
   * Resolves once every request received so far has been served and none has arrived for
   * `quietMs` (a killed client's last bytes may still be on their way). Bounded: at most ~100 rounds.
   */
  async settled(quietMs = 50): Promise<void> {
    for (let round = 0; round < 100; round += 1) {
      const { queue, count } = this;
      await queue;
      await sleep(quietMs);
      if (this.queue === queue && this.count === count) return;
    }
  }

  /** The operations served so far, in order. */
  names(): string[] {
    return this.requests.map((request) => request.name);
  }

  /** Everything AWS holds, as a plain copy that later requests leave alone (zips as their size), for failure messages. */
  snapshot(): object {
    return structuredClone({
      functions: [...this.functions.values()].map(({ zip, ...fn }) => ({ ...fn, zipBytes: zip.length })),
      apis: [...this.apis.values()].map(({ document, ...api }) => ({ ...api, integrationUris: integrationUris(document) })),
      requests: this.requests.map((r) => `${r.k} ${r.name} ${r.status}${r.error ? ` ${r.error}` : ''}${r.answered ? '' : ' (answer lost)'}`),
      ...(this.unmodelled.length > 0 ? { unmodelled: this.unmodelled } : {}),
    });
  }

  private receive(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    // Only a whole request counts: one cut off by its sender's death never reached "AWS".
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const enqueue = (): void => {
        this.queue = this.queue.then(() => this.serve(req, res, body)).catch((err: unknown) => console.error('httpFakeAws:', err));
      };
      if (this.latencyMs > 0) setTimeout(enqueue, this.latencyMs);
      else enqueue();
    });
    req.on('error', () => undefined);
    res.on('error', () => undefined);
  }

  private async serve(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const { route, params } = this.route(method, url.pathname, body);
    const k = ++this.count;
    const name = route?.name ?? `${method} ${url.pathname}`;
    if ((await runHook(this.onRequest, k, name)) === 'drop') {
      this.requests.push({ k, name, method, path: url.pathname, status: 0, error: 'dropped', answered: false });
      res.destroy();
      return;
    }
    let answer: Answer;
    try {
      if (!route) throw this.unknown(method, url, body);
      answer = route.act({ params, query: url.searchParams, body });
    } catch (err) {
      answer = errorAnswer(err, route?.name);
    }
    const served: ServedRequest = { k, name, method, path: url.pathname, status: answer.status, answered: false };
    const code = answer.headers?.['x-amzn-errortype'];
    if (code) served.error = code;
    this.requests.push(served);
    served.answered = await write(res, answer);
    if (served.answered) await runHook(this.onAnswered, k, name);
  }

  private route(method: string, path: string, body: Buffer): { route?: Route; params: string[] } {
    if (method === 'POST' && path === '/') {
      const action = new URLSearchParams(body.toString('utf8')).get('Action') ?? '';
      const route = this.routes.find((r) => r.method === 'QUERY' && r.name === action);
      return route ? { route, params: [] } : { params: [] };
    }
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const match = route.pattern.exec(path);
      if (match) return { route, params: match.slice(1).map((p) => decodeURIComponent(p)) };
    }
    return { params: [] };
  }

  private unknown(method: string, url: URL, body: Buffer): AwsFault {
    const action = url.pathname === '/' ? ` Action=${new URLSearchParams(body.toString('utf8')).get('Action')}` : '';
    this.unmodelled.push(`${method} ${url.pathname}${url.search}${action}`);
    return new AwsFault('UnknownOperationException', 400, `The fake AWS does not model ${method} ${url.pathname}${action}`);
  }

  private buildRoutes(): Route[] {
    const route = (method: string, path: string, name: string, act: (call: Call) => Answer): Route => ({
      name,
      method,
      pattern: new RegExp(`^${path}$`),
      act,
    });
    return [
      // Lambda (REST-JSON)
      route('GET', `${LAMBDA}/?`, 'ListFunctions', (c) => this.listFunctions(c)),
      route('POST', `${LAMBDA}/?`, 'CreateFunction', (c) => this.createFunction(c)),
      route('GET', `${FUNCTION}/?`, 'GetFunction', (c) => this.getFunction(c)),
      route('GET', `${FUNCTION}/configuration/?`, 'GetFunctionConfiguration', (c) => json(200, configuration(this.fn(c.params[0])))),
      route('DELETE', `${FUNCTION}/?`, 'DeleteFunction', (c) => this.deleteFunction(c)),
      route('PUT', `${FUNCTION}/code/?`, 'UpdateFunctionCode', (c) => this.updateCode(c)),
      route('PUT', `${FUNCTION}/configuration/?`, 'UpdateFunctionConfiguration', (c) => this.updateConfiguration(c)),
      route('POST', `${FUNCTION}/policy/?`, 'AddPermission', (c) => this.addPermission(c)),
      route('DELETE', `${FUNCTION}/policy/([^/]+)/?`, 'RemovePermission', (c) => this.removePermission(c)),
      route('GET', `${FUNCTION}/policy/?`, 'GetPolicy', (c) => this.getPolicy(c)),
      route('POST', `${FUNCTION_URL}/?`, 'CreateFunctionUrlConfig', (c) => this.createUrl(c)),
      route('GET', `${FUNCTION_URL}/?`, 'GetFunctionUrlConfig', (c) => json(200, { ...this.urlOf(c), FunctionArn: this.fn(c.params[0]).arn, LastModifiedTime: lambdaDate() })),
      route('DELETE', `${FUNCTION_URL}/?`, 'DeleteFunctionUrlConfig', (c) => this.deleteUrl(c)),
      route('PUT', `${FUNCTION_URL}/?`, 'UpdateFunctionUrlConfig', (c) => this.updateUrl(c)),
      route('GET', `${TAGS}/?`, 'ListTags', (c) => json(200, { Tags: this.fn(c.params[0]).tags })),
      route('POST', `${TAGS}/?`, 'TagResource', (c) => this.tagFunction(c)),
      route('DELETE', `${TAGS}/?`, 'UntagResource', (c) => this.untagFunction(c)),
      // Where GetFunction says the code can be downloaded (a presigned S3 URL in AWS).
      route('GET', '/fake-code/([^/]+)\\.zip', 'DownloadCode', (c) => ({ status: 200, body: this.fn(c.params[0]).zip })),
      // API Gateway (REST-JSON)
      route('POST', '/restapis/?', 'ImportRestApi', (c) => this.importApi(c)),
      route('GET', '/restapis/?', 'GetRestApis', (c) => this.listApis(c)),
      route('GET', '/restapis/([^/]+)/?', 'GetRestApi', (c) => json(200, restApi(this.api(c.params[0])))),
      route('PUT', '/restapis/([^/]+)/?', 'PutRestApi', (c) => this.putApi(c)),
      route('PATCH', '/restapis/([^/]+)/?', 'UpdateRestApi', (c) => this.updateApi(c)),
      route('DELETE', '/restapis/([^/]+)/?', 'DeleteRestApi', (c) => this.deleteApi(c)),
      route('POST', '/restapis/([^/]+)/deployments/?', 'CreateDeployment', (c) => this.createDeployment(c)),
      // STS and IAM (query protocol): routed by their Action.
      route('QUERY', '', 'GetCallerIdentity', () =>
        xml('GetCallerIdentity', `<Arn>arn:aws:iam::${ACCOUNT}:user/bam-test</Arn><UserId>AIDAFAKE</UserId><Account>${ACCOUNT}</Account>`),
      ),
      route('QUERY', '', 'GetRole', (c) => xml('GetRole', roleXml(this.role(form(c).get('RoleName'))))),
      route('QUERY', '', 'CreateRole', (c) => this.createRole(c)),
      route('QUERY', '', 'AttachRolePolicy', (c) => (this.role(form(c).get('RoleName')), xml('AttachRolePolicy'))),
      route('QUERY', '', 'PutRolePolicy', (c) => (this.role(form(c).get('RoleName')), xml('PutRolePolicy'))),
    ];
  }

  // Lambda

  private fn(nameOrArn: string | undefined): HttpFakeFunction {
    const name = functionName(nameOrArn ?? '');
    const fn = this.functions.get(name);
    if (!fn) throw new AwsFault('ResourceNotFoundException', 404, `Function not found: ${functionArn(name)}`);
    return fn;
  }

  private createFunction(call: Call): Answer {
    const input = parseJson(call.body) as {
      FunctionName?: string;
      Role?: string;
      Runtime?: string;
      Handler?: string;
      Description?: string;
      MemorySize?: number;
      Timeout?: number;
      Environment?: { Variables?: Record<string, string> };
      Code?: { ZipFile?: string };
      Tags?: Record<string, string>;
    };
    const name = input.FunctionName ?? '';
    if (this.functions.has(name)) throw new AwsFault('ResourceConflictException', 409, `Function already exist: ${name}`);
    if (!input.Code?.ZipFile) throw invalidParameter('Code.ZipFile is required: the fake AWS models zip uploads only.');
    this.assumable(input.Role);
    const zip = Buffer.from(input.Code.ZipFile, 'base64');
    const fn: HttpFakeFunction = {
      name,
      arn: functionArn(name),
      role: input.Role ?? '',
      runtime: input.Runtime ?? '',
      handler: input.Handler ?? '',
      description: input.Description ?? '',
      // Lambda's defaults when CreateFunction leaves them out.
      memory: input.MemorySize ?? 128,
      timeout: input.Timeout ?? 3,
      env: input.Environment?.Variables ?? {},
      codeSha256: sha256(zip),
      zip,
      tags: input.Tags ?? {},
      lastModified: lambdaDate(),
      permissions: {},
    };
    this.functions.set(name, fn);
    return json(201, configuration(fn));
  }

  private getFunction(call: Call): Answer {
    const fn = this.fn(call.params[0]);
    return json(200, {
      Configuration: configuration(fn),
      Code: { RepositoryType: 'S3', Location: `${this.url}/fake-code/${encodeURIComponent(fn.name)}.zip` },
      Tags: fn.tags,
    });
  }

  private listFunctions(call: Call): Answer {
    const all = [...this.functions.values()].sort((a, b) => a.name.localeCompare(b.name));
    const start = Number(call.query.get('Marker') ?? 0);
    const size = Math.min(Number(call.query.get('MaxItems') ?? 50), 50);
    const page = all.slice(start, start + size);
    const next = start + size < all.length ? { NextMarker: String(start + size) } : {};
    return json(200, { Functions: page.map(configuration), ...next });
  }

  private deleteFunction(call: Call): Answer {
    const fn = this.fn(call.params[0]);
    this.functions.delete(fn.name);
    return { status: 204 };
  }

  private updateCode(call: Call): Answer {
    const fn = this.fn(call.params[0]);
    const input = parseJson(call.body) as { ZipFile?: string };
    if (!input.ZipFile) throw invalidParameter('ZipFile is required: the fake AWS models zip uploads only.');
    fn.zip = Buffer.from(input.ZipFile, 'base64');
    fn.codeSha256 = sha256(fn.zip);
    fn.lastModified = lambdaDate();
    return json(200, this.updating(configuration(fn)));
  }

  /** What an update answers: InProgress when the fake models Lambda's asynchronous updates. */
  private updating(answer: object): object {
    return this.updatesInProgress ? { ...answer, LastUpdateStatus: 'InProgress' } : answer;
  }

  private updateConfiguration(call: Call): Answer {
    const fn = this.fn(call.params[0]);
    const input = parseJson(call.body) as {
      Role?: string;
      Runtime?: string;
      Handler?: string;
      Description?: string;
      MemorySize?: number;
      Timeout?: number;
      Environment?: { Variables?: Record<string, string> };
    };
    if (input.Role !== undefined) {
      this.assumable(input.Role);
      fn.role = input.Role;
    }
    if (input.Runtime !== undefined) fn.runtime = input.Runtime;
    if (input.Handler !== undefined) fn.handler = input.Handler;
    if (input.Description !== undefined) fn.description = input.Description;
    if (input.MemorySize !== undefined) fn.memory = input.MemorySize;
    if (input.Timeout !== undefined) fn.timeout = input.Timeout;
    if (input.Environment !== undefined) fn.env = input.Environment.Variables ?? {};
    fn.lastModified = lambdaDate();
    return json(200, this.updating(configuration(fn)));
  }

  private addPermission(call: Call): Answer {
    const fn = this.fn(call.params[0]);
    const input = parseJson(call.body) as {
      StatementId?: string;
      Action?: string;
      Principal?: string;
      SourceArn?: string;
      FunctionUrlAuthType?: string;
      InvokedViaFunctionUrl?: boolean;
    };
    const sid = input.StatementId ?? '';
    if (fn.permissions[sid]) {
      throw new AwsFault(
        'ResourceConflictException',
        409,
        `The statement id (${sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
      );
    }
    fn.permissions[sid] = {
      principal: input.Principal ?? '',
      action: input.Action ?? '',
      ...(input.SourceArn ? { sourceArn: input.SourceArn } : {}),
      ...(input.FunctionUrlAuthType ? { functionUrlAuthType: input.FunctionUrlAuthType } : {}),
      ...(input.InvokedViaFunctionUrl !== undefined ? { invokedViaFunctionUrl: input.InvokedViaFunctionUrl } : {}),
    };
    return json(201, { Statement: JSON.stringify(statement(fn, sid)) });
  }

  /** A function has one URL at most: a second create is a conflict. */
  private createUrl(call: Call): Answer {
    const fn = this.fn(call.params[0]);
    if (fn.url) {
      throw new AwsFault('ResourceConflictException', 409, `Failed to create function url config for [functionArn = ${fn.arn}]. Error message:  FunctionUrlConfig exists for this Lambda function`);
    }
    const input = parseJson(call.body) as { AuthType?: string; Cors?: object; InvokeMode?: string };
    if (!input.AuthType) throw invalidParameter('AuthType is required.');
    fn.url = {
      FunctionUrl: `https://${randomId(32)}.lambda-url.${REGION}.on.aws/`,
      AuthType: input.AuthType,
      ...(input.Cors ? { Cors: input.Cors } : {}),
      InvokeMode: input.InvokeMode ?? 'BUFFERED',
      CreationTime: new Date().toISOString(),
    };
    return json(201, { ...fn.url, FunctionArn: fn.arn });
  }

  private updateUrl(call: Call): Answer {
    const url = this.urlOf(call);
    const input = parseJson(call.body) as { Cors?: object; InvokeMode?: string };
    if (input.Cors !== undefined) {
      if (Object.keys(input.Cors).length === 0) delete url.Cors;
      else url.Cors = input.Cors;
    }
    if (input.InvokeMode) url.InvokeMode = input.InvokeMode;
    return json(200, { ...url, FunctionArn: this.fn(call.params[0]).arn, LastModifiedTime: lambdaDate() });
  }

  private deleteUrl(call: Call): Answer {
    this.urlOf(call);
    delete this.fn(call.params[0]).url;
    return { status: 204 };
  }

  /** The function's URL, or Lambda's 404 (no function, or no URL). */
  private urlOf(call: Call): NonNullable<HttpFakeFunction['url']> {
    const { url } = this.fn(call.params[0]);
    if (!url) throw new AwsFault('ResourceNotFoundException', 404, 'The resource you requested does not exist.');
    return url;
  }

  private removePermission(call: Call): Answer {
    const fn = this.fn(call.params[0]);
    const sid = call.params[1] ?? '';
    if (!fn.permissions[sid]) throw new AwsFault('ResourceNotFoundException', 404, 'The resource you requested does not exist.');
    delete fn.permissions[sid];
    return { status: 204 };
  }

  private getPolicy(call: Call): Answer {
    const fn = this.fn(call.params[0]);
    const sids = Object.keys(fn.permissions);
    if (sids.length === 0) throw new AwsFault('ResourceNotFoundException', 404, 'The resource you requested does not exist.');
    const policy = { Version: '2012-10-17', Id: 'default', Statement: sids.map((sid) => statement(fn, sid)) };
    return json(200, { Policy: JSON.stringify(policy), RevisionId: fn.lastModified });
  }

  private tagFunction(call: Call): Answer {
    const fn = this.fn(call.params[0]);
    Object.assign(fn.tags, (parseJson(call.body) as { Tags?: Record<string, string> }).Tags ?? {});
    return { status: 204 };
  }

  private untagFunction(call: Call): Answer {
    const fn = this.fn(call.params[0]);
    for (const key of call.query.getAll('tagKeys')) delete fn.tags[key];
    return { status: 204 };
  }

  private assumable(roleArn: string | undefined): void {
    const role = roleArn?.slice(roleArn.lastIndexOf('/') + 1) ?? '';
    if (!this.roles.has(role)) throw invalidParameter('The role defined for the function cannot be assumed by Lambda.');
  }

  // API Gateway

  private api(id: string | undefined): HttpFakeApi {
    const api = this.apis.get(id ?? '');
    if (!api) throw new AwsFault('NotFoundException', 404, `Invalid API identifier specified ${ACCOUNT}:${id ?? ''}`);
    return api;
  }

  private importApi(call: Call): Answer {
    if (call.query.get('mode') !== 'import') throw this.unknown('POST', new URL(`/restapis?${call.query.toString()}`, this.url), call.body);
    const document = parseDocument(call.body);
    const id = apiId();
    const types = call.query.get('endpointConfigurationTypes');
    const api: HttpFakeApi = {
      id,
      name: document.info?.title ?? '',
      description: document.info?.description ?? '',
      createdDate: new Date(),
      endpointTypes: types ? types.split(',') : ['EDGE'],
      document,
      revision: 1,
      deployments: [],
      stages: {},
      tags: {},
    };
    this.apis.set(id, api);
    return json(201, restApi(api));
  }

  private listApis(call: Call): Answer {
    const all = [...this.apis.values()];
    const start = Number(call.query.get('position') ?? 0);
    const limit = Math.min(Number(call.query.get('limit') ?? 25), 500);
    const page = all.slice(start, start + limit);
    const next = start + limit < all.length ? { position: String(start + limit) } : {};
    return json(200, { item: page.map(restApi), ...next });
  }

  private putApi(call: Call): Answer {
    const api = this.api(call.params[0]);
    const mode = call.query.get('mode') ?? 'merge';
    if (mode !== 'overwrite') throw this.unknown('PUT', new URL(`/restapis/${api.id}?mode=${mode}`, this.url), call.body);
    const document = parseDocument(call.body);
    api.document = document;
    // An overwrite takes the title and description from the document, like an import.
    if (document.info?.title !== undefined) api.name = document.info.title;
    if (document.info?.description !== undefined) api.description = document.info.description;
    api.revision += 1;
    return json(200, restApi(api));
  }

  private updateApi(call: Call): Answer {
    const api = this.api(call.params[0]);
    const input = parseJson(call.body) as { patchOperations?: { op?: string; path?: string; value?: string }[] };
    for (const patch of input.patchOperations ?? []) {
      if (patch.op === 'replace' && patch.path === '/description') api.description = patch.value ?? '';
      else if (patch.op === 'replace' && patch.path === '/name') api.name = patch.value ?? '';
      else throw new AwsFault('BadRequestException', 400, `Invalid patch operation specified. Must be 'add'|'remove'|'replace' on a supported path (the fake: /name, /description): ${JSON.stringify(patch)}`);
    }
    return json(200, restApi(api));
  }

  private deleteApi(call: Call): Answer {
    const api = this.api(call.params[0]);
    this.apis.delete(api.id);
    return { status: 202 };
  }

  private createDeployment(call: Call): Answer {
    const api = this.api(call.params[0]);
    const input = parseJson(call.body) as { stageName?: string };
    if (integrationUris(api.document).length === 0) throw new AwsFault('BadRequestException', 400, "The REST API doesn't contain any methods");
    const id = randomId(6);
    api.deployments.push({ id, stageName: input.stageName ?? '', revision: api.revision });
    if (input.stageName) api.stages[input.stageName] = api.revision;
    return json(201, { id, createdDate: Math.floor(Date.now() / 1000) });
  }

  // IAM

  private role(name: string | null): string {
    if (!name || !this.roles.has(name)) throw new AwsFault('NoSuchEntity', 404, `The role with name ${name ?? ''} cannot be found.`);
    return name;
  }

  private createRole(call: Call): Answer {
    const name = form(call).get('RoleName') ?? '';
    if (this.roles.has(name)) throw new AwsFault('EntityAlreadyExists', 409, `Role with name ${name} already exists.`);
    this.roles.add(name);
    return xml('CreateRole', roleXml(name));
  }
}

/** A hook that throws must not stall the server: the request is served as if it had returned. */
async function runHook(hook: BoundaryHook | undefined, k: number, name: string): Promise<void | 'drop'> {
  try {
    return await hook?.(k, name);
  } catch (err) {
    console.error(`httpFakeAws: the hook at request ${k} (${name}) failed:`, err);
    return undefined;
  }
}

/** The integration URIs of every operation in the document (what API Gateway would invoke). */
export function integrationUris(document: ApiDocument): string[] {
  return Object.values(document.paths ?? {}).flatMap((operations) =>
    Object.values(operations).flatMap((operation) => {
      const uri = operation['x-amazon-apigateway-integration']?.uri;
      return uri ? [uri] : [];
    }),
  );
}

export function functionArn(name: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
}

/** A function named by name or ARN (Lambda takes both). */
function functionName(nameOrArn: string): string {
  const match = /^arn:aws:lambda:[^:]+:\d+:function:([^:]+)/.exec(nameOrArn);
  return match?.[1] ?? nameOrArn;
}

function configuration(fn: HttpFakeFunction): object {
  return {
    FunctionName: fn.name,
    FunctionArn: fn.arn,
    Runtime: fn.runtime,
    Role: fn.role,
    Handler: fn.handler,
    CodeSize: fn.zip.length,
    Description: fn.description,
    Timeout: fn.timeout,
    MemorySize: fn.memory,
    LastModified: fn.lastModified,
    CodeSha256: fn.codeSha256,
    Version: '$LATEST',
    ...(Object.keys(fn.env).length > 0 ? { Environment: { Variables: fn.env } } : {}),
    RevisionId: createHash('md5').update(`${fn.codeSha256}${fn.lastModified}`).digest('hex'),
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: ['x86_64'],
  };
}

function statement(fn: HttpFakeFunction, sid: string): object {
  const permission = fn.permissions[sid]!;
  return {
    Sid: sid,
    Effect: 'Allow',
    Principal: permission.principal === '*' ? '*' : { Service: permission.principal },
    Action: permission.action,
    Resource: fn.arn,
    ...(permission.sourceArn ? { Condition: { ArnLike: { 'AWS:SourceArn': permission.sourceArn } } } : {}),
    ...(permission.functionUrlAuthType ? { Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': permission.functionUrlAuthType } } } : {}),
    ...(permission.invokedViaFunctionUrl !== undefined ? { Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': String(permission.invokedViaFunctionUrl) } } } : {}),
  };
}

function restApi(api: HttpFakeApi): object {
  return {
    id: api.id,
    name: api.name,
    description: api.description,
    // REST-JSON timestamps are epoch seconds.
    createdDate: Math.floor(api.createdDate.getTime() / 1000),
    apiKeySource: 'HEADER',
    endpointConfiguration: { types: api.endpointTypes },
    disableExecuteApiEndpoint: false,
    ...(Object.keys(api.tags).length > 0 ? { tags: api.tags } : {}),
  };
}

function roleXml(name: string): string {
  const trust = encodeURIComponent(
    JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
  );
  return (
    `<Role><Path>/</Path><RoleName>${name}</RoleName><RoleId>AROAFAKE${name.length}</RoleId>` +
    `<Arn>arn:aws:iam::${ACCOUNT}:role/${name}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate>` +
    `<AssumeRolePolicyDocument>${trust}</AssumeRolePolicyDocument></Role>`
  );
}

function json(status: number, value: object): Answer {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

/** A query-protocol answer: <ActionResponse><ActionResult>…</ActionResult></ActionResponse>. */
function xml(action: string, result = ''): Answer {
  const body =
    `<${action}Response xmlns="https://fake.amazonaws.com/doc/">` +
    `${result ? `<${action}Result>${result}</${action}Result>` : ''}` +
    `<ResponseMetadata><RequestId>${randomId(8)}</RequestId></ResponseMetadata></${action}Response>`;
  return { status: 200, headers: { 'content-type': 'text/xml' }, body };
}

function errorAnswer(err: unknown, operation: string | undefined): Answer {
  const fault = err instanceof AwsFault ? err : new AwsFault('ServiceException', 500, `The fake AWS failed: ${String(err)}`);
  if (operation && /^(GetCallerIdentity|GetRole|CreateRole|AttachRolePolicy|PutRolePolicy)$/.test(operation)) {
    const body =
      `<ErrorResponse><Error><Type>Sender</Type><Code>${fault.code}</Code><Message>${fault.message}</Message></Error>` +
      `<RequestId>${randomId(8)}</RequestId></ErrorResponse>`;
    return { status: fault.status, headers: { 'content-type': 'text/xml', 'x-amzn-errortype': fault.code }, body };
  }
  // Lambda's errors carry Type and Message (some say message); API Gateway's say message.
  const body = JSON.stringify({ Type: 'User', message: fault.message, Message: fault.message });
  return { status: fault.status, headers: { 'content-type': 'application/json', 'x-amzn-errortype': fault.code }, body };
}

function invalidParameter(message: string): AwsFault {
  return new AwsFault('InvalidParameterValueException', 400, message);
}

/** Writes the answer; true once it is flushed, false when the client was already gone. */
async function write(res: ServerResponse, answer: Answer): Promise<boolean> {
  if (res.destroyed || res.socket?.destroyed) return false;
  return new Promise<boolean>((resolve) => {
    res.once('finish', () => resolve(true));
    res.once('close', () => resolve(res.writableFinished));
    res.writeHead(answer.status, { 'x-amzn-requestid': randomId(8), ...answer.headers });
    res.end(answer.body ?? '');
  });
}

function form(call: Call): URLSearchParams {
  return new URLSearchParams(call.body.toString('utf8'));
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new AwsFault('SerializationException', 400, 'The request body is not JSON.');
  }
}

function parseDocument(body: Buffer): ApiDocument {
  try {
    return JSON.parse(body.toString('utf8')) as ApiDocument;
  } catch {
    throw new AwsFault('BadRequestException', 400, 'Invalid OpenAPI input: the fake AWS reads JSON documents only.');
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('base64');
}

/** Lambda's LastModified: 2026-01-01T00:00:00.000+0000. */
function lambdaDate(): string {
  return new Date().toISOString().replace('Z', '+0000');
}

const ID_LETTERS = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomId(length: number): string {
  return [...randomBytes(length)].map((byte) => ID_LETTERS[byte % ID_LETTERS.length]).join('');
}

/** REST API ids are ten lower-case letters and digits. */
function apiId(): string {
  return randomId(10);
}
