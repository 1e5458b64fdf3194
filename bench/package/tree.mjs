// A function folder of FILES files (3,000 by default) that the code reads at run time, so all are
// shipped beside the bundle: `bam package` against Info-ZIP's `zip -qr -X` of the same folder.
//   cold: no staging (a first package, or after `bam delete`): stage, parse, bundle, zip
//   warm: nothing changed since the last package (the build stamp answers from stat calls)
// Target (issue 15): warm within 2x of zip. Each figure is the median of RUNS runs taken in turns,
// printed with the load average, since this machine is shared. bam runs on this Node and, side by
// side, on the Node 22 and 24 that .ci/node.sh fetched (Node's own start-up differs by version).
// Run: npm run build && npm run bench -- package (after the zip step), or node bench/package/tree.mjs   (FILES=6000 RUNS=9)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
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
const FILES = Number(process.env.FILES ?? 3000);
/** This Node, then the newest fetched Node of each other major bam supports. */
function nodes() {
  const cache = join(homedir(), '.cache', 'bam-ci');
  const fetched = existsSync(cache) ? readdirSync(cache).filter((d) => /^node-\d+\./.test(d)).sort() : [];
  const found = new Map([[process.versions.node.split('.')[0], process.execPath]]);
  for (const dir of fetched) {
    const major = dir.slice('node-'.length).split('.')[0];
    if (major !== process.versions.node.split('.')[0]) found.set(major, join(cache, dir, 'bin', 'node'));
  }
  return [...found].map(([major, path]) => ({ name: `node${major}`, path }));
}
const NODES = nodes();
const RUNS = Number(process.env.RUNS ?? 7);

const work = await mkdtemp(join(tmpdir(), 'bam-bench-tree-'));
const home = join(work, 'home');
const env = { ...process.env, BAM_HOME: home, NO_COLOR: '1' };
try {
  const project = join(work, 'project');
  const big = join(project, 'big');
  await mkdir(join(big, 'data'), { recursive: true });
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'bench-tree', private: true }));
  await writeFile(join(big, 'index.js'), "exports.handler = async () => ({ statusCode: 200, body: 'ok' });\n");
  for (let i = 0; i < FILES; i += 1) {
    await mkdir(join(big, 'data', `d${i % 60}`), { recursive: true });
    await writeFile(join(big, 'data', `d${i % 60}`, `f${i}.js`), `module.exports = ${JSON.stringify('x'.repeat(200 + (i % 40) * 50))};\n// ${i}\n`);
  }
  const bam = (node = process.execPath) => timed(node, [BAM, 'package', 'big'], { cwd: project, env });
  const cold = () => {
    spawnSync('rm', ['-rf', join(home, 'staging', 'big')]);
    return bam();
  };
  const zipOut = join(work, 'big.zip');
  const zip = () => {
    spawnSync('rm', ['-f', zipOut]);
    return timed('zip', ['-qr', '-X', zipOut, '.'], { cwd: big });
  };
  const bare = (node = process.execPath) => timed(node, ['-e', '0']);
  const first = cold(); // and the page cache warm for everyone
  const runs = { cold: [], zip: [], ...Object.fromEntries(NODES.flatMap(({ name }) => [[`warm ${name}`, []], [`bare ${name}`, []]])) };
  const loads = [];
  for (let i = 0; i < RUNS; i += 1) {
    loads.push(os.loadavg()[0]);
    runs.zip.push(zip().ms);
    runs.cold.push(cold().ms);
    for (const { name, path } of NODES) {
      runs[`warm ${name}`].push(bam(path).ms);
      runs[`bare ${name}`].push(bare(path).ms);
    }
  }
  const m = Object.fromEntries(Object.entries(runs).map(([name, values]) => [name, median(values)]));
  const ratio = (a, b) => `${(a / b).toFixed(2)}x`;
  console.log(`${FILES}-file function folder, ${RUNS} runs each, medians (Node ${process.version}, ${os.cpus().length} CPUs, load ${Math.min(...loads).toFixed(1)}..${Math.max(...loads).toFixed(1)})`);
  console.log(`  zip -qr -X                  ${m.zip.toFixed(0).padStart(6)} ms`);
  console.log(`  bam package, cold           ${m.cold.toFixed(0).padStart(6)} ms   ${ratio(m.cold, m.zip)} of zip (first run ${first.ms.toFixed(0)} ms)`);
  for (const { name } of NODES) {
    const warm = m[`warm ${name}`];
    console.log(`  bam package, warm unchanged, ${name.padEnd(6)} ${warm.toFixed(0).padStart(6)} ms   ${ratio(warm, m.zip)} of zip (target ≤ 2x: ${warm <= 2 * m.zip ? 'met' : 'NOT met'}); bare ${name} -e 0: ${m[`bare ${name}`].toFixed(0)} ms`);
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
