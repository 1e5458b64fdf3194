// bench/deploy: how many AWS calls and how many sequential round trips deploy, redeploy and
// delete cost. Every SDK call is answered by aws-sdk-client-mock after a fixed LATENCY_MS, so
// the wall time in units of that latency is the length of the critical path (plus local work:
// packaging, record writes). Runs against the built dist/ (npm run build first).
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PassThrough } from 'node:stream';
import { mockClient } from 'aws-sdk-client-mock';
import * as lambdaSdk from '@aws-sdk/client-lambda';
import * as apiSdk from '@aws-sdk/client-api-gateway';
import * as iamSdk from '@aws-sdk/client-iam';
import * as stsSdk from '@aws-sdk/client-sts';

const LATENCY_MS = 50;
const REPEATS = 3;
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

const home = await mkdtemp(join(tmpdir(), 'bam-bench-home-'));
const cwd = await mkdtemp(join(tmpdir(), 'bam-bench-cwd-'));
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const dist = new URL('../../dist/', import.meta.url);
const { deploy } = await import(new URL('commands/deploy.js', dist).href);
const { redeploy } = await import(new URL('commands/redeploy.js', dist).href);
const { deleteLambda } = await import(new URL('commands/delete.js', dist).href);
const { openStore } = await import(new URL('store/store.js', dist).href);
const store = openStore(home);

// A small model of AWS: enough state for the answers to be coherent.
const functions = new Map();
const apis = new Set();
let apiCount = 0;
let calls = 0;
// Round trips: a call's level is one more than the deepest call that had finished when it started.
let finished = [];
let deepest = 0;
const sha = (bytes) => createHash('sha256').update(bytes).digest('base64');
const notFound = (name) => Object.assign(new Error(name), { name, $metadata: {} });
const configuration = (name) => ({ FunctionName: name, FunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`, Runtime: 'nodejs22.x', State: 'Active', LastUpdateStatus: 'Successful', ...functions.get(name) });
const slow = (answer) => async (input) => {
  calls += 1;
  const level = 1 + Math.max(0, ...finished);
  deepest = Math.max(deepest, level);
  await sleep(LATENCY_MS);
  try {
    return answer(input);
  } finally {
    finished.push(level);
  }
};

const lambda = mockClient(lambdaSdk.LambdaClient);
lambda.on(lambdaSdk.GetFunctionCommand).callsFake(slow(({ FunctionName }) => {
  if (!functions.has(FunctionName)) throw notFound('ResourceNotFoundException');
  return { Configuration: configuration(FunctionName) };
}));
lambda.on(lambdaSdk.CreateFunctionCommand).callsFake(slow((input) => {
  functions.set(input.FunctionName, { Role: input.Role, Description: input.Description, CodeSha256: sha(input.Code.ZipFile) });
  return { ...configuration(input.FunctionName), State: 'Pending' }; // as AWS answers: Active a moment later
}));
lambda.on(lambdaSdk.AddPermissionCommand).callsFake(slow(() => ({ Statement: '{}' })));
lambda.on(lambdaSdk.UpdateFunctionCodeCommand).callsFake(slow((input) => {
  Object.assign(functions.get(input.FunctionName), { CodeSha256: sha(input.ZipFile) });
  return { ...configuration(input.FunctionName), LastUpdateStatus: 'InProgress' };
}));
lambda.on(lambdaSdk.UpdateFunctionConfigurationCommand).callsFake(slow((input) => ({ ...configuration(input.FunctionName), LastUpdateStatus: 'InProgress' })));
lambda.on(lambdaSdk.DeleteFunctionCommand).callsFake(slow((input) => functions.delete(input.FunctionName) && {}));
lambda.on(lambdaSdk.RemovePermissionCommand).callsFake(slow(() => ({})));
// Function URLs (deploy --url): one per function.
const urls = new Map();
lambda.on(lambdaSdk.CreateFunctionUrlConfigCommand).callsFake(slow((input) => {
  const url = { FunctionUrl: `https://${input.FunctionName}.lambda-url.${REGION}.on.aws/`, AuthType: input.AuthType };
  urls.set(input.FunctionName, url);
  return url;
}));
lambda.on(lambdaSdk.DeleteFunctionUrlConfigCommand).callsFake(slow((input) => {
  if (!urls.delete(input.FunctionName)) throw notFound('ResourceNotFoundException');
  return {};
}));
const api = mockClient(apiSdk.APIGatewayClient);
api.on(apiSdk.ImportRestApiCommand).callsFake(slow(() => {
  const id = `bench${++apiCount}`;
  apis.add(id);
  return { id };
}));
api.on(apiSdk.PutRestApiCommand).callsFake(slow((input) => ({ id: input.restApiId })));
api.on(apiSdk.CreateDeploymentCommand).callsFake(slow(() => ({ id: 'd1' })));
api.on(apiSdk.GetRestApiCommand).callsFake(slow((input) => {
  if (!apis.has(input.restApiId)) throw notFound('NotFoundException');
  return { id: input.restApiId };
}));
api.on(apiSdk.DeleteRestApiCommand).callsFake(slow((input) => apis.delete(input.restApiId) && {}));
const iam = mockClient(iamSdk.IAMClient);
iam.on(iamSdk.GetRoleCommand).callsFake(slow((input) => ({ Role: { RoleName: input.RoleName } })));
const sts = mockClient(stsSdk.STSClient);
sts.on(stsSdk.GetCallerIdentityCommand).callsFake(slow(() => ({ Account: ACCOUNT })));

const silent = { start() {}, update() {}, succeed() {}, fail() {}, stop() {}, info() {}, warn() {}, result() {} };
const ctx = { reporter: silent, cwd, aws: { region: REGION }, store, io: { input: new PassThrough(), output: new PassThrough() }, now: () => new Date() };
// As after the first deploy on a machine: account number and default role known.
await store.updateConfig((config) => ({ ...config, accountNumber: ACCOUNT, knownRoles: ['defaultBamRole'] }));
const source = (greeting) => `// description: Says hello\nexports.handler = async () => ({ statusCode: 200, body: '${greeting}' });\n`;

async function measure(action) {
  calls = 0;
  finished = [];
  deepest = 0;
  const started = performance.now();
  await action();
  return { calls, roundTrips: deepest, latencies: (performance.now() - started) / LATENCY_MS };
}

const scenarios = [
  { label: '(a) fresh deploy, endpoint, GET', budget: 3, bam: 23, claudia: 30, results: [] },
  { label: '(b) redeploy, unchanged code', budget: 1, bam: 17, claudia: 9, results: [] },
  { label: '(c) redeploy, changed code', budget: 3, bam: 17, claudia: 9, results: [] },
  { label: '(d) delete', budget: 2, bam: 17, claudia: 2, results: [] }, // the API, then the function: a failed API deletion leaves everything recorded
];
// Function URLs (issue 18): BAM! and Claudia.js have none to compare with.
const urlScenarios = [
  { label: '(e) fresh deploy --url', budget: 2, bam: '-', claudia: '-', results: [] }, // CreateFunction, then URL ∥ two statements
  { label: '(f) delete, function with a URL', budget: 1, bam: '-', claudia: '-', results: [] }, // DeleteFunction takes the URL with it
  { label: '(g) fresh deploy --url --restApi', budget: 3, bam: '-', claudia: '-', results: [] }, // the REST deploy's three, the URL inside them
  { label: '(h) delete --urlOnly', budget: 2, bam: '-', claudia: '-', results: [] }, // the URL, then its two statements
  { label: '(i) redeploy --url (REST function)', budget: 2, bam: '-', claudia: '-', results: [] },
  { label: '(j) delete, REST API and URL', budget: 2, bam: '-', claudia: '-', results: [] },
];

for (let round = 0; round <= REPEATS; round += 1) {
  const name = `hello${round}`;
  await writeFile(join(cwd, `${name}.js`), source('hello'));
  const steps = [
    () => deploy(name, {}, ctx),
    () => redeploy(name, {}, ctx),
    async () => {
      await writeFile(join(cwd, `${name}.js`), source(`hello ${Date.now()}`));
      await redeploy(name, {}, ctx);
    },
    () => deleteLambda(name, {}, ctx),
  ];
  for (const [i, step] of steps.entries()) {
    const result = await measure(step);
    if (round > 0) scenarios[i].results.push(result); // round 0 warms up module loading and caches
  }
  const only = `url${round}`;
  const both = `both${round}`;
  await writeFile(join(cwd, `${only}.js`), source('hello'));
  await writeFile(join(cwd, `${both}.js`), source('hello'));
  const urlSteps = [
    () => deploy(only, { url: true }, ctx),
    () => deleteLambda(only, {}, ctx),
    () => deploy(both, { url: true, restApi: true }, ctx),
    () => deleteLambda(both, { urlOnly: true }, ctx),
    () => redeploy(both, { url: true }, ctx),
    () => deleteLambda(both, {}, ctx),
  ];
  for (const [i, step] of urlSteps.entries()) {
    const result = await measure(step);
    if (round > 0) urlScenarios[i].results.push(result);
  }
}
scenarios.push(...urlScenarios);

const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`Every AWS call answered after ${LATENCY_MS} ms; wall time in units of that latency (median of ${REPEATS}).`);
console.log('Round trips: the longest chain of calls each started after the previous one answered. Originals: sequential calls per job.\n');
const header = ['job', 'SDK calls', 'round trips', 'budget', 'wall time', 'BAM!', 'Claudia.js', 'BAM! / wall'];
const rows = scenarios.map((s) => {
  const latencies = median(s.results.map((r) => r.latencies));
  const roundTrips = Math.max(...s.results.map((r) => r.roundTrips));
  s.within = roundTrips <= s.budget;
  const cells = [s.label, String(median(s.results.map((r) => r.calls))), String(roundTrips), `<= ${s.budget}`, `${latencies.toFixed(2)} x`];
  return [...cells, String(s.bam), String(s.claudia), typeof s.bam === 'number' ? `${(s.bam / latencies).toFixed(1)}x` : '-'];
});
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));

await rm(home, { recursive: true, force: true });
await rm(cwd, { recursive: true, force: true });
const over = scenarios.filter((s) => !s.within);
if (over.length > 0) {
  console.error(`\nOver budget: ${over.map((s) => s.label).join(', ')}`);
  process.exit(1);
}
