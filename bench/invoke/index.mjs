// Warm local invoke latency: the whole `bam invoke hello` process, run N times against a running
// `bam dev hello` (its warm sandbox, through its local Lambda API), beside the process start-up
// floors (bare `node -e 0` and `bam --version`) and a standalone invoke (--noDev, a fresh sandbox).
// Target: p50 under 100 ms for the whole process, or the floor stated beside it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bam = fileURLToPath(new URL('../../bin/bam.js', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 30);
const standaloneRuns = Number(process.env.BENCH_STANDALONE_RUNS ?? 5);

const home = await mkdtemp(join(tmpdir(), 'bam-bench-invoke-home-'));
const cwd = await mkdtemp(join(tmpdir(), 'bam-bench-invoke-cwd-'));
const env = { ...process.env, BAM_HOME: home, NO_COLOR: '1', CI: '1' };

function run(args, check) {
  const start = process.hrtime.bigint();
  const child = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (child.status !== 0) throw new Error(`${args.join(' ')} exited ${child.status}:\n${child.stderr}`);
  check?.(child);
  return ms;
}

/** p50 and p95 of the runs after two warm-up runs (they fill the disk cache). */
function measure(args, count, check) {
  const times = [];
  for (let i = 0; i < count + 2; i++) {
    const ms = run(args, check);
    if (i >= 2) times.push(ms);
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)];
  return { p50: at(0.5), p95: at(0.95) };
}

function startDev() {
  const child = spawn(process.execPath, [bam, 'dev', 'hello', '--port', '0'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      if (output.includes('Press Ctrl-C to stop')) resolve(child);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`bam dev exited (${code}):\n${output}`)));
  });
}

const throughDev = ({ stderr }) => {
  if (!stderr.includes('Ran in the warm sandbox of bam dev')) throw new Error(`bam invoke did not go through bam dev:\n${stderr}`);
};
const standalone = ({ stderr }) => {
  if (stderr.includes('Ran in the warm sandbox of bam dev')) throw new Error('bam invoke --noDev went through bam dev');
};

let dev;
try {
  run([bam, 'create', 'hello']);
  dev = await startDev();
  const node = measure(['-e', '0'], runs);
  const version = measure([bam, '--version'], runs);
  const warm = measure([bam, 'invoke', 'hello', '--data', '{"name":"Ada"}'], runs, throughDev);
  const fresh = measure([bam, 'invoke', 'hello', '--noDev', '--data', '{"name":"Ada"}'], standaloneRuns, standalone);
  const fmt = ({ p50, p95 }) => `p50 ${p50.toFixed(1).padStart(6)} ms   p95 ${p95.toFixed(1).padStart(6)} ms`;
  console.log(`runs: ${runs} (standalone: ${standaloneRuns}), after 2 warm-up runs each`);
  console.log(`node -e 0                                ${fmt(node)}`);
  console.log(`bam --version                            ${fmt(version)}`);
  console.log(`bam invoke hello (through bam dev)       ${fmt(warm)}   (+${(warm.p50 - node.p50).toFixed(1)} ms over bare node)`);
  console.log(`bam invoke hello --noDev (own sandbox)   ${fmt(fresh)}`);
  const met = warm.p50 < 100;
  console.log(`target: p50 under 100 ms → ${met ? 'MET' : `MISSED (the floor: bare node ${node.p50.toFixed(1)} ms, bam --version ${version.p50.toFixed(1)} ms on this machine)`}`);
} finally {
  if (dev) {
    const exited = new Promise((resolve) => dev.once('exit', resolve));
    dev.kill('SIGTERM');
    await exited;
    const left = await readdir(join(home, 'dev-endpoints')).catch(() => []);
    if (left.length > 0) console.log(`bam dev left its endpoint file behind: ${left.join(', ')}`);
  }
  await rm(home, { recursive: true, force: true });
  await rm(cwd, { recursive: true, force: true });
}
