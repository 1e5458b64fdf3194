// bam's zip step against Info-ZIP `zip -r -X` on the same staged tree (a function with a few
// thousand files in node_modules). Prints medians of several runs (wall and CPU time, which is
// steadier on a busy machine), bam at level 3 for reference, the archiver writer bam used before
// (bench/package/archiverZip.mjs), and the ratio; target ≤ 1.5x.
// Then bench/package/tree.mjs (a 3,000-file folder, cold and warm, against zip -qr -X) and
// bench/package/bundle.mjs (bundled vs --no-bundle, init times, warm unchanged bam package).
// Run: npm run build && npm run bench -- package      (FILES=6000 RUNS=9; BENCH_PARTS=zip,tree,bundle picks parts)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const distZip = new URL('../../dist/package/zip.js', import.meta.url);
if (!existsSync(distZip)) {
  console.error('dist/ is missing: run `npm run build` first.');
  process.exit(1);
}
if (spawnSync('zip', ['-v'], { stdio: 'ignore' }).status !== 0) {
  console.error('Info-ZIP `zip` is not installed (Debian: apt-get install -y zip); it is the baseline of this benchmark.');
  process.exit(1);
}
const { DEFLATE_LEVEL, listZipEntries, writeDeterministicZip } = await import(distZip.href);
const { writeArchiverZip } = await import('./archiverZip.mjs');

const FILES = Number(process.env.FILES ?? 3000);
const parts = (process.env.BENCH_PARTS ?? 'zip,tree,bundle').split(',');
const RUNS = Number(process.env.RUNS ?? 9);

/** A seeded generator so every run benchmarks the same tree. */
function random(seed) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

const WORDS = ['function', 'return', 'const', 'module', 'exports', 'require', 'value', 'options', 'callback', 'buffer', 'length', 'if', 'else', 'this', 'prototype', 'undefined', 'null', 'error', 'throw', 'new'];

/** JavaScript-like text of about `size` bytes: compresses like real node_modules code. */
function source(rand, size) {
  const lines = [];
  let length = 0;
  while (length < size) {
    const words = Array.from({ length: 3 + Math.floor(rand() * 8) }, () => WORDS[Math.floor(rand() * WORDS.length)]);
    const line = `${'  '.repeat(Math.floor(rand() * 4))}${words.join(' ')}(${Math.floor(rand() * 1e6)});`;
    lines.push(line);
    length += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

/** index.js, package.json and FILES files in node_modules, sizes mostly small with a long tail. */
async function makeStagedTree(root) {
  const rand = random(42);
  await writeFile(join(root, 'index.js'), "exports.handler = async () => ({ statusCode: 200, body: 'ok' });\n");
  await writeFile(join(root, 'package.json'), '{"name":"bench","version":"1.0.0","private":true}\n');
  const perPackage = 15;
  for (let p = 0; p * perPackage < FILES; p += 1) {
    const pkg = join(root, 'node_modules', `pkg-${p}`);
    await mkdir(join(pkg, 'lib', 'util'), { recursive: true });
    await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: `pkg-${p}`, version: '1.0.0', main: 'lib/index.js' }, null, 2));
    for (let f = 1; f < perPackage && p * perPackage + f < FILES; f += 1) {
      const size = rand() < 0.9 ? 200 + Math.floor(rand() * 4000) : 10_000 + Math.floor(rand() * 60_000);
      const dir = f % 3 === 0 ? join(pkg, 'lib', 'util') : join(pkg, 'lib');
      await writeFile(join(dir, `file-${f}.js`), source(rand, size));
    }
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** bam's zip step as deploy runs it: list the staged tree, then write the zip. */
async function zipOnce(root, out, { writer, ...options }) {
  const write = writer === 'archiver' ? writeArchiverZip : writeDeterministicZip;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const entries = await listZipEntries(root);
  const result = await write(entries, out, options);
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu); // all threads, zlib's thread pool included
  return { ms, cpuMs: (used.user + used.system) / 1000, size: result.zipSize, entries: entries.length };
}

/**
 * Each bam run in a fresh process, as the CLI runs (and so no run inherits another's garbage);
 * the time is measured inside, without Node's start-up.
 */
async function timeBam(root, out, options) {
  await rm(out, { force: true });
  const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--once', root, out, JSON.stringify(options)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`bam zip failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** `zip -r -X` in a shell whose `times` reports the child's CPU time. */
async function timeInfoZip(root, out) {
  await rm(out, { force: true });
  const start = performance.now();
  // -X: no extra attributes (uid/gid, extended timestamps), like bam's entries; -q: no listing.
  const run = spawnSync('bash', ['-c', 'zip -r -X -q "$0" . && times', out], { cwd: root, encoding: 'utf8' });
  const ms = performance.now() - start;
  if (run.status !== 0) throw new Error(`zip failed: ${run.stderr}`);
  const [user, system] = run.stdout.trim().split('\n')[1].split(' ').map((t) => {
    const [, minutes, seconds] = /(\d+)m([\d.]+)s/.exec(t);
    return (Number(minutes) * 60 + Number(seconds)) * 1000;
  });
  return { ms, cpuMs: user + system, size: (await stat(out)).size };
}

if (process.argv[2] === '--once') {
  const [root, out, options] = process.argv.slice(3);
  process.stdout.write(JSON.stringify(await zipOnce(root, out, JSON.parse(options))));
  process.exit(0);
}

if (parts.includes('zip')) {
  const work = await mkdtemp(join(tmpdir(), 'bam-bench-package-'));
  try {
    const root = join(work, 'staging');
    await mkdir(root);
    await makeStagedTree(root);
    const out = join(work, 'out.zip');
    const MAIN = `bam level ${DEFLATE_LEVEL}`;
    const contenders = {
      [MAIN]: () => timeBam(root, out, {}),
      'bam level 3': () => timeBam(root, out, { level: 3 }),
      [`${MAIN}, warm`]: () => zipOnce(root, out, {}),
      'archiver level 3': () => timeBam(root, out, { writer: 'archiver', level: 3 }),
      'zip -r -X': () => timeInfoZip(root, out),
    };
    // One warm-up each (page cache), then take turns so none gets a systematically quieter machine.
    for (const run of Object.values(contenders)) await run();
    const results = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
    const names = Object.keys(contenders);
    for (let i = 0; i < RUNS; i += 1) {
      // Rotate who goes first, so no contender always follows the same one.
      for (let j = 0; j < names.length; j += 1) {
        const name = names[(i + j) % names.length];
        results[name].push(await contenders[name]());
      }
    }
    const summary = Object.fromEntries(Object.entries(results).map(([name, runs]) => [name, {
      ms: median(runs.map((r) => r.ms)),
      cpuMs: median(runs.map((r) => r.cpuMs)),
      bestMs: Math.min(...runs.map((r) => r.ms)),
      size: runs[0].size,
    }]));
    const zip = summary['zip -r -X'];
    console.log(`tree: ${results[MAIN][0].entries} files, ${RUNS} runs each (Node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)})`);
    console.log('bam runs in a new process each time, as the CLI does; "warm" repeats in one process.');
    console.log('                    median ms   best ms   median CPU ms   zip size   ratio (median / best / CPU)');
    for (const [name, r] of Object.entries(summary)) {
      const ratios = [r.ms / zip.ms, r.bestMs / zip.bestMs, r.cpuMs / zip.cpuMs].map((x) => `${x.toFixed(2)}x`).join(' / ');
      console.log(`${name.padEnd(19)} ${r.ms.toFixed(0).padStart(9)} ${r.bestMs.toFixed(0).padStart(9)} ${r.cpuMs.toFixed(0).padStart(15)}   ${(r.size / 1024 / 1024).toFixed(2)} MB   ${ratios}`);
    }
    const ratio = summary[MAIN].ms / zip.ms;
    console.log(`bam's zip step / zip -r -X: ${ratio.toFixed(2)}x (median wall time; target ≤ 1.5x: ${ratio <= 1.5 ? 'met' : 'NOT met'})`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

// The 3,000-file folder, cold and warm, against zip -qr -X; then bundled vs --no-bundle, init
// times, warm packaging (issue 15). BENCH_PARTS=zip,tree,bundle picks parts.
for (const [part, file, title] of [['tree', './tree.mjs', 'a 3,000-file function folder'], ['bundle', './bundle.mjs', 'bundling']]) {
  if (!parts.includes(part)) continue;
  console.log(`\n-- ${title} --`);
  const run = spawnSync(process.execPath, [fileURLToPath(new URL(file, import.meta.url))], { stdio: 'inherit' });
  if (run.status !== 0) process.exitCode = 1;
}
