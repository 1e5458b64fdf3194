import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  CreateFunctionUrlConfigCommand,
  DeleteFunctionUrlConfigCommand,
  GetFunctionUrlConfigCommand,
  InvokeCommand,
  type InvokeCommandInput,
  UpdateFunctionUrlConfigCommand,
  type CreateFunctionUrlConfigCommandInput,
  DeleteFunctionCommand,
  GetFunctionCommand,
  ListFunctionsCommand,
  RemovePermissionCommand,
  type RemovePermissionCommandInput,
  LambdaClient,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type AddPermissionCommandInput,
  type CreateFunctionCommandInput,
  type DeleteFunctionCommandInput,
  type GetFunctionCommandInput,
  type UpdateFunctionCodeCommandInput,
  type UpdateFunctionConfigurationCommandInput,
} from '@aws-sdk/client-lambda';
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  DeleteRestApiCommand,
  GetRestApiCommand,
  UpdateRestApiCommand,
  GetRestApisCommand,
  ImportRestApiCommand,
  PutRestApiCommand,
  type CreateDeploymentCommandInput,
  type GetRestApisCommandInput,
  type ImportRestApiCommandInput,
  type PutRestApiCommandInput,
} from '@aws-sdk/client-api-gateway';
import { AttachRolePolicyCommand, CreateRoleCommand, GetRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { NoAnswerError } from '../../src/aws/bamBam.js';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

/** What the SDK surfaces when the connection drops after the request went out (AWS may have acted). */
export function connectionReset(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

/** An SDK-shaped service error: bam classifies errors by name, as the SDK's classes set it. */
export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

export const ROLE_NOT_ASSUMABLE = () => awsError('InvalidParameterValueException', 'The role defined for the function cannot be assumed by Lambda.');

export interface OpenApiOperation {
  parameters?: unknown[];
  security?: unknown[];
  'x-amazon-apigateway-integration'?: Record<string, unknown>;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; description: string; version: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
}

export interface FakeFunction {
  name: string;
  role: string;
  description: string;
  runtime: string;
  handler: string;
  memory: number;
  timeout: number;
  env: Record<string, string>;
  codeSha256: string;
  tags: Record<string, string>;
  state: 'Pending' | 'Active' | 'Failed';
  lastUpdateStatus: 'Successful' | 'InProgress';
  /** Bumped by every change, and once more when an update is done (as Lambda's RevisionId). */
  revision?: number;
  permissions: Record<string, { Principal?: string; Action?: string; SourceArn?: string; FunctionUrlAuthType?: string; InvokedViaFunctionUrl?: boolean }>;
  /** Its function URL configuration (CreateFunctionUrlConfig), as GetFunctionUrlConfig answers it. */
  url?: { FunctionUrl: string; AuthType: string; Cors?: object; InvokeMode: string };
  /** The deployment package, as GetFunction's code location would serve it. */
  zip: Uint8Array;
}

export interface FakeApi {
  id: string;
  document: OpenApiDocument;
  endpointType: string;
  deployments: string[];
  /** When ImportRestApi made it (GetRestApis lists it); strictly increasing, so oldest-first is well defined. */
  createdDate?: Date;
}

export interface Call {
  name: string;
  input: object;
  /** Sequential round trips before this call could start, plus one. */
  level: number;
  started: number;
  ended?: number;
}

interface Fault {
  error: () => Error;
  times: number;
  when?: (input: object) => boolean;
  /** AWS carries the call out, then the error is all the caller sees (a lost answer). */
  acted?: boolean;
}

/** Where each call goes, for the endpoint a timed-out request names (as bam's HTTP handler would). */
const SERVICES: Record<string, { host: string; timeoutMs: number }> = {
  lambda: { host: `https://lambda.${REGION}.amazonaws.com`, timeoutMs: 60_000 },
  apiGateway: { host: `https://apigateway.${REGION}.amazonaws.com`, timeoutMs: 30_000 },
  iam: { host: 'https://iam.amazonaws.com', timeoutMs: 30_000 },
  sts: { host: `https://sts.${REGION}.amazonaws.com`, timeoutMs: 30_000 },
};
const API_GATEWAY_CALLS = /^(ImportRestApi|PutRestApi|CreateDeployment|GetRestApis?|DeleteRestApi)$/;
const IAM_CALLS = /^(GetRole|CreateRole|AttachRolePolicy|PutRolePolicy)$/;

function serviceOf(name: string): { host: string; timeoutMs: number } {
  if (API_GATEWAY_CALLS.test(name)) return SERVICES.apiGateway!;
  if (IAM_CALLS.test(name)) return SERVICES.iam!;
  if (name === 'GetCallerIdentity') return SERVICES.sts!;
  return SERVICES.lambda!;
}

export interface FakeAwsState {
  functions: [string, FakeFunction][];
  apis: [string, FakeApi][];
  roles: [string, { policies: string[]; inline: Record<string, string> }][];
  apiCount: number;
}

/** The Lambda, API Gateway, IAM and STS bam talks to: mocked clients over a small model of AWS. */
export class FakeAws {
  readonly functions = new Map<string, FakeFunction>();
  readonly apis = new Map<string, FakeApi>();
  readonly roles = new Map<string, { policies: string[]; inline: Record<string, string> }>();
  readonly calls: Call[] = [];
  /** CreateFunction answers State Active at once instead of Pending. */
  createsActive = false;
  /** New functions never become Active (State Failed), as with a broken layer or subnet. */
  failsActivation = false;
  /** Milliseconds every call takes (round-trip counting needs a few). */
  latencyMs = 2;
  /** Where GetFunction says each function's code can be downloaded (a test's local server). */
  codeBaseUrl: string | undefined;
  /** Runtimes AWS refuses to create or update functions on (the function keeps running). */
  readonly blockedRuntimes = new Set<string>();
  /** Per-call latency overrides, e.g. a slow ImportRestApi. */
  readonly latencyOf = new Map<string, number>();
  /** At most this many APIs on a page of GetRestApis, whatever limit is asked (AWS: 25 by default, 500 at most); small ones exercise paging. */
  restApisPageSize: number | undefined;
  /** What each deployed function does when invoked: its result, or the error it throws, and the lines it logs. */
  readonly handlers = new Map<string, (event: unknown) => { result?: unknown; error?: { errorType: string; errorMessage: string }; logs?: string[] }>();
  private invocations = 0;
  private readonly faults = new Map<string, Fault[]>();
  private readonly holds = new Map<string, { started: () => void; released: Promise<void> }[]>();
  private clock = 0;
  private apiCount = 0;
  private readonly mocks = {
    lambda: mockClient(LambdaClient),
    apiGateway: mockClient(APIGatewayClient),
    iam: mockClient(IAMClient),
    sts: mockClient(STSClient),
  };

  constructor() {
    const { lambda, apiGateway, iam, sts } = this.mocks;
    lambda.on(GetFunctionCommand).callsFake((input) => this.call('GetFunction', input, () => this.getFunction(input)));
    lambda.on(CreateFunctionCommand).callsFake((input) => this.call('CreateFunction', input, () => this.createFunction(input)));
    lambda.on(AddPermissionCommand).callsFake((input) => this.call('AddPermission', input, () => this.addPermission(input)));
    lambda.on(RemovePermissionCommand).callsFake((input) => this.call('RemovePermission', input, () => this.removePermission(input)));
    lambda.on(UpdateFunctionCodeCommand).callsFake((input) => this.call('UpdateFunctionCode', input, () => this.updateCode(input)));
    lambda
      .on(UpdateFunctionConfigurationCommand)
      .callsFake((input) => this.call('UpdateFunctionConfiguration', input, () => this.updateConfiguration(input)));
    lambda.on(CreateFunctionUrlConfigCommand).callsFake((input) => this.call('CreateFunctionUrlConfig', input, () => this.createUrl(input)));
    lambda.on(GetFunctionUrlConfigCommand).callsFake((input) =>
      this.call('GetFunctionUrlConfig', input, () => {
        const { url } = this.fn(input.FunctionName);
        if (!url) throw awsError('ResourceNotFoundException', 'The resource you requested does not exist.');
        return { ...url, FunctionArn: functionArn(input.FunctionName) };
      }),
    );
    lambda.on(UpdateFunctionUrlConfigCommand).callsFake((input) =>
      this.call('UpdateFunctionUrlConfig', input, () => {
        const { url } = this.fn(input.FunctionName);
        if (!url) throw awsError('ResourceNotFoundException', 'The resource you requested does not exist.');
        // An empty Cors object clears CORS; InvokeMode left out keeps the current one.
        if (input.Cors !== undefined) {
          if (Object.keys(input.Cors).length === 0) delete url.Cors;
          else url.Cors = input.Cors;
        }
        if (input.InvokeMode) url.InvokeMode = input.InvokeMode;
        return { ...url, FunctionArn: functionArn(input.FunctionName) };
      }),
    );
    lambda.on(DeleteFunctionUrlConfigCommand).callsFake((input) =>
      this.call('DeleteFunctionUrlConfig', input, () => {
        const fn = this.fn(input.FunctionName);
        if (!fn.url) throw awsError('ResourceNotFoundException', 'The resource you requested does not exist.');
        delete fn.url;
        return {};
      }),
    );
    lambda.on(InvokeCommand).callsFake((input) => this.call('Invoke', input, () => this.invoke(input)));
    lambda.on(DeleteFunctionCommand).callsFake((input) => this.call('DeleteFunction', input, () => this.deleteFunction(input)));
    lambda
      .on(ListFunctionsCommand)
      .callsFake((input) => this.call('ListFunctions', input, () => ({ Functions: [...this.functions.values()].map((fn) => this.configuration(fn)) })));
    apiGateway.on(ImportRestApiCommand).callsFake((input) => this.call('ImportRestApi', input, () => this.importApi(input)));
    apiGateway.on(PutRestApiCommand).callsFake((input) => this.call('PutRestApi', input, () => this.putApi(input)));
    apiGateway.on(CreateDeploymentCommand).callsFake((input) => this.call('CreateDeployment', input, () => this.deploy(input)));
    apiGateway.on(GetRestApiCommand).callsFake((input) => this.call('GetRestApi', input, () => this.restApi(this.api(input.restApiId))));
    apiGateway.on(UpdateRestApiCommand).callsFake((input) =>
      this.call('UpdateRestApi', input, () => {
        const api = this.api(input.restApiId);
        for (const op of input.patchOperations ?? []) {
          if (op.op === 'replace' && op.path === '/description') api.document.info.description = op.value ?? '';
        }
        return this.restApi(api);
      }),
    );
    apiGateway.on(GetRestApisCommand).callsFake((input) => this.call('GetRestApis', input, () => this.restApis(input)));
    apiGateway.on(DeleteRestApiCommand).callsFake((input) =>
      this.call('DeleteRestApi', input, () => {
        this.api(input.restApiId);
        this.apis.delete(input.restApiId);
        return {};
      }),
    );
    iam.on(GetRoleCommand).callsFake((input) =>
      this.call('GetRole', input, () => {
        if (!this.roles.has(input.RoleName)) throw awsError('NoSuchEntityException', `The role with name ${input.RoleName!} cannot be found.`);
        return { Role: { RoleName: input.RoleName!, Arn: `arn:aws:iam::${ACCOUNT}:role/${input.RoleName!}` } };
      }),
    );
    iam.on(CreateRoleCommand).callsFake((input) =>
      this.call('CreateRole', input, () => {
        if (this.roles.has(input.RoleName)) throw awsError('EntityAlreadyExistsException');
        this.roles.set(input.RoleName, { policies: [], inline: {} });
        return { Role: { RoleName: input.RoleName! } };
      }),
    );
    iam.on(AttachRolePolicyCommand).callsFake((input) =>
      this.call('AttachRolePolicy', input, () => {
        const role = this.role(input.RoleName);
        if (!role.policies.includes(input.PolicyArn)) role.policies.push(input.PolicyArn);
        return {};
      }),
    );
    iam.on(PutRolePolicyCommand).callsFake((input) =>
      this.call('PutRolePolicy', input, () => {
        this.role(input.RoleName).inline[input.PolicyName!] = input.PolicyDocument!;
        return {};
      }),
    );
    sts.on(GetCallerIdentityCommand).callsFake((input) => this.call('GetCallerIdentity', input, () => ({ Account: ACCOUNT })));
  }

  restore(): void {
    for (const mock of Object.values(this.mocks)) mock.restore();
  }

  /** The next `times` calls of `name` (matching `when`) fail with this error. */
  fail(name: string, error: () => Error, times = 1, when?: (input: object) => boolean): void {
    this.faults.set(name, [...(this.faults.get(name) ?? []), { error, times, when }]);
  }

  /** The next `times` calls of `name` (matching `when`) are carried out, then their answer is lost: the connection resets. */
  loseAnswer(name: string, times = 1, when?: (input: object) => boolean): void {
    this.faults.set(name, [...(this.faults.get(name) ?? []), { error: connectionReset, times, when, acted: true }]);
  }

  /**
   * The next `times` calls of `name` (matching `when`) get no answer within bam's request
   * timeout, as bam's HTTP handler reports it; `acted`: AWS carried the call out all the same.
   */
  hang(name: string, acted: boolean, times = 1, when?: (input: object) => boolean): void {
    const { host, timeoutMs } = serviceOf(name);
    this.faults.set(name, [...(this.faults.get(name) ?? []), { error: () => new NoAnswerError('answer', timeoutMs, host), times, when, acted }]);
  }

  /**
   * The next call of `name` is held before AWS acts on it: `started` resolves once it arrived,
   * and it goes on when the test calls `release` (to act while a call is under way).
   */
  hold(name: string): { started: Promise<void>; release: () => void } {
    let started!: () => void;
    let release!: () => void;
    const arrived = new Promise<void>((resolve) => (started = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.holds.set(name, [...(this.holds.get(name) ?? []), { started, released }]);
    return { started: arrived, release };
  }

  /** Drops every fault not yet used (the network is well again). */
  clearFaults(): void {
    this.faults.clear();
  }

  /** A copy of everything this AWS holds (functions, APIs, roles), for restoreState. */
  saveState(): FakeAwsState {
    return structuredClone({ functions: [...this.functions], apis: [...this.apis], roles: [...this.roles], apiCount: this.apiCount });
  }

  /** Puts back what saveState copied: a scene set once serves many cases. */
  restoreState(state: FakeAwsState): void {
    const copy = structuredClone(state);
    for (const [map, entries] of [
      [this.functions, copy.functions],
      [this.apis, copy.apis],
      [this.roles, copy.roles],
    ] as [Map<string, unknown>, [string, unknown][]][]) {
      map.clear();
      for (const [key, value] of entries) map.set(key, value);
    }
    this.apiCount = copy.apiCount;
  }

  /** Forgets the calls so far (after setting a scene). */
  resetCalls(): void {
    this.calls.length = 0;
  }

  names(): string[] {
    return this.calls.map((call) => call.name);
  }

  /** The inputs bam sent with this command, typed by the command class: inputs(CreateFunctionCommand). */
  inputs<I extends object>(command: new (input: I) => object): I[] {
    const name = command.name.replace(/Command$/, '');
    return this.calls.filter((call) => call.name === name).map((call) => call.input as I);
  }

  /** Calls that change something in AWS. */
  writes(): string[] {
    return this.names().filter((name) => !/^(Get|List)/.test(name));
  }

  /** Sequential round trips on the critical path: the longest chain of call-after-completed-call. */
  roundTrips(): number {
    return Math.max(0, ...this.calls.map((call) => call.level));
  }

  /** The call of `a` started after a call of `b` had finished. */
  startedAfter(a: string, b: string): boolean {
    const first = this.calls.find((call) => call.name === a);
    const ends = this.calls.filter((call) => call.name === b && call.ended !== undefined).map((call) => call.ended!);
    return first !== undefined && ends.some((end) => end <= first.started);
  }

  /** Two calls were in flight at the same time. */
  overlapped(a: string, b: string): boolean {
    const x = this.calls.find((call) => call.name === a);
    const y = this.calls.find((call) => call.name === b);
    if (!x || !y) return false;
    return x.started < (y.ended ?? Infinity) && y.started < (x.ended ?? Infinity);
  }

  private async call<T>(name: string, input: object, answer: () => T): Promise<T> {
    const started = ++this.clock;
    const level = 1 + Math.max(0, ...this.calls.filter((c) => c.ended !== undefined && c.ended < started).map((c) => c.level));
    const call: Call = { name, input, level, started };
    this.calls.push(call);
    const hold = this.holds.get(name)?.shift();
    if (hold) {
      hold.started();
      await hold.released;
    }
    await sleep(this.latencyOf.get(name) ?? this.latencyMs);
    try {
      const faults = this.faults.get(name) ?? [];
      const fault = faults.find((f) => f.times > 0 && (!f.when || f.when(input)));
      if (fault) {
        fault.times -= 1;
        if (fault.acted) {
          try {
            answer();
          } catch {
            // AWS refused it; that answer is lost with the connection too.
          }
        }
        throw fault.error();
      }
      return answer();
    } finally {
      call.ended = ++this.clock;
    }
  }

  private fn(name: string): FakeFunction {
    const fn = this.functions.get(name);
    if (!fn) throw awsError('ResourceNotFoundException', `Function not found: arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`);
    return fn;
  }

  private api(id: string): FakeApi {
    const api = this.apis.get(id);
    if (!api) throw awsError('NotFoundException', 'Invalid API identifier specified');
    return api;
  }

  private role(name: string) {
    const role = this.roles.get(name);
    if (!role) throw awsError('NoSuchEntityException', `The role with name ${name} cannot be found.`);
    return role;
  }

  private configuration(fn: FakeFunction) {
    return {
      FunctionName: fn.name,
      FunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${fn.name}`,
      Role: fn.role,
      Runtime: fn.runtime,
      Handler: fn.handler,
      MemorySize: fn.memory,
      Timeout: fn.timeout,
      ...(Object.keys(fn.env).length > 0 ? { Environment: { Variables: { ...fn.env } } } : {}),
      Description: fn.description,
      CodeSha256: fn.codeSha256,
      State: fn.state,
      ...(fn.state === 'Failed' ? { StateReason: 'The function could not be initialised.' } : {}),
      LastUpdateStatus: fn.lastUpdateStatus,
      RevisionId: `revision-${fn.revision ?? 0}`,
    };
  }

  private getFunction(input: GetFunctionCommandInput) {
    const fn = this.fn(input.FunctionName!);
    // By the time anyone looks, the function is ready (AWS takes a second or so).
    if (fn.state === 'Pending') fn.state = 'Active';
    if (fn.lastUpdateStatus === 'InProgress') fn.revision = (fn.revision ?? 0) + 1;
    fn.lastUpdateStatus = 'Successful';
    const code = this.codeBaseUrl ? { Code: { RepositoryType: 'S3', Location: `${this.codeBaseUrl}/${fn.name}.zip` } } : {};
    return { Configuration: this.configuration(fn), Tags: fn.tags, ...code };
  }

  private assumable(roleArn: string): void {
    const name = roleArn.slice(roleArn.lastIndexOf('/') + 1);
    if (!this.roles.has(name)) throw ROLE_NOT_ASSUMABLE();
  }

  private createFunction(input: CreateFunctionCommandInput) {
    if (this.functions.has(input.FunctionName!)) throw awsError('ResourceConflictException', `Function already exist: ${input.FunctionName!}`);
    this.refuseBlockedRuntime(input.Runtime!);
    this.assumable(input.Role!);
    const fn: FakeFunction = {
      name: input.FunctionName!,
      role: input.Role!,
      description: input.Description ?? '',
      runtime: input.Runtime!,
      handler: input.Handler!,
      // Lambda's defaults when CreateFunction leaves them out.
      memory: input.MemorySize ?? 128,
      timeout: input.Timeout ?? 3,
      env: input.Environment?.Variables ?? {},
      codeSha256: sha256(input.Code!.ZipFile!),
      zip: input.Code!.ZipFile!,
      tags: input.Tags ?? {},
      state: this.failsActivation ? 'Failed' : this.createsActive ? 'Active' : 'Pending',
      lastUpdateStatus: 'Successful',
      permissions: {},
    };
    this.functions.set(fn.name, fn);
    return this.configuration(fn);
  }

  private addPermission(input: AddPermissionCommandInput) {
    const fn = this.fn(input.FunctionName!);
    if (fn.permissions[input.StatementId!]) {
      throw awsError('ResourceConflictException', `The statement id (${input.StatementId!}) provided already exists. Please provide a new statement id, or remove the existing statement.`);
    }
    fn.permissions[input.StatementId!] = {
      Principal: input.Principal,
      Action: input.Action,
      SourceArn: input.SourceArn,
      ...(input.FunctionUrlAuthType ? { FunctionUrlAuthType: input.FunctionUrlAuthType } : {}),
      ...(input.InvokedViaFunctionUrl !== undefined ? { InvokedViaFunctionUrl: input.InvokedViaFunctionUrl } : {}),
    };
    return { Statement: '{}' };
  }

  /** A function has one URL at most; Lambda makes up its id. */
  private createUrl(input: CreateFunctionUrlConfigCommandInput) {
    const fn = this.fn(input.FunctionName!);
    if (fn.url) {
      throw awsError('ResourceConflictException', `Failed to create function url config for [functionArn = ${functionArn(fn.name)}]. Error message:  FunctionUrlConfig exists for this Lambda function`);
    }
    const id = createHash('sha256').update(fn.name).digest('hex').slice(0, 32);
    fn.url = {
      FunctionUrl: `https://${id}.lambda-url.${REGION}.on.aws/`,
      AuthType: input.AuthType!,
      ...(input.Cors ? { Cors: input.Cors } : {}),
      InvokeMode: input.InvokeMode ?? 'BUFFERED',
    };
    return { ...fn.url, FunctionArn: functionArn(fn.name), CreationTime: '2026-01-01T00:00:00.000Z' };
  }

  private removePermission(input: RemovePermissionCommandInput) {
    const fn = this.fn(input.FunctionName!);
    if (!fn.permissions[input.StatementId!]) throw awsError('ResourceNotFoundException', 'The resource you requested does not exist.');
    delete fn.permissions[input.StatementId!];
    return {};
  }

  /** Lambda's words when a runtime is past its block date. */
  private refuseBlockedRuntime(runtime: string): void {
    if (this.blockedRuntimes.has(runtime)) {
      throw awsError('InvalidParameterValueException', `The runtime parameter of ${runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.`);
    }
  }

  private updateCode(input: UpdateFunctionCodeCommandInput) {
    const fn = this.fn(input.FunctionName!);
    this.refuseBlockedRuntime(fn.runtime);
    if (input.RevisionId !== undefined && input.RevisionId !== `revision-${fn.revision ?? 0}`) {
      throw awsError('PreconditionFailedException', 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id');
    }
    fn.revision = (fn.revision ?? 0) + 1;
    fn.codeSha256 = sha256(input.ZipFile!);
    fn.zip = input.ZipFile!;
    fn.lastUpdateStatus = 'InProgress';
    return this.configuration(fn);
  }

  private updateConfiguration(input: UpdateFunctionConfigurationCommandInput) {
    const fn = this.fn(input.FunctionName!);
    if (fn.lastUpdateStatus === 'InProgress') {
      throw awsError('ResourceConflictException', `The operation cannot be performed at this time. An update is in progress for resource: ${fn.name}`);
    }
    // Switching to a runtime AWS still supports is how a function on a blocked one is upgraded.
    this.refuseBlockedRuntime(input.Runtime ?? fn.runtime);
    if (input.Role) {
      this.assumable(input.Role);
      fn.role = input.Role!;
    }
    if (input.Description !== undefined) fn.description = input.Description;
    if (input.Runtime !== undefined) fn.runtime = input.Runtime;
    if (input.MemorySize !== undefined) fn.memory = input.MemorySize;
    if (input.Timeout !== undefined) fn.timeout = input.Timeout;
    if (input.Environment !== undefined) fn.env = input.Environment.Variables ?? {};
    fn.revision = (fn.revision ?? 0) + 1;
    fn.lastUpdateStatus = 'InProgress';
    return this.configuration(fn);
  }

  /** Runs the function's handler: Event answers 202 at once; RequestResponse the payload, with Tail its log. */
  private invoke(input: InvokeCommandInput) {
    const fn = this.fn(input.FunctionName!);
    const requestId = `req-${++this.invocations}`;
    const event = input.Payload ? (JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array)) as unknown) : {};
    const ran = this.handlers.get(fn.name)?.(event) ?? { result: null };
    if (input.InvocationType === 'Event') return { StatusCode: 202, $metadata: { requestId } };
    const log = [`START RequestId: ${requestId} Version: $LATEST`, ...(ran.logs ?? []), `END RequestId: ${requestId}`, `REPORT RequestId: ${requestId}\tDuration: 1.00 ms`].join('\n');
    return {
      StatusCode: 200,
      Payload: new TextEncoder().encode(JSON.stringify(ran.error ?? ran.result)),
      ...(ran.error ? { FunctionError: 'Unhandled' } : {}),
      ...(input.LogType === 'Tail' ? { LogResult: Buffer.from(`${log}\n`).toString('base64') } : {}),
      ExecutedVersion: '$LATEST',
      $metadata: { requestId },
    };
  }

  private deleteFunction(input: DeleteFunctionCommandInput) {
    this.fn(input.FunctionName!);
    this.functions.delete(input.FunctionName!);
    return {};
  }

  private importApi(input: ImportRestApiCommandInput) {
    const id = `api${++this.apiCount}`;
    const api: FakeApi = {
      id,
      document: parseDocument(input.body as Uint8Array),
      endpointType: input.parameters?.endpointConfigurationTypes ?? 'EDGE',
      deployments: [],
      createdDate: new Date(Date.UTC(2026, 0, 1) + this.apiCount * 1000),
    };
    this.apis.set(id, api);
    return this.restApi(api);
  }

  /** An API as GetRestApi and GetRestApis describe it: title and description come from the imported document. */
  private restApi(api: FakeApi) {
    return {
      id: api.id,
      name: api.document.info.title,
      description: api.document.info.description,
      ...(api.createdDate ? { createdDate: api.createdDate } : {}),
      endpointConfiguration: { types: [api.endpointType] },
    };
  }

  /** One page of the region's APIs, oldest first; `position` is where the next page starts. */
  private restApis(input: GetRestApisCommandInput) {
    const limit = Math.min(input.limit ?? this.restApisPageSize ?? 25, this.restApisPageSize ?? 500);
    const all = [...this.apis.values()];
    const start = input.position ? Number(input.position) : 0;
    if (!Number.isInteger(start) || start < 0) throw awsError('BadRequestException', 'Invalid position');
    const items = all.slice(start, start + limit).map((api) => this.restApi(api));
    const next = start + limit < all.length ? String(start + limit) : undefined;
    return { items, ...(next ? { position: next } : {}) };
  }

  private putApi(input: PutRestApiCommandInput) {
    const api = this.api(input.restApiId!);
    if (input.mode !== 'overwrite') throw new Error(`the fake only models PutRestApi mode overwrite, not ${input.mode}`);
    api.document = parseDocument(input.body as Uint8Array);
    return { id: api.id };
  }

  private deploy(input: CreateDeploymentCommandInput) {
    this.api(input.restApiId!).deployments.push(input.stageName!);
    return { id: `deployment${this.clock}` };
  }
}

/** bam sends the document as the bytes of its JSON. */
function parseDocument(body: Uint8Array): OpenApiDocument {
  return JSON.parse(Buffer.from(body).toString('utf8')) as OpenApiDocument;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64');
}

function functionArn(name: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
}
