// bam dev throughput: requests per second and p50/p99 latency of a hello handler under `bam dev`
// (the built CLI, as a real process) beside the same handler behind a bare node:http server.
// Both servers run in their own process; this process is the load: N keep-alive connections,
// each sending its next request as soon as the last answer arrives, for a fixed time.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP_SECONDS = 1;

const HANDLER = `exports.handler = async (event) => ({
  statusCode: 200,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ hello: 'world', path: event.path }),
});
`;
const BARE_SERVER = `
const { createServer } = require('node:http');
const { handler } = require(process.argv[1]);
const server = createServer(async (req, res) => {
  const result = await handler({ httpMethod: req.method, path: req.url, headers: req.headers });
  res.writeHead(result.statusCode, result.headers);
  res.end(result.body);
});
server.listen(0, '127.0.0.1', () => console.log('http://127.0.0.1:' + server.address().port + '/'));
`;

const cwd = mkdtempSync(join(tmpdir(), 'bam-bench-dev-'));
const home = mkdtempSync(join(tmpdir(), 'bam-bench-home-'));
writeFileSync(join(cwd, 'hello.js'), HANDLER);

/** Starts a server process and resolves with the first URL it prints (its output is drained). */
function startServer(args) {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, BAM_HOME: home, NO_COLOR: '1', CI: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk) => {
      if (seen === null) return;
      seen += chunk;
      const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(seen)?.[1];
      if (url) {
        seen = null;
        resolve({ url, stop: () => new Promise((done) => { child.once('exit', done); child.kill('SIGTERM'); }) });
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before printing its URL`)));
  });
}

/** N connections in a closed loop for `seconds`; latencies in ms of the requests that finished. */
async function load(url, seconds) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies = [];
  const until = performance.now() + seconds * 1000;
  const one = () => new Promise((resolve, reject) => {
    const started = performance.now();
    request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
        latencies.push(performance.now() - started);
        resolve();
      });
    }).on('error', reject).end();
  });
  const connection = async () => {
    while (performance.now() < until) await one();
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, connection));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), requests: latencies.length };
}

async function measure(label, args) {
  const server = await startServer(args);
  try {
    await load(server.url, WARMUP_SECONDS);
    const result = await load(server.url, SECONDS);
    console.log(`${label.padEnd(16)} ${result.rps.toFixed(0).padStart(7)} req/s   p50 ${result.p50.toFixed(2)} ms   p99 ${result.p99.toFixed(2)} ms   (${result.requests} requests)`);
    return result;
  } finally {
    await server.stop();
  }
}

try {
  console.log(`hello handler, ${CONNECTIONS} keep-alive connections, ${SECONDS} s each (after ${WARMUP_SECONDS} s warm-up)`);
  const bare = await measure('bare node:http', ['-e', BARE_SERVER, join(cwd, 'hello.js')]);
  const dev = await measure('bam dev', [join(root, 'bin/bam.js'), 'dev', 'hello', '--port', '0']);
  const ratio = dev.rps / bare.rps;
  console.log(`bam dev / bare node throughput: ${(ratio * 100).toFixed(0)}% (target: at least 50%) ${ratio >= 0.5 ? 'met' : 'NOT met'}`);
} finally {
  rmSync(cwd, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
}
