// Startup cost of the CLI: median wall time of `bam --help` beside bare `node -e ""`.
// Target: bam --help within 60 ms of bare node on the same machine.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bam = fileURLToPath(new URL('../../bin/bam.js', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 25);

function medianMs(args) {
  const times = [];
  for (let i = 0; i < runs + 2; i++) {
    const start = process.hrtime.bigint();
    const run = spawnSync(process.execPath, args, { stdio: 'ignore' });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (run.status !== 0) throw new Error(`${args.join(' ')} exited ${run.status}`);
    if (i >= 2) times.push(ms); // two warm-up runs fill the disk cache
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const node = medianMs(['-e', '']);
const help = medianMs([bam, '--help']);
const version = medianMs([bam, '--version']);
const fmt = (n) => `${n.toFixed(1)} ms`;
console.log(`runs per command:      ${runs}`);
console.log(`node -e ""            ${fmt(node)}`);
console.log(`bam --help            ${fmt(help)}   (+${fmt(help - node)}, ratio ${(help / node).toFixed(2)}x)`);
console.log(`bam --version         ${fmt(version)}   (+${fmt(version - node)}, ratio ${(version / node).toFixed(2)}x)`);
console.log(`target: within 60 ms of bare node → ${help - node <= 60 ? 'MET' : 'MISSED'}`);

// Then the CPU that redeploy and delete spend in themselves, against the old eager client imports.
await import('./commandCpu.mjs');
