// Bundled vs --no-bundle, and how fast an unchanged `bam package` is (issue 15). Network is
// allowed here (npm installs express, serverless-http, uuid and dayjs), never in tests.
//   zip bytes and files, bundled vs --no-bundle            target: bundled ≥ 3x smaller
//   init: median of INITS fresh node processes that import the unzipped handler and answer one
//         API Gateway event (the runtime's Node 24 when .ci/node.sh fetched it)   target: ≤ half
//         once with the files in the page cache, once with them dropped from it before every
//         process, as a new Lambda sandbox that reads the function's code from storage (needs python3)
//   warm unchanged `bam package` vs bare `node -e 0`       target: within 150 ms
//   (the 3,000-file folder against `zip -qr -X` is bench/package/tree.mjs)
//   package after the staging is removed (what `bam delete` does): npm must not run
// Run: npm run build && npm run bench -- package (after the zip step's figures), or node bench/package/bundle.mjs      (INITS=20 RUNS=7 to change the counts)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os, { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, timed } from './measure.mjs';

const BAM = fileURLToPath(new URL('../../bin/bam.js', import.meta.url));
if (!existsSync(fileURLToPath(new URL('../../dist/cli.js', import.meta.url)))) {
  console.error('dist/ is missing: run `npm run build` first.');
  process.exit(1);
}
const INITS = Number(process.env.INITS ?? 20);
const RUNS = Number(process.env.RUNS ?? 7);

/** The Lambda runtime's Node (24) when .ci/node.sh has fetched one, else this Node. */
function runtimeNode() {
  const cache = join(homedir(), '.cache', 'bam-ci');
  const found = existsSync(cache) ? readdirSync(cache).filter((d) => d.startsWith('node-24.')).sort().pop() : undefined;
  return found ? join(cache, found, 'bin', 'node') : process.execPath;
}
const NODE = runtimeNode();

const startLoad = os.loadavg()[0];
const work = await mkdtemp(join(tmpdir(), 'bam-bench-bundle-'));
const env = { ...process.env, BAM_HOME: join(work, 'home'), NO_COLOR: '1' };
const bam = (args, cwd) => timed(process.execPath, [BAM, ...args], { cwd, env });

const EVENT = {
  resource: '/{proxy+}', path: '/hello', httpMethod: 'GET', headers: { Accept: 'application/json', Host: 'example.com' },
  multiValueHeaders: { Accept: ['application/json'], Host: ['example.com'] }, queryStringParameters: { name: 'bam' },
  multiValueQueryStringParameters: { name: ['bam'] }, pathParameters: { proxy: 'hello' },
  requestContext: { stage: 'bam', requestId: 'bench', identity: { sourceIp: '127.0.0.1' }, httpMethod: 'GET', path: '/bam/hello' },
  body: null, isBase64Encoded: false,
};

try {
  // The project: its own package.json and lockfile, as a user has them.
  const project = join(work, 'project');
  await mkdir(project);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'bench-app', private: true, type: 'module' }));
  timed('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', 'express@5', 'serverless-http@3', 'uuid@11', 'dayjs@1'], { cwd: project });
  await writeFile(join(project, 'app.mjs'), [
    "import express from 'express';",
    "import serverless from 'serverless-http';",
    "import { v4 as uuid } from 'uuid';",
    "import dayjs from 'dayjs';",
    'const app = express();',
    "app.get('/{*path}', (req, res) => res.json({ id: uuid(), day: dayjs(0).format('YYYY-MM-DD'), path: req.path, name: req.query.name }));",
    'export const handler = serverless(app);',
    '',
  ].join('\n'));

  const files = (zipPath) => timed('zipinfo', ['-1', zipPath]).stdout.trim().split('\n').filter((n) => !n.endsWith('/')).length;
  const cold = bam(['package', 'app', '--json'], project);
  const bundled = JSON.parse(cold.stdout);
  bundled.files = files(bundled.zipPath);
  const unzipBundled = join(work, 'bundled');
  timed('unzip', ['-q', bundled.zipPath, '-d', unzipBundled]);
  const coldPlain = bam(['package', 'app', '--no-bundle', '--json'], project);
  const plain = JSON.parse(coldPlain.stdout);
  plain.files = files(plain.zipPath);
  const unzipPlain = join(work, 'plain');
  timed('unzip', ['-q', plain.zipPath, '-d', unzipPlain]);

  // Init: a fresh Node imports the handler and answers one event, as a Lambda cold start does.
  // The contenders take turns, so a busy moment of the machine does not fall on one of them.
  const initOnce = (dir, entry) => {
    const script = `const t=performance.now();import(${JSON.stringify(join(dir, entry))}).then((m)=>m.handler(${JSON.stringify(EVENT)},{})).then((r)=>{if(r.statusCode!==200)throw new Error(JSON.stringify(r));process.stdout.write(String(performance.now()-t))})`;
    const run = timed(NODE, ['-e', script], { cwd: work, env: { PATH: process.env.PATH } });
    return { wall: run.ms, inside: Number(run.stdout) };
  };
  // The floor: Node's own modules the bundle loads (http, stream, crypto, zlib, ...), nothing else.
  const builtins = [...new Set([...readFileSync(join(unzipBundled, 'index.mjs'), 'utf8').matchAll(/(?:require\(|from ?)"((?:node:)?[a-z_]+(?:\/[a-z_]+)?)"/g)].map((m) => m[1]).filter((name) => isBuiltin(name)))].sort();
  const floorDir = join(work, 'floor');
  await mkdir(floorDir);
  await writeFile(join(floorDir, 'index.mjs'), `for (const name of ${JSON.stringify(builtins)}) process.getBuiltinModule(name);\nexport const handler = async () => ({ statusCode: 200, body: '' });\n`);
  const samples = { bundled: [], plain: [], floor: [], bare: [], dropBundled: [], dropPlain: [] };
  const canDrop = dropFromPageCache(floorDir);
  for (let i = 0; i < INITS; i += 1) {
    samples.bundled.push(initOnce(unzipBundled, 'index.mjs'));
    samples.plain.push(initOnce(unzipPlain, 'index.mjs'));
    samples.floor.push(initOnce(floorDir, 'index.mjs'));
    samples.bare.push(timed(NODE, ['-e', '0']).ms);
    if (!canDrop) continue;
    dropFromPageCache(unzipBundled);
    samples.dropBundled.push(initOnce(unzipBundled, 'index.mjs'));
    dropFromPageCache(unzipPlain);
    samples.dropPlain.push(initOnce(unzipPlain, 'index.mjs'));
  }
  const summarize = (runs) => ({ wall: median(runs.map((r) => r.wall)), inside: median(runs.map((r) => r.inside)) });
  const initBundled = summarize(samples.bundled);
  const initPlain = summarize(samples.plain);
  const initFloor = summarize(samples.floor);
  const bareNode = median(samples.bare);
  const dropBundled = canDrop ? summarize(samples.dropBundled) : undefined;
  const dropPlain = canDrop ? summarize(samples.dropPlain) : undefined;

  // Warm, unchanged: what a second `bam package` (or redeploy) costs.
  bam(['package', 'app'], project);
  const warmRuns = [];
  const bareRuns = [];
  for (let i = 0; i < RUNS; i += 1) {
    warmRuns.push(bam(['package', 'app'], project).ms);
    bareRuns.push(timed(process.execPath, ['-e', '0']).ms);
  }
  const warm = median(warmRuns);
  const bareBamNode = median(bareRuns);

  // After `bam delete` (which removes staging/NAME): the shared cache answers, npm does not run.
  await rm(join(env.BAM_HOME, 'staging', 'app'), { recursive: true, force: true });
  const afterDelete = bam(['package', 'app'], project);
  const npmRan = /Running npm install/.test(afterDelete.stdout + afterDelete.stderr);

  const ratio = (a, b) => `${(a / b).toFixed(2)}x`;
  console.log(`Node ${process.version} runs bam; init runs on ${NODE === process.execPath ? process.version : NODE}; ${os.cpus().length} CPUs, load ${startLoad.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end`);
  console.log('express + serverless-http + uuid + dayjs (ESM handler):');
  console.log(`  zip          bundled ${String(bundled.zipSize).padStart(9)} bytes, ${String(bundled.files).padStart(5)} files   --no-bundle ${String(plain.zipSize).padStart(9)} bytes, ${String(plain.files).padStart(5)} files   ${ratio(plain.zipSize, bundled.zipSize)} smaller (target ≥ 3x)`);
  console.log(`  unzipped     bundled ${String(bundled.unzippedSize).padStart(9)} bytes                  --no-bundle ${String(plain.unzippedSize).padStart(9)} bytes`);
  console.log(`  init, median of ${INITS} fresh processes (wall, node start-up included; inside: import + one event)`);
  console.log(`               bundled ${initBundled.wall.toFixed(0).padStart(5)} ms (inside ${initBundled.inside.toFixed(0)} ms)   --no-bundle ${initPlain.wall.toFixed(0).padStart(5)} ms (inside ${initPlain.inside.toFixed(0)} ms)   bare node ${bareNode.toFixed(0)} ms`);
  console.log(`               floor: Node's own modules the bundle loads (${builtins.length}) and nothing else ${initFloor.wall.toFixed(0)} ms (inside ${initFloor.inside.toFixed(0)} ms)`);
  console.log(`               bundled / --no-bundle: wall ${ratio(initBundled.wall, initPlain.wall)}, inside ${ratio(initBundled.inside, initPlain.inside)} (target ≤ 0.5x); above the floor: ${ratio(initBundled.inside - initFloor.inside, initPlain.inside - initFloor.inside)}`);
  if (dropBundled && dropPlain) {
    console.log(`  init, the function's files dropped from the page cache before each process (a new sandbox reads them from storage)`);
    console.log(`               bundled ${dropBundled.wall.toFixed(0).padStart(5)} ms (inside ${dropBundled.inside.toFixed(0)} ms)   --no-bundle ${dropPlain.wall.toFixed(0).padStart(5)} ms (inside ${dropPlain.inside.toFixed(0)} ms)   bundled / --no-bundle: wall ${ratio(dropBundled.wall, dropPlain.wall)}, inside ${ratio(dropBundled.inside, dropPlain.inside)}`);
  } else {
    console.log('  init with the files out of the page cache: not measured (needs python3 on Linux)');
  }
  console.log(`  cold bam package (npm install): bundled ${cold.ms.toFixed(0)} ms; --no-bundle afterwards (same install, cached) ${coldPlain.ms.toFixed(0)} ms`);
  console.log(`  warm unchanged bam package: ${warm.toFixed(0)} ms vs bare node ${bareBamNode.toFixed(0)} ms: +${(warm - bareBamNode).toFixed(0)} ms (target ≤ 150 ms)`);
  console.log(`  package after the staging is removed (bam delete): ${afterDelete.ms.toFixed(0)} ms, npm install ${npmRan ? 'RAN (target: none)' : 'not run'}`);
} finally {
  await rm(work, { recursive: true, force: true });
}

/**
 * Drops every file under dir from the page cache (posix_fadvise DONTNEED, one python3 process for
 * the whole tree); false where that cannot be done. Node has no fadvise of its own.
 */
function dropFromPageCache(dir) {
  const script = 'import os,sys\nfor root,_,names in os.walk(sys.argv[1]):\n  for n in names:\n    fd=os.open(os.path.join(root,n),os.O_RDONLY)\n    os.posix_fadvise(fd,0,0,os.POSIX_FADV_DONTNEED)\n    os.close(fd)\n';
  return spawnSync('python3', ['-c', script, dir], { stdio: 'ignore' }).status === 0;
}
