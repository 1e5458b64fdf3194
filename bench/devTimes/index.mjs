// bam dev response times that npm test no longer asserts (they depend on the machine's load):
// start-up, reload after a file change, the 502 at a function's timeout, a fresh sandbox after
// one exited, and Ctrl-C during a busy-looping handler. Each figure is the median of a few runs.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const cwd = mkdtempSync(join(tmpdir(), 'bam-bench-devtimes-'));
const home = mkdtempSync(join(tmpdir(), 'bam-bench-home-'));
const version = (v) => `exports.handler = async () => ({ statusCode: 200, body: '${v}' });\n`;
writeFileSync(join(cwd, 'hot.js'), version('v0'));
writeFileSync(join(cwd, 'slow.js'), `exports.handler = async () => { await new Promise((r) => setTimeout(r, 5000)); return { statusCode: 200, body: 'late' }; };\n`);
writeFileSync(join(cwd, 'quits.js'), `exports.handler = async () => { setTimeout(() => process.exit(4), 20); return { statusCode: 200, body: 'bye' }; };\nprocess.on('exit', () => console.log('sandbox exiting'));\n`);
writeFileSync(join(cwd, 'spin.js'), `exports.handler = async () => { console.log('spinning'); for (;;) {} };\n`);

/** Starts `bam dev NAME ...`; resolves once it is ready, with its URL and a way to watch its output. */
function startDev(args) {
  const started = performance.now();
  const child = spawn(process.execPath, [join(root, 'bin/bam.js'), 'dev', '--port', '0', ...args], { cwd, env: { ...process.env, BAM_HOME: home, NO_COLOR: '1', CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const watchers = new Set();
  const onData = (chunk) => {
    output += chunk;
    for (const w of watchers) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const closed = new Promise((resolve) => child.once('close', resolve));
  const waitFor = (pattern) => new Promise((resolve, reject) => {
    const check = () => {
      if (pattern.test(output)) {
        watchers.delete(check);
        resolve();
      }
    };
    watchers.add(check);
    check();
    closed.then(() => reject(new Error(`bam dev exited before printing ${pattern}:\n${output}`)));
  });
  return waitFor(/Press Ctrl-C to stop/).then(() => ({
    url: /at (http:\/\/\S+)$/m.exec(output)[1],
    startupMs: performance.now() - started,
    child,
    waitFor,
    count: (pattern) => (output.match(new RegExp(pattern.source, 'g')) ?? []).length,
    stop: () => {
      child.kill('SIGTERM');
      return closed;
    },
  }));
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const report = (label, values, target) => {
  const m = median(values);
  console.log(`${label.padEnd(40)} ${m.toFixed(0).padStart(6)} ms median of ${values.length}   (target: under ${target} ms) ${m < target ? 'met' : 'NOT met'}`);
};
const timed = async (work) => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};

try {
  const startup = [];
  const reload = [];
  const dev = await startDev(['hot']);
  startup.push(dev.startupMs);
  for (let i = 1; i <= RUNS; i++) {
    reload.push(await timed(async () => {
      writeFileSync(join(cwd, 'hot.js'), version(`v${i}`));
      for (;;) {
        if ((await (await fetch(dev.url)).text()) === `v${i}`) return;
        await new Promise((r) => setTimeout(r, 5));
      }
    }));
  }
  await dev.stop();

  const timeout = [];
  const slow = await startDev(['slow', '--timeout', '1']);
  startup.push(slow.startupMs);
  for (let i = 0; i < RUNS; i++) timeout.push(await timed(async () => void (await fetch(slow.url)).text()));
  await slow.stop();

  const fresh = [];
  const quits = await startDev(['quits', '--timeout', '60']);
  startup.push(quits.startupMs);
  for (let i = 1; i <= RUNS; i++) {
    fresh.push(await timed(async () => void (await fetch(quits.url)).text()));
    await quits.waitFor(new RegExp(`(sandbox exiting[\\s\\S]*){${i}}`));
    await new Promise((r) => setTimeout(r, 200));
  }
  await quits.stop();

  const ctrlC = [];
  for (let i = 0; i < RUNS; i++) {
    const spin = await startDev(['spin', '--timeout', '600']);
    startup.push(spin.startupMs);
    void fetch(spin.url).catch(() => undefined);
    await spin.waitFor(/spinning/);
    ctrlC.push(await timed(async () => {
      const closed = new Promise((resolve) => spin.child.once('close', resolve));
      spin.child.kill('SIGINT');
      await closed;
    }));
  }

  report('bam dev start-up (to "Press Ctrl-C")', startup, 2000);
  report('reload: file written → new answer', reload, 1000);
  report('502 at a 1 s timeout (request → answer)', timeout, 2000);
  report('request after the sandbox exited', fresh, 1000);
  report('Ctrl-C during a busy loop → exit', ctrlC, 900);
} finally {
  rmSync(cwd, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
}
