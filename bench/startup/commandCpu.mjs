// CPU a command spends in itself (mostly module loading): `bam redeploy` of an unchanged
// function and `bam delete`, against a local endpoint that answers at once. Each command loads
// only the SDK client packages it calls; the "all six clients" rows preload the six packages
// src/aws/clients.ts used to import on every command, for comparison (issue 20).
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bam = fileURLToPath(new URL('../../bin/bam.js', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 7);
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ALL_CLIENTS = ['lambda', 'api-gateway', 'iam', 'dynamodb', 'sts', 'cloudwatch-logs'];

const work = await mkdtemp(join(tmpdir(), 'bam-bench-cpu-'));
const home = join(work, 'home');
const cwd = join(work, 'cwd');
const preload = join(work, 'all-clients.mjs');
// Resolved from here (bam's node_modules), since the preload file lives in a temporary folder.
await writeFile(preload, ALL_CLIENTS.map((name) => `import '${import.meta.resolve(`@aws-sdk/client-${name}`)}';`).join('\n'));

let codeSha256 = '';
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const path = req.url.split('?')[0];
    if (req.method === 'GET' && path === '/2015-03-31/functions/hello') {
      return send(200, {
        Configuration: {
          FunctionName: 'hello', FunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:hello`, Runtime: 'nodejs24.x',
          Role: `arn:aws:iam::${ACCOUNT}:role/defaultBamRole`, Handler: 'index.handler', CodeSha256: codeSha256, Description: 'Says hello',
          MemorySize: 128, Timeout: 3, State: 'Active', LastUpdateStatus: 'Successful',
        },
        Tags: { 'bam:managed': 'true' },
      });
    }
    if (req.method === 'GET' && path === '/restapis/api1') return send(200, { id: 'api1', name: 'hello', description: 'Says hello' });
    if (req.method === 'DELETE' && path === '/restapis/api1') return send(202);
    if (req.method === 'DELETE' && path === '/2015-03-31/functions/hello') return send(204);
    send(404, { message: `bench endpoint: no ${req.method} ${path}` });
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const env = {
  ...process.env, BAM_HOME: home, NO_COLOR: '1', CI: 'true', AWS_REGION: REGION,
  AWS_ENDPOINT_URL: `http://127.0.0.1:${server.address().port}`, AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench',
};

/** CPU seconds (user + system) of the children this process has waited for (Linux /proc). */
function childCpuSeconds() {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime in clock ticks (USER_HZ = 100)
}

/** Runs bam as a child (asynchronously: the endpoint lives in this process) and returns its output. */
function run(args, nodeArgs = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, bam, ...args], { cwd, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`bam ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

async function writeRecords() {
  const record = {
    arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:hello`, role: 'defaultBamRole', runtime: 'nodejs24.x', description: 'Says hello',
    codeSha256, sourcePath: join(cwd, 'hello.js'), deployedAt: new Date().toISOString(),
    api: { restApiId: 'api1', endpointType: 'EDGE', methods: ['GET'], url: `https://api1.execute-api.${REGION}.amazonaws.com/bam`, stage: 'bam', deployed: true },
  };
  await writeFile(join(home, 'lambdas.json'), JSON.stringify({ [REGION]: { hello: record } }));
}

/** Median CPU seconds of one command over the runs (records set up again before each). */
async function medianCpu(args, nodeArgs) {
  const cpu = [];
  for (let i = 0; i < runs + 1; i += 1) {
    await writeRecords();
    const before = childCpuSeconds();
    await run(args, nodeArgs);
    if (i > 0) cpu.push(childCpuSeconds() - before); // the first run warms the disk cache
  }
  cpu.sort((a, b) => a - b);
  return cpu[Math.floor(cpu.length / 2)];
}

try {
  await rm(cwd, { recursive: true, force: true });
  await import('node:fs/promises').then(({ mkdir }) => Promise.all([mkdir(cwd, { recursive: true }), mkdir(home, { recursive: true })]));
  await writeFile(join(cwd, 'hello.js'), "// description: Says hello\nexports.handler = async () => ({ statusCode: 200, body: 'hello' });\n");
  await writeFile(join(home, 'config.json'), JSON.stringify({ accountNumber: ACCOUNT, defaultRole: 'defaultBamRole', version: 1, knownRoles: ['defaultBamRole'] }));
  codeSha256 = JSON.parse(await run(['package', 'hello', '--json'])).codeSha256;

  const rows = [];
  for (const [label, args] of [['bam redeploy (unchanged)', ['redeploy', 'hello']], ['bam delete', ['delete', 'hello']]]) {
    const now = await medianCpu(args, []);
    const eager = await medianCpu(args, ['--import', preload]);
    rows.push([label, now, eager]);
  }
  console.log(`CPU seconds per command (user + system, median of ${runs}), local endpoint answering at once:`);
  console.log('command                     only the clients it calls   all six clients (as before)   ratio');
  for (const [label, now, eager] of rows) {
    console.log(`${label.padEnd(28)}${now.toFixed(2).padStart(6)} s${' '.repeat(21)}${eager.toFixed(2).padStart(6)} s${' '.repeat(23)}${(now / eager).toFixed(2)}x`);
  }
} finally {
  server.close();
  await rm(work, { recursive: true, force: true });
}
