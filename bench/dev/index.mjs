// bam dev against a bare node:http server, side by side in one run (`npm run bench -- dev`):
// - throughput and p50/p99 latency of a hello handler at 1 and 10 keep-alive connections; the
//   load comes from bench/dev/load.mjs in its own process, each server runs in its own process,
//   and the servers take turns in one-second slices (a busy moment of the machine falls on all),
//   each on its own load generator's keep-alive connections, kept open from slice to slice;
// - a new connection: open → first byte of the answer to its GET, bam dev against the bare server;
// - cold start: `bam dev hello` spawned → its first answer;
// - reload: 20 edits of a function under a steady stream of requests: save → first answer of the
//   new code (median, p95), and how many requests sent after a save got the old code's answer.
// The machine's load average is printed first (and before each round): on a busy machine every
// figure moves. BENCH_ROUNDS=N repeats the throughput part N times and prints the median ratios.
// The throughput part runs bam dev both ways: a function served alone answered from its sandbox's
// thread, which owns the connections (BAM_DEV_OWN_CONNECTIONS=1, the default;
// src/dev/connectionHandover.ts, src/dev/directHttp.ts), and every request through bam dev's main
// thread (=0); the target is judged on the default. BENCH_NODE=/path/to/node picks the Node that
// runs the servers (default: this one). bench/dev/ownConnections.mjs (run by
// hand) measures the floor of the owned design: the same thread with none of bam dev's work per request.
import { fork, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bam = join(root, 'bin/bam.js');
const loadScript = fileURLToPath(new URL('./load.mjs', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
// Each server's SECONDS of load come in this many slices, the servers taking turns.
const SLICES = Math.max(1, Math.round(SECONDS));
const COLD_RUNS = Number(process.env.BENCH_RUNS ?? 5);
const EDITS = Number(process.env.BENCH_EDITS ?? 20);
const RELOAD_CONNECTIONS = 4;
// A save a second: about as often as someone editing saves.
const SAVE_EVERY_MS = 1000;
const TARGET_RATIO = 0.7;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
// BENCH_PARTS=reload (or throughput,connect,cold) runs only those parts.
const PARTS = (process.env.BENCH_PARTS ?? 'throughput,connect,cold,reload').split(',');
const CONNECT_RUNS = 30;
const TARGET_RELOAD_MS = 100;
// The Node that runs bam dev and the bare server (the load generator runs on this one).
const NODE = process.env.BENCH_NODE ?? process.execPath;
const NODE_VERSION = spawnSync(NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();

const HANDLER = `exports.handler = async (event) => ({
  statusCode: 200,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ hello: 'world', path: event.path }),
});
`;
// The same handler behind node:http, with the least a server must do (its Content-Length too).
const BARE_SERVER = `
const { createServer } = require('node:http');
const { handler } = require(process.argv[1]);
const server = createServer(async (req, res) => {
  const result = await handler({ httpMethod: req.method, path: req.url, headers: req.headers });
  res.writeHead(result.statusCode, { ...result.headers, 'Content-Length': Buffer.byteLength(result.body) });
  res.end(result.body);
});
server.listen(0, '127.0.0.1', () => console.log('http://127.0.0.1:' + server.address().port + '/'));
`;
const version = (v) => `exports.handler = async () => ({ statusCode: 200, body: '${v}' });\n`;

const cwd = mkdtempSync(join(tmpdir(), 'bam-bench-dev-'));
const home = mkdtempSync(join(tmpdir(), 'bam-bench-home-'));
// Two bam devs run at once in the throughput part: each needs its own home (its local DynamoDB's folder).
const secondHome = mkdtempSync(join(tmpdir(), 'bam-bench-home-'));
writeFileSync(join(cwd, 'hello.js'), HANDLER);
writeFileSync(join(cwd, 'hot.js'), version('v0'));

/** Starts a server process; resolves with the first URL it prints (its output is drained). */
function startServer(args, env = {}) {
  const started = performance.now();
  const child = spawn(NODE, args, { cwd, env: { ...process.env, BAM_HOME: home, NO_COLOR: '1', CI: '1', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk) => {
      if (seen === null) return;
      seen += chunk;
      const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(seen.replace(/^Local .*$/gm, ''))?.[1];
      if (!url) return;
      seen = null;
      resolve({ url, started, stop: () => (child.kill('SIGTERM'), exited) });
    });
    exited.then((code) => reject(new Error(`server exited (${code}) before printing its URL`)));
  });
}

/**
 * A load generator (bench/dev/load.mjs, its own process) with CONNECTIONS keep-alive connections
 * to the server, kept open across the slices it is asked for, as a long-lived client keeps them.
 */
function loader(url, connections) {
  const child = fork(loadScript, [url, String(connections), '--slices'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let answer;
  child.on('message', (message) => answer?.(message));
  const next = () => new Promise((resolve, reject) => {
    answer = resolve;
    exited.then((code) => reject(new Error(`load.mjs exited ${code}`)));
  });
  const ready = next();
  return {
    ready,
    /** One measured slice of `seconds`: { requests, rps, p50, p99, errors }. */
    slice(seconds) {
      const result = next();
      child.send({ seconds });
      return result;
    },
    stop() {
      child.send({ stop: true });
      return exited;
    },
  };
}

/** One GET with its own (non-keep-alive) connection; resolves with status and body. */
function get(url, agent) {
  return new Promise((resolve, reject) => {
    request(url, agent ? { agent } : {}, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject).end();
  });
}

const sorted = (values) => [...values].sort((a, b) => a - b);
const quantile = (values, q) => sorted(values)[Math.min(values.length - 1, Math.floor(q * values.length))];
const ms = (value) => `${value.toFixed(value < 10 ? 2 : 0)} ms`;
const line = (label, r) => `${label.padEnd(16)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${ms(r.p50).padStart(9)}   p99 ${ms(r.p99).padStart(9)}   (${r.requests} requests${r.errors ? `, ${r.errors} not 200` : ''})`;

const BAM_DEV = [bam, 'dev', 'hello', '--port', '0'];
const MODES = { owned: 'bam dev, owned', main: 'bam dev, main' };
const DEFAULT_MODE = 'owned';

/**
 * The three servers under the same load, taking turns in slices of a second (SECONDS slices each):
 * a busy moment of the machine falls on all of them alike, not on whichever ran then. Each is warmed
 * up for a second first. Throughput is the requests of all its slices over their time; p50 and p99
 * are the medians of its slices'. Returns the ratios of bam dev's two ways to the bare server.
 */
async function throughput(connections) {
  const servers = [['bare node:http', ['-e', BARE_SERVER, join(cwd, 'hello.js')]], [MODES.owned, BAM_DEV, { BAM_DEV_OWN_CONNECTIONS: '1' }], [MODES.main, BAM_DEV, { BAM_DEV_OWN_CONNECTIONS: '0', BAM_HOME: secondHome }]];
  const running = [];
  try {
    for (const [label, args, env] of servers) running.push({ label, server: await startServer(args, env), slices: [] });
    for (const entry of running) {
      entry.load = loader(entry.server.url, connections);
      await entry.load.ready;
      await entry.load.slice(1); // warm-up: the server's and the load generator's code compiled
    }
    for (let slice = 0; slice < SLICES; slice++) for (const { load, slices } of running) slices.push(await load.slice(SECONDS / SLICES));
  } finally {
    await Promise.all(running.map(({ load }) => load?.stop()));
    await Promise.all(running.map(({ server }) => server.stop()));
  }
  const results = {};
  for (const { label, slices } of running) {
    const requests = slices.reduce((sum, r) => sum + r.requests, 0);
    const elapsed = slices.reduce((sum, r) => sum + r.requests / r.rps, 0);
    results[label] = { requests, rps: requests / elapsed, p50: quantile(slices.map((r) => r.p50), 0.5), p99: quantile(slices.map((r) => r.p99), 0.5), errors: slices.reduce((sum, r) => sum + r.errors, 0) };
    console.log(line(label, results[label]));
  }
  const bare = results['bare node:http'].rps;
  return { owned: results[MODES.owned].rps / bare, main: results[MODES.main].rps / bare };
}

/** ms from opening a new connection to the first byte of the answer to its one GET. */
function firstAnswer(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(Number(port), hostname, () => socket.write(`GET / HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`));
    socket.once('data', () => {
      resolve(performance.now() - started);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

/**
 * What a new connection costs (a browser opens several): CONNECT_RUNS connections, one after
 * another and taking turns between the bare server and bam dev (owned connections, the default),
 * each sending one GET; p50 and p95 of connect → first byte of the answer. bam dev hands each new
 * connection to its sandbox's thread before reading it.
 */
async function newConnections() {
  const servers = [['bare node:http', ['-e', BARE_SERVER, join(cwd, 'hello.js')]], [MODES.owned, BAM_DEV]];
  const running = [];
  try {
    for (const [label, args] of servers) running.push({ label, server: await startServer(args), times: [] });
    for (const { server } of running) await firstAnswer(server.url); // loaded and compiled
    for (let i = 0; i < CONNECT_RUNS; i++) for (const { server, times } of running) times.push(await firstAnswer(server.url));
  } finally {
    await Promise.all(running.map(({ server }) => server.stop()));
  }
  console.log(`
new connection → first answer, ${CONNECT_RUNS} connections each, one at a time:`);
  for (const { label, times } of running) console.log(`${label.padEnd(16)} p50 ${ms(quantile(times, 0.5)).padStart(9)}   p95 ${ms(quantile(times, 0.95)).padStart(9)}`);
}

/** `bam dev hello` spawned → first answer, in ms. */
async function coldStart() {
  const server = await startServer([bam, 'dev', 'hello', '--port', '0']);
  try {
    const { status } = await get(server.url);
    if (status !== 200) throw new Error(`first answer ${status}`);
    return performance.now() - server.started;
  } finally {
    await server.stop();
  }
}

/**
 * Saves a new version of hot.js EDITS times while RELOAD_CONNECTIONS clients request it in a
 * closed loop; per save: ms to the first answer of the new code, and the answers of requests
 * sent after the save (writeFileSync had returned) that still came from older code.
 */
async function reloads() {
  const server = await startServer([bam, 'dev', 'hot', '--port', '0']);
  const agent = new Agent({ keepAlive: true, maxSockets: RELOAD_CONNECTIONS });
  let current = 0;
  let savedAt = performance.now();
  let firstNew;
  let stale = 0;
  let running = true;
  const client = async () => {
    while (running) {
      const sentAt = performance.now();
      const expected = current;
      const { body } = await get(server.url, agent);
      if (sentAt < savedAt) continue; // sent before the save: either answer is right
      if (body === `v${expected}`) firstNew ??= performance.now();
      else stale += 1;
    }
  };
  const clients = Array.from({ length: RELOAD_CONNECTIONS }, client);
  const times = [];
  try {
    for (let i = 1; i <= EDITS; i++) {
      await new Promise((r) => setTimeout(r, SAVE_EVERY_MS));
      firstNew = undefined;
      writeFileSync(join(cwd, 'hot.js'), version(`v${i}`));
      savedAt = performance.now();
      current = i;
      while (firstNew === undefined) await new Promise((r) => setTimeout(r, 1));
      times.push(firstNew - savedAt);
    }
  } finally {
    running = false;
    await Promise.all(clients);
    agent.destroy();
    await server.stop();
  }
  return { times, stale };
}

try {
  const [one, five, fifteen] = loadavg().map((l) => l.toFixed(2));
  console.log(`machine: ${availableParallelism()} CPUs, load average ${one} ${five} ${fifteen}`);
  console.log(`servers on Node ${NODE_VERSION}; bam dev's default: owned connections (BAM_DEV_OWN_CONNECTIONS=1)`);
  const ratios = { owned: { 1: [], 10: [] }, main: { 1: [], 10: [] } };
  if (PARTS.includes('throughput')) for (let round = 1; round <= ROUNDS; round++) {
    if (ROUNDS > 1) console.log(`\nround ${round} of ${ROUNDS}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    for (const connections of [1, 10]) {
      console.log(`\nhello handler, ${connections} keep-alive connection${connections > 1 ? 's' : ''}, ${SECONDS} s each in ${SLICES} turns (after 1 s warm-up)`);
      const ratio = await throughput(connections);
      for (const mode of ['owned', 'main']) ratios[mode][connections].push(ratio[mode]);
      console.log(`bam dev / bare node:http throughput at ${connections}: owned ${(ratio.owned * 100).toFixed(0)}%, main ${(ratio.main * 100).toFixed(0)}% (default: ${DEFAULT_MODE})`);
    }
  }
  const percent = (values) => `${(quantile(values, 0.5) * 100).toFixed(0)}%`;
  const each = (values) => values.map((r) => (r * 100).toFixed(0)).join(', ');
  for (const mode of ['owned', 'main']) {
    const { 1: one, 10: ten } = ratios[mode];
    if (ROUNDS > 1 && ten.length > 0) console.log(`\n${MODES[mode]}, median of ${ROUNDS} rounds: ${percent(one)} at 1 connection (${each(one)}), ${percent(ten)} at 10 (${each(ten)})`);
  }
  const ten = ratios[DEFAULT_MODE][10];
  if (ten.length > 0) console.log(`throughput target, bam dev's default on Node ${NODE_VERSION} (at least ${TARGET_RATIO * 100}% at 10 connections): ${quantile(ten, 0.5) >= TARGET_RATIO ? 'met' : 'NOT met'}`);

  if (PARTS.includes('connect')) await newConnections();

  const starts = [];
  if (PARTS.includes('cold')) for (let i = 0; i < COLD_RUNS; i++) starts.push(await coldStart());
  if (starts.length > 0) console.log(`\ncold start (bam dev hello spawned → first answer): median ${ms(quantile(starts, 0.5))} of ${COLD_RUNS} (${sorted(starts).map((t) => t.toFixed(0)).join(', ')})`);

  if (PARTS.includes('reload')) {
    const { times, stale } = await reloads();
    const median = quantile(times, 0.5);
    console.log(`\nreload over ${EDITS} saves (one a second), ${RELOAD_CONNECTIONS} clients: save → first new answer median ${ms(median)}, p95 ${ms(quantile(times, 0.95))}, max ${ms(Math.max(...times))}`);
    console.log(`stale answers (request sent after the save, old code answered): ${stale}`);
    console.log(`reload target (median under ${TARGET_RELOAD_MS} ms, no stale answer): ${median < TARGET_RELOAD_MS && stale === 0 ? 'met' : 'NOT met'}`);
  }
} finally {
  rmSync(cwd, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
  rmSync(secondHome, { recursive: true, force: true });
}
