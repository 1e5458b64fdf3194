// Warm local invoke latency: the whole `bam invoke hello` process, run N times against a running
// `bam dev hello` (its warm sandbox, through its local Lambda API), beside the process start-up
// floors (bare `node -e 0` and `bam --version`) and a standalone invoke (--noDev, a fresh sandbox).
// Target: p50 under 100 ms for the whole process, or the floor stated beside it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bam = fileURLToPath(new URL('../../bin/bam.js', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 30);
const standaloneRuns = Number(process.env.BENCH_STANDALONE_RUNS ?? 5);

const home = await mkdtemp(join(tmpdir(), 'bam-bench-invoke-home-'));
const cwd = await mkdtemp(join(tmpdir(), 'bam-bench-invoke-cwd-'));
const env = { ...process.env, BAM_HOME: home, NO_COLOR: '1', CI: '1' };

// Each child reports the CPU time it used (user + system, all threads) as it exits: on a busy
// machine the wall times swing with the load, the CPU times much less.
const CPU_REPORT = `data:text/javascript,process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('BENCH_CPU '+(u.user+u.system)/1000+'\\n')})`;

function run(args, check) {
  const start = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ['--import', CPU_REPORT, ...args], { cwd, env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (child.status !== 0) throw new Error(`${args.join(' ')} exited ${child.status}:\n${child.stderr}`);
  check?.(child);
  return { ms, cpu: Number(/BENCH_CPU (\S+)/.exec(child.stderr)?.[1] ?? NaN) };
}

/**
 * p50 and p95 of each command's wall time and its CPU p50, the commands taking turns (so a change
 * of load hits each alike), after two warm-up rounds (they fill the disk cache).
 */
function measure(commands, count) {
  const times = commands.map(() => ({ ms: [], cpu: [] }));
  for (let i = 0; i < count + 2; i++) {
    commands.forEach(({ args, check }, c) => {
      const { ms, cpu } = run(args, check);
      if (i < 2) return;
      times[c].ms.push(ms);
      times[c].cpu.push(cpu);
    });
  }
  const at = (values, q) => values.sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)];
  return times.map(({ ms, cpu }) => ({ p50: at(ms, 0.5), p95: at(ms, 0.95), cpu: at(cpu, 0.5) }));
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
  const invokeArgs = [bam, 'invoke', 'hello', '--data', '{"name":"Ada"}'];
  const [node, version, warm] = measure(
    [{ args: ['-e', '0'] }, { args: [bam, '--version'] }, { args: invokeArgs, check: throughDev }],
    runs,
  );
  const [fresh] = measure([{ args: [...invokeArgs, '--noDev'], check: standalone }], standaloneRuns);
  const fmt = ({ p50, p95, cpu }) => `p50 ${p50.toFixed(1).padStart(6)} ms   p95 ${p95.toFixed(1).padStart(6)} ms   CPU p50 ${cpu.toFixed(1).padStart(6)} ms`;
  console.log(`runs: ${runs} (standalone: ${standaloneRuns}), taking turns, after 2 warm-up rounds; load average ${loadavg()[0].toFixed(2)} on ${availableParallelism()} cores`);
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
