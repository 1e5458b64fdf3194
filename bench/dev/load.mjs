// The load generator of bench/dev, run as its own process so it takes no CPU from the server
// it measures. Each connection is a keep-alive socket sending its next GET as soon as the last
// answer is in (a closed loop). It speaks just enough HTTP/1.1 for a benchmark: answers must carry
// Content-Length (bam dev and the bare server both send it).
// - `node load.mjs URL CONNECTIONS SECONDS WARMUP_SECONDS` warms up, measures, and prints one JSON
//   line, { requests, rps, p50, p99, errors };
// - forked with `--slices` (URL CONNECTIONS --slices), it opens its connections once and keeps
//   them (and its own JIT-compiled code) across slices: each { seconds } message runs one measured
//   slice on them and is answered with that JSON; { stop: true } closes them and exits. Servers
//   measured in turns then see what a long-lived client sends them, not a new client every slice.
import { connect } from 'node:net';

const [url, connectionsArg = '10', secondsArg = '5', warmupArg = '1'] = process.argv.slice(2);
const target = new URL(url);
const connections = Number(connectionsArg);
const REQUEST = Buffer.from(`GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nAccept: */*\r\n\r\n`);
const HEADER_END = Buffer.from('\r\n\r\n');

/** One keep-alive connection; `run` sends requests in a closed loop until a time, recording latencies. */
class Connection {
  constructor() {
    this.socket = connect(Number(target.port), target.hostname);
    this.socket.setNoDelay(true);
    this.buffered = Buffer.alloc(0);
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('error', (err) => this.fail?.(err));
    this.socket.on('close', () => this.fail?.(new Error('the server closed a keep-alive connection')));
    this.socket.on('data', (chunk) => this.read(chunk));
  }

  /** Resolves with the count of answers that were not 200, once `until` (performance.now()) has passed. */
  run(until, into) {
    return new Promise((resolve, reject) => {
      this.until = until;
      this.into = into;
      this.errors = 0;
      this.done = resolve;
      this.fail = reject;
      this.send();
    });
  }

  send() {
    if (performance.now() >= this.until) {
      this.fail = undefined;
      return this.done(this.errors);
    }
    this.sentAt = performance.now();
    this.socket.write(REQUEST);
  }

  read(chunk) {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    for (;;) {
      const headerEnd = this.buffered.indexOf(HEADER_END);
      if (headerEnd < 0) return;
      const head = this.buffered.subarray(0, headerEnd).toString('latin1');
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!length) return this.fail?.(new Error(`an answer without Content-Length:\n${head}`));
      const total = headerEnd + HEADER_END.length + Number(length[1]);
      if (this.buffered.length < total) return;
      this.buffered = this.buffered.subarray(total);
      if (!head.startsWith('HTTP/1.1 200')) this.errors += 1;
      this.into.push(performance.now() - this.sentAt);
      this.send();
    }
  }

  close() {
    this.socket.removeAllListeners('close');
    this.socket.end();
  }
}

async function run(open, seconds) {
  const latencies = [];
  const started = performance.now();
  const errors = await Promise.all(open.map((connection) => connection.run(started + seconds * 1000, latencies)));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { requests: latencies.length, rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), errors: errors.reduce((a, b) => a + b, 0) };
}

const open = Array.from({ length: connections }, () => new Connection());
await Promise.all(open.map((connection) => connection.opened));
if (secondsArg === '--slices') {
  process.on('message', (message) => {
    if (message.stop) {
      for (const connection of open) connection.close();
      process.disconnect();
      return;
    }
    run(open, message.seconds).then(
      (result) => process.send(result),
      (err) => {
        console.error(err.message);
        process.exit(1);
      },
    );
  });
  process.send({ ready: true });
} else {
  await run(open, Number(warmupArg));
  console.log(JSON.stringify(await run(open, Number(secondsArg))));
  for (const connection of open) connection.close();
}
