// bench/watch: how long a saved change takes to go live with `bam redeploy NAME --watch`, beside
// a whole `bam redeploy NAME` of the same change. Both run as real bam processes (dist/) against
// the HTTP fake AWS (test/aws/httpFakeAws.ts), which delays every request by D ms; requests in
// flight together are delayed together, so (t[250] - t[0]) / 250 counts the sequential round
// trips of a change, and t[0] is bam's local work (debounce, build, zip, records).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../..', import.meta.url));
const LATENCIES = [0, 250];
const CHANGES = 5;
const REDEPLOYS = 5;

if (!existsSync(join(root, 'dist/cli.js'))) {
  console.error('bench/watch runs the built CLI: npm run build first.');
  process.exit(1);
}

// The fake AWS is TypeScript with node imports only: transpiled here, no build step needed.
const scratch = mkdtempSync(join(tmpdir(), 'bam-bench-watch-'));
const fakeSource = readFileSync(join(root, 'test/aws/httpFakeAws.ts'), 'utf8');
const fakeJs = ts.transpileModule(fakeSource, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
writeFileSync(join(scratch, 'httpFakeAws.mjs'), fakeJs);
const { HttpFakeAws } = await import(pathToFileURL(join(scratch, 'httpFakeAws.mjs')).href);

const home = join(scratch, 'home');
const cwd = join(scratch, 'cwd');
for (const dir of [home, cwd]) rmSync(dir, { recursive: true, force: true });
await import('node:fs/promises').then((fs) => Promise.all([fs.mkdir(home), fs.mkdir(cwd)]));

const fake = await HttpFakeAws.start();
fake.updatesInProgress = true;
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(AWS_|BAM_)/.test(key))),
  BAM_HOME: home,
  AWS_ENDPOINT_URL: fake.url,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'x',
  AWS_CONFIG_FILE: join(home, 'no-aws-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  CI: 'true',
  NO_COLOR: '1',
};

let version = 0;
const saveChange = () => {
  version += 1;
  writeFileSync(join(cwd, 'hello.js'), `// description: Says hello\nexports.handler = async () => ({ statusCode: 200, body: 'hello ${version}' });\n`);
};

function startBam(args) {
  const child = spawn(process.execPath, [join(root, 'bin/bam.js'), ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters = [];
  const onData = (chunk) => {
    out += chunk.toString();
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(out.slice(waiter.from));
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve({ match, at: performance.now() });
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  /** The next output (from now on) matching `pattern`. */
  const next = (pattern) => new Promise((resolve) => waiters.push({ pattern, from: out.length, resolve }));
  return { child, exited, next, output: () => out };
}

async function run(args) {
  const bam = startBam(args);
  const code = await bam.exited;
  if (code !== 0) throw new Error(`bam ${args.join(' ')} failed (${code}):\n${bam.output()}`);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

saveChange();
await run(['deploy', 'hello']);

const results = [];
for (const latency of LATENCIES) {
  fake.latencyMs = latency;
  // The watch: one redeploy, then CHANGES saves, each timed from the write to bam's "live" line.
  const watch = startBam(['redeploy', 'hello', '--watch']);
  await watch.next(/Watching/);
  const measured = [];
  const printed = [];
  for (let i = 0; i < CHANGES; i += 1) {
    const live = watch.next(/live in (\d+) ms/);
    const savedAt = performance.now();
    saveChange();
    const { match, at } = await live;
    measured.push(at - savedAt);
    printed.push(Number(match[1]));
  }
  watch.child.kill('SIGINT');
  const code = await watch.exited;
  if (code !== 0) throw new Error(`the watch ended with ${code}:\n${watch.output()}`);
  // The whole command for the same change: node start-up, SDK load, packaging, GetFunction → update → wait.
  const whole = [];
  for (let i = 0; i < REDEPLOYS; i += 1) {
    saveChange();
    const started = performance.now();
    await run(['redeploy', 'hello']);
    whole.push(performance.now() - started);
  }
  results.push({ latency, watch: median(measured), printed: median(printed), redeploy: median(whole) });
}

const at = (latency) => results.find((r) => r.latency === latency);
const [low, high] = [at(LATENCIES[0]), at(LATENCIES[1])];
const spread = LATENCIES[1] - LATENCIES[0];
console.log(`Save to live, median of ${CHANGES} changes (watch) and ${REDEPLOYS} runs (whole redeploy), every request delayed by D ms:`);
console.log('  D (ms)   watch: save→live line   (bam says)   bam redeploy (whole process)');
for (const r of results) {
  console.log(`  ${String(r.latency).padStart(6)}   ${r.watch.toFixed(0).padStart(20)} ms   ${String(r.printed).padStart(7)} ms   ${r.redeploy.toFixed(0).padStart(24)} ms`);
}
console.log(`Sequential round trips per change: watch ${((high.watch - low.watch) / spread).toFixed(2)}, bam redeploy ${((high.redeploy - low.redeploy) / spread).toFixed(2)}`);
console.log(`Local work per change (D = 0): watch ${low.watch.toFixed(0)} ms, bam redeploy ${low.redeploy.toFixed(0)} ms`);
if (fake.unmodelled.length > 0) console.log(`(the fake did not model: ${fake.unmodelled.join(', ')})`);

await fake.close();
rmSync(scratch, { recursive: true, force: true });
