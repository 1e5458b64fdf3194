import { describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { startDev, useDevWorld } from './devProcess.js';

// A function served alone has its connections answered by its sandbox's own thread
// (src/dev/connectionHandover.ts; by default from Node 22, BAM_DEV_OWN_CONNECTIONS=0 or 1 decides).
// These are the cases where that thread cannot, or must not, answer by itself, against the built
// CLI as a real process.

const world = useDevWorld();
/** bam dev with its connections owned by the function's sandbox, or not. */
const start = (args: string[], own = true) => startDev(args, { ...world, env: { BAM_DEV_OWN_CONNECTIONS: own ? '1' : '0' } });
const nodeMajor = Number(process.versions.node.split('.')[0]);
/** A handler that ends its sandbox with process.exit(code) on /exit, and answers 'alive' otherwise. */
const exitsOnExit = (code: number) => `exports.handler = async (event) => {
  if (event.path === '/exit') process.exit(${code});
  return { statusCode: 200, body: 'alive' };
};
`;
/** A handler that holds its thread for 4 s on /loop (past a 1 s timeout), and answers 'alive' otherwise. */
const LOOPS_ON_LOOP = `exports.handler = async (event) => {
  if (event.path === '/loop') for (const until = Date.now() + 4000; Date.now() < until; );
  return { statusCode: 200, body: 'alive' };
};
`;

/** A GET on the agent's connection, with the answer's headers and the client's port (which connection it came on). */
function get(url: string, agent: Agent): Promise<{ status: number; headers: IncomingHttpHeaders; body: string; port: number | undefined }> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      let body = '';
      const port = res.socket.localPort;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, port }));
    })
      .on('error', reject)
      .end();
  });
}

describe('bam dev with a function that owns its connections', () => {
  it('never runs two requests at once in one sandbox: those that come while one runs go to another', async () => {
    // Each sandbox notes whether a request started while another ran in it.
    const slow = `const sandbox = Math.random().toString(36).slice(2);
let running = 0;
exports.handler = async () => {
  running += 1;
  const overlapped = running > 1;
  await new Promise((resolve) => setTimeout(resolve, 300));
  running -= 1;
  return { statusCode: 200, body: JSON.stringify({ sandbox, overlapped }) };
};
`;
    await writeFile(join(world.cwd, 'slow.js'), slow);
    const dev = await start(['slow']);
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const answers = await Promise.all([1, 2, 3, 4].map(() => get(dev.url, agent)));
    const bodies = answers.map(({ body }) => JSON.parse(body) as { sandbox: string; overlapped: boolean });
    expect(answers.map(({ status }) => status)).toEqual([200, 200, 200, 200]);
    expect(bodies.filter(({ overlapped }) => overlapped)).toEqual([]);
    expect(new Set(bodies.map(({ sandbox }) => sandbox)).size).toBeGreaterThan(1);
    agent.destroy();
    await dev.stop();
  });

  it('answers the next request on a connection kept across a save with the saved code, and closes that connection', async () => {
    const file = join(world.cwd, 'kept.js');
    const version = (v: string) => `exports.handler = async () => ({ statusCode: 200, body: '${v}' });\n`;
    await writeFile(file, version('v1'));
    const dev = await start(['kept']);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await get(dev.url, agent);
    expect([first.body, first.headers.connection]).toEqual(['v1', 'keep-alive']);
    await writeFile(file, version('v2'));
    const afterSave = await get(dev.url, agent);
    expect([afterSave.body, afterSave.headers.connection]).toEqual(['v2', 'close']);
    // A new connection, served by a sandbox of the new code.
    const next = await get(dev.url, agent);
    expect([next.body, next.headers.connection]).toEqual(['v2', 'keep-alive']);
    agent.destroy();
    await dev.stop();
  });

  it.each([true, false])('answers every request of a handler that awaits, from many connections and the Lambda API at once (sandbox owns connections: %s)', async (own) => {
    // While one request awaits, those on the sandbox's other connections go through bam dev
    // (forwarded), and bam dev runs them and the Lambda API's invocations in the same sandbox,
    // waiting on its answers in the shared memory: each answer must reach its own request.
    const awaits = `exports.handler = async (event) => {
  await new Promise((resolve) => setImmediate(resolve));
  return { statusCode: 200, body: event.path ?? 'invoked' };
};
`;
    await writeFile(join(world.cwd, 'awaits.js'), awaits);
    const dev = await start(['awaits'], own);
    const lambda = /Local Lambda API at (http:\/\/\S+)/.exec(dev.output())?.[1];
    expect(lambda).toBeDefined();
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const invoke = () =>
      new Promise<string>((resolve, reject) => {
        request(`${lambda}/2015-03-31/functions/awaits/invocations`, { method: 'POST' }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve(`${res.statusCode ?? 0} ${body}`));
        })
          .on('error', reject)
          .end('{}');
      });
    const connection = async (n: number) => {
      const answers: string[] = [];
      for (let i = 0; i < 150; i++) {
        const { status, body } = await get(`${dev.url}c${n}/${i}`, agent);
        answers.push(`${status} ${body}`);
      }
      return answers;
    };
    const invoker = async () => {
      const answers: string[] = [];
      for (let i = 0; i < 40; i++) answers.push(await invoke());
      return answers;
    };
    const [byConnection, byInvoke] = await Promise.all([Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(connection)), Promise.all([invoker(), invoker()])]);
    byConnection.forEach((answers, n) => expect(answers).toEqual(answers.map((_, i) => `200 /c${n}/${i}`)));
    expect(byInvoke.flat()).toEqual(Array(80).fill(`200 ${JSON.stringify({ statusCode: 200, body: 'invoked' })}`));
    expect(dev.output()).not.toMatch(/timed out|TypeError/);
    agent.destroy();
    await dev.stop();
  });

  it.each([true, false])('answers what JSON makes of a result, as Lambda does, whichever thread maps it (sandbox owns connections: %s)', async (own) => {
    // A result JSON gives back unchanged is mapped as it is in the sandbox's thread; these are not.
    const results = `exports.handler = async (event) => {
  if (event.path === '/tojson') return { statusCode: 200, body: 'raw', toJSON: () => ({ statusCode: 201, body: 'from toJSON' }) };
  if (event.path === '/number') return { statusCode: 200, headers: { 'X-Count': 5 }, body: 'n' };
  if (event.path === '/date') return { statusCode: 200, headers: { 'X-When': new Date(0) }, body: 'd' };
  if (event.path === '/undefined') return { statusCode: 200, headers: { 'X-Gone': undefined }, body: 'u' };
  if (event.path === '/utf8') return { statusCode: 200, body: 'h\\u00e9llo \\ud83d\\ude00 x\\ud800y' };
  return { statusCode: 200, headers: { 'Content-Type': 'text/plain' }, body: 'plain' };
};
`;
    await writeFile(join(world.cwd, 'results.js'), results);
    const dev = await start(['results'], own);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const plain = await get(dev.url, agent);
      expect([plain.status, plain.body, plain.headers['content-type']]).toEqual([200, 'plain', 'text/plain']);
      const toJson = await get(`${dev.url}tojson`, agent);
      expect([toJson.status, toJson.body]).toEqual([201, 'from toJSON']);
      const number = await get(`${dev.url}number`, agent);
      expect([number.status, number.headers['x-count']]).toEqual([200, '5']);
      const date = await get(`${dev.url}date`, agent);
      expect([date.status, date.headers['x-when']]).toEqual([200, '1970-01-01T00:00:00.000Z']);
      const gone = await get(`${dev.url}undefined`, agent);
      expect([gone.status, gone.body, 'x-gone' in gone.headers]).toEqual([200, 'u', false]);
      // Not ASCII: UTF-8 bytes (a lone surrogate becomes U+FFFD), counted in Content-Length.
      const utf8 = await get(`${dev.url}utf8`, agent);
      expect([utf8.status, utf8.body, utf8.headers['content-length']]).toEqual([200, 'h\u00e9llo \ud83d\ude00 x\ufffdy', String(Buffer.byteLength('h\u00e9llo \ud83d\ude00 x\ufffdy'))]);
    } finally {
      agent.destroy();
      await dev.stop();
    }
  });

  it.each([true, false])('answers a streaming handler in order from its connections and the Lambda API at once, every part of every answer (sandbox owns connections: %s)', async (own) => {
    // A quick function's batch is answered through the shared memory while bam dev waits; a stream
    // part cannot be: bam dev stops waiting, and every answer comes by message, in order.
    const streams = `exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write('a');
  await new Promise((resolve) => setImmediate(resolve));
  responseStream.write('b');
  responseStream.end();
});
`;
    await writeFile(join(world.cwd, 'streams.js'), streams);
    const dev = await start(['streams'], own);
    const lambda = /Local Lambda API at (http:\/\/\S+)/.exec(dev.output())?.[1];
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const invoker = async () => {
      const answers: string[] = [];
      for (let i = 0; i < 40; i++) {
        const res = await fetch(`${lambda}/2015-03-31/functions/streams/invocations`, { method: 'POST', body: '{}' });
        answers.push(`${res.status} ${await res.text()}`);
      }
      return answers;
    };
    const connection = async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await get(dev.url, agent)).status);
      return statuses;
    };
    const [invoked, served] = await Promise.all([Promise.all([invoker(), invoker()]), Promise.all([1, 2, 3, 4].map(connection))]);
    expect(invoked.flat()).toEqual(Array(80).fill('200 ab'));
    // Not a proxy response: a REST API answers a streamed result 502, at once.
    expect(served.flat()).toEqual(Array(80).fill(502));
    expect(dev.output()).toMatch(/Malformed Lambda proxy response/);
    expect(dev.output()).not.toMatch(/timed out/);
    agent.destroy();
    await dev.stop();
  });

  it("answers 502 to a request whose timeout ends the sandbox that owns its connection, and the function answers on", async () => {
    const sleeps = `exports.handler = async (event) => {
  const ms = Number(event.queryStringParameters?.ms ?? 0);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { statusCode: 200, body: 'slept ' + ms };
};
`;
    await writeFile(join(world.cwd, 'sleeps.js'), sleeps);
    const dev = await start(['sleeps', '--timeout', '1']);
    const lambda = /Local Lambda API at (http:\/\/\S+)/.exec(dev.output())?.[1];
    // Three connections, all served by the function's one sandbox.
    const agent = new Agent({ keepAlive: true, maxSockets: 3 });
    const sent = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${dev.url}${path}`, { agent }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject).end();
      });
    expect((await Promise.all([sent('?ms=0'), sent('?ms=1'), sent('?ms=2')])).map(({ status }) => status)).toEqual([200, 200, 200]);
    // Invoked through bam dev, the sandbox has a known quick time: a request forwarded to bam dev
    // while the sandbox runs another may then wait in that same sandbox.
    for (let i = 0; i < 3; i++) await fetch(`${lambda}/2015-03-31/functions/sleeps/invocations`, { method: 'POST', body: '{}' }).then((res) => res.text());
    const running = sent('?ms=60');
    await new Promise((resolve) => setTimeout(resolve, 15));
    const [timedOut, ran] = await Promise.all([sent('?ms=3000'), running]);
    expect([timedOut.status, timedOut.body]).toEqual([502, JSON.stringify({ message: 'Internal server error' })]);
    expect([ran.status, ran.body]).toEqual([200, 'slept 60']);
    await dev.waitForOutput(/^sleeps \S+ ERROR Task timed out after 1\.00 seconds/m);
    await dev.waitForOutput(/^GET \/\?ms=3000 502 /m);
    // A new sandbox answers the next request.
    const after = await sent('?ms=3');
    expect([after.status, after.body]).toEqual([200, 'slept 3']);
    agent.destroy();
    await dev.stop();
  });

  it('stays up when sandboxes that own connections end again and again while requests arrive on them', async () => {
    // Node 20 aborts the process when a request arrives on a worker thread whose end has begun
    // (FATAL ERROR in its HTTP parser): a sandbox stops reading its connections before it ends.
    const exits = `exports.handler = async (event) => {
  if (event.path === '/exit') process.exit(1);
  await new Promise((resolve) => setImmediate(resolve));
  return { statusCode: 200, body: 'alive' };
};
`;
    await writeFile(join(world.cwd, 'exitsOften.js'), exits);
    const dev = await start(['exitsOften']);
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const outcomes: string[] = [];
    const client = async (n: number) => {
      for (let i = 0; i < 60; i++) {
        const path = n === 0 && i % 6 === 5 ? 'exit' : `c${n}`;
        // A connection of an ended sandbox may be closed under a request (the known limit of owning them).
        outcomes.push(await get(`${dev.url}${path}`, agent).then(({ status }) => `${path === 'exit' ? 'exit' : 'other'} ${status}`, () => 'closed'));
      }
    };
    await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(client));
    expect(dev.output()).not.toMatch(/FATAL/);
    expect(dev.child.exitCode).toBeNull();
    expect(outcomes.filter((o) => o !== 'closed' && o !== 'exit 502' && o !== 'other 200' && o !== 'other 502')).toEqual([]);
    expect((await get(dev.url, new Agent())).status).toBe(200);
    agent.destroy();
    await dev.stop();
  });

  it("keeps a connection open when the sandbox serving it ends between two of its requests, and another sandbox answers the next", async () => {
    // API Gateway's connections outlive a sandbox: the client's next request goes on the same one.
    await writeFile(join(world.cwd, 'outlived.js'), exitsOnExit(1));
    const dev = await start(['outlived']);
    const [a, b] = [new Agent({ keepAlive: true, maxSockets: 1 }), new Agent({ keepAlive: true, maxSockets: 1 })];
    // Both connections go to the function's one sandbox.
    expect((await get(dev.url, a)).status).toBe(200);
    const before = await get(dev.url, b);
    expect((await get(`${dev.url}exit`, a)).status).toBe(502);
    await dev.waitForOutput(/^outlived \S+ ERROR Runtime\.ExitError/m);
    await new Promise((resolve) => setTimeout(resolve, 300)); // bam dev has dealt with the ended sandbox's connections
    const after = await get(dev.url, b);
    expect([after.status, after.body, after.port]).toEqual([200, 'alive', before.port]);
    a.destroy();
    b.destroy();
    await dev.stop();
  });

  it.runIf(nodeMajor >= 22)('answers a request that came on its connection while its sandbox was stuck past its timeout, on that connection', async () => {
    // The stuck thread reads the request only as it is ended by force, too late to send it to bam
    // dev by message: it leaves it in their shared memory, and bam dev answers it.
    await writeFile(join(world.cwd, 'stuck.js'), LOOPS_ON_LOOP);
    const dev = await start(['stuck', '--timeout', '1']);
    const [a, b] = [new Agent({ keepAlive: true, maxSockets: 1 }), new Agent({ keepAlive: true, maxSockets: 1 })];
    expect((await get(dev.url, a)).status).toBe(200);
    const before = await get(dev.url, b);
    const looping = get(`${dev.url}loop`, a);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [looped, waited] = await Promise.all([looping, get(dev.url, b)]);
    expect(looped.status).toBe(502);
    expect([waited.status, waited.body, waited.port]).toEqual([200, 'alive', before.port]);
    expect((await get(dev.url, b)).port).toBe(before.port);
    a.destroy();
    b.destroy();
    await dev.stop();
  });

  it.runIf(nodeMajor < 22)('stays up on Node 20 when a request comes on the connection of a sandbox stuck past its timeout, and closes that connection', async () => {
    // Node 20's HTTP parser aborts the process if it reads a request as the stuck thread is ended;
    // read as a stream instead, the request is dropped unseen: bam dev closes the stuck sandbox's
    // connections, so the client gets an error at once rather than waiting for an answer forever.
    await writeFile(join(world.cwd, 'stuck20.js'), LOOPS_ON_LOOP);
    const dev = await start(['stuck20', '--timeout', '1']);
    const agents = [0, 1, 2, 3].map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
    await Promise.all(agents.map((agent) => get(dev.url, agent)));
    const looping = get(`${dev.url}loop`, agents[0] as Agent);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const outcome = (agent: Agent) => Promise.race([get(dev.url, agent).then(() => 'answered', () => 'closed'), new Promise((resolve) => setTimeout(() => resolve('no answer'), 4000))]);
    const [, ...waited] = await Promise.all([looping, ...agents.slice(1).map(outcome)]);
    expect(waited.filter((o) => o === 'no answer')).toEqual([]);
    expect(dev.output()).not.toMatch(/FATAL/);
    expect(dev.child.exitCode).toBeNull();
    expect((await get(dev.url, new Agent())).status).toBe(200);
    for (const agent of agents) agent.destroy();
    await dev.stop();
  });

  it.each([true, false])('prints the access lines of requests answered just before it stops (connection still open: %s)', async (open) => {
    // The sandbox sends its lines in batches: they go out before its thread is ended.
    await writeFile(join(world.cwd, 'lastWords.js'), exitsOnExit(1));
    const dev = await start(['lastWords']);
    const agent = new Agent({ keepAlive: open, maxSockets: 1 });
    expect((await get(`${dev.url}one`, agent)).status).toBe(200);
    expect((await get(`${dev.url}two`, agent)).status).toBe(200);
    if (!open) agent.destroy();
    await dev.stop();
    expect(dev.output()).toMatch(/^GET \/one 200 [\s\S]*^GET \/two 200 /m);
    agent.destroy();
  });

  it('answers 502 itself when the handler ends its sandbox mid-request, and a fresh sandbox answers the next', async () => {
    await writeFile(join(world.cwd, 'exits.js'), exitsOnExit(3));
    const dev = await start(['exits']);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    expect((await get(dev.url, agent)).body).toBe('alive');
    const failed = await get(`${dev.url}exit`, agent);
    expect([failed.status, failed.body]).toEqual([502, JSON.stringify({ message: 'Internal server error' })]);
    await dev.waitForOutput(/^exits \S+ ERROR Runtime\.ExitError: .*exit status 3/m);
    // Its access line, as for any request: bam dev answered it, not the sandbox.
    await dev.waitForOutput(/^GET \/exit 502 /m);
    expect((await get(dev.url, agent)).body).toBe('alive');
    agent.destroy();
    await dev.stop();
  });
});
