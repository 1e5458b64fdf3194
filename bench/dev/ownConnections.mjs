// The floor of bam dev's design for a function served alone (src/dev/connectionHandover.ts and
// src/dev/directHttp.ts), not bam dev itself: how fast a sandbox thread that owns its HTTP
// connections answers with none of bam dev's work per request (API Gateway's rules, the access
// log, reload checks), against a bare node:http server, side by side (issue 16's throughput
// target, 0.7x at 10 connections). Here:
// - the main thread accepts with pauseOnConnect and never reads: it keeps the socket, the copy it
//   could answer a 502 on if the worker died (a timeout, a crash, out of memory);
// - a helper process echoes the socket's handle back: the copy that arrives is a new fd (a dup,
//   by SCM_RIGHTS), so the worker closing its copy leaves main's open;
// - the worker opens the dup with new net.Socket({ fd }) and serves it with its own http server,
//   building a REST proxy event and calling the handler in the same thread.
// Run: node bench/dev/ownConnections.mjs   (BENCH_SECONDS=5)
import { fork, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const here = fileURLToPath(import.meta.url);
const loadScript = fileURLToPath(new URL('./load.mjs', import.meta.url));
const SECONDS = process.env.BENCH_SECONDS ?? '5';

const HANDLER = `async (event) => ({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ hello: 'world', path: event.path }) })`;

const WORKER = `
const { parentPort } = require('node:worker_threads');
const { Socket } = require('node:net');
const { createServer } = require('node:http');
const handler = ${HANDLER};
const http = createServer(async (req, res) => {
  const headers = {};
  const multiValueHeaders = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers[req.rawHeaders[i]] = req.rawHeaders[i + 1];
    (multiValueHeaders[req.rawHeaders[i]] ??= []).push(req.rawHeaders[i + 1]);
  }
  const event = { resource: '/{proxy+}', path: req.url, httpMethod: req.method, headers, multiValueHeaders, queryStringParameters: null, multiValueQueryStringParameters: null, pathParameters: { proxy: req.url.slice(1) }, stageVariables: null, requestContext: { resourcePath: '/{proxy+}', httpMethod: req.method, path: '/bam' + req.url, stage: 'bam', requestId: String(Math.random()), requestTimeEpoch: Date.now(), identity: { sourceIp: req.socket.remoteAddress } }, body: null, isBase64Encoded: false };
  const result = await handler(event, { awsRequestId: event.requestContext.requestId, getRemainingTimeInMillis: () => 3000 });
  res.writeHead(result.statusCode, { ...result.headers, 'Content-Length': Buffer.byteLength(result.body) });
  res.end(result.body);
});
parentPort.on('message', ({ fd }) => http.emit('connection', new Socket({ fd, readable: true, writable: true })));
`;

const BARE = `
const { createServer } = require('node:http');
const handler = ${HANDLER};
const server = createServer(async (req, res) => {
  const result = await handler({ httpMethod: req.method, path: req.url, headers: req.headers });
  res.writeHead(result.statusCode, { ...result.headers, 'Content-Length': Buffer.byteLength(result.body) });
  res.end(result.body);
});
server.listen(0, '127.0.0.1', () => console.log('http://127.0.0.1:' + server.address().port + '/'));
`;

/** The prototype server (this file run with `serve`): prints its URL. */
function serve() {
  const helper = spawn(process.execPath, ['-e', "process.on('message', (m, handle) => process.send(m, handle));"], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const worker = new Worker(WORKER, { eval: true });
  const kept = []; // main's copies: never read, never closed while the worker may hold the dup
  const waiting = new Map();
  let next = 0;
  helper.on('message', (message, handle) => {
    waiting.get(message.id)(handle);
    waiting.delete(message.id);
  });
  const dup = (socket) => new Promise((resolve) => {
    const id = ++next;
    waiting.set(id, resolve);
    helper.send({ id }, socket._handle);
  });
  const server = createServer({ pauseOnConnect: true }, async (socket) => {
    const copy = await dup(socket);
    kept.push(socket, copy);
    worker.postMessage({ fd: copy.fd });
  });
  server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}/`));
}

function start(args) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => {
    child.stdout.once('data', (chunk) => resolve({ url: String(chunk).trim(), stop: () => child.kill('SIGKILL') }));
  });
}

function load(url, connections) {
  return new Promise((resolve, reject) => {
    const child = fork(loadScript, [`${url}hello`, String(connections), SECONDS, '1'], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load.mjs exited ${code}`))));
  });
}

if (process.argv[2] === 'serve') {
  serve();
} else {
  console.log(`machine: ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; Node ${process.version}`);
  for (const connections of [1, 10]) {
    const results = {};
    for (const [label, args] of [['bare node:http', ['-e', BARE]], ['worker owns connections', [here, 'serve']]]) {
      const server = await start(args);
      try {
        results[label] = await load(server.url, connections);
      } finally {
        server.stop();
      }
      console.log(`${connections} connection${connections > 1 ? 's' : ' '}  ${label.padEnd(24)} ${results[label].rps.toFixed(0).padStart(7)} req/s   p50 ${results[label].p50.toFixed(2)} ms   p99 ${results[label].p99.toFixed(2)} ms`);
    }
    console.log(`   ratio ${(results['worker owns connections'].rps / results['bare node:http'].rps).toFixed(2)}x`);
  }
}
