// The load generator of bench/dev, run as its own process so it takes no CPU from the server
// it measures: `node load.mjs URL CONNECTIONS SECONDS WARMUP_SECONDS` prints one JSON line,
// { requests, rps, p50, p99, errors }. Each connection is a keep-alive socket sending its next GET
// as soon as the last answer is in (a closed loop). It speaks just enough HTTP/1.1 for a
// benchmark: answers must carry Content-Length (bam dev and the bare server both send it).
import { connect } from 'node:net';

const [url, connectionsArg = '10', secondsArg = '5', warmupArg = '1'] = process.argv.slice(2);
const target = new URL(url);
const connections = Number(connectionsArg);
const REQUEST = Buffer.from(`GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nAccept: */*\r\n\r\n`);
const HEADER_END = Buffer.from('\r\n\r\n');

/** One connection in a closed loop until `until` (ms, performance.now()); latencies go to `into`. */
function connection(until, into) {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname);
    socket.setNoDelay(true);
    let buffered = Buffer.alloc(0);
    let sentAt = 0;
    let errors = 0;
    const send = () => {
      if (performance.now() >= until) {
        socket.end();
        return resolve(errors);
      }
      sentAt = performance.now();
      socket.write(REQUEST);
    };
    socket.on('connect', send);
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      for (;;) {
        const headerEnd = buffered.indexOf(HEADER_END);
        if (headerEnd < 0) return;
        const head = buffered.subarray(0, headerEnd).toString('latin1');
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        if (!length) return reject(new Error(`an answer without Content-Length:\n${head}`));
        const total = headerEnd + HEADER_END.length + Number(length[1]);
        if (buffered.length < total) return;
        buffered = buffered.subarray(total);
        if (!head.startsWith('HTTP/1.1 200')) errors += 1;
        into.push(performance.now() - sentAt);
        send();
      }
    });
  });
}

async function run(seconds) {
  const latencies = [];
  const started = performance.now();
  const errors = await Promise.all(Array.from({ length: connections }, () => connection(started + seconds * 1000, latencies)));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { requests: latencies.length, rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), errors: errors.reduce((a, b) => a + b, 0) };
}

await run(Number(warmupArg));
console.log(JSON.stringify(await run(Number(secondsArg))));
