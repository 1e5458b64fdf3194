import { describe, expect, it } from 'vitest';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { startDev, useDevWorld } from './devProcess.js';

// The built CLI as a real process. No timing here: each request is sent after a save has been
// written and must get the saved code's answer (no polling, no sleep).

const world = useDevWorld();

const version = (v: string) => `exports.handler = async () => ({ statusCode: 200, body: '${v}' });\n`;

/** A GET on a keep-alive connection (as a browser or a client library reuses one). */
function get(url: string, agent: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

describe('bam dev reloads on save', () => {
  it('answers every request sent after a save with the saved code, while other requests keep it busy', async () => {
    const file = join(world.cwd, 'hot.js');
    await writeFile(file, version('v0'));
    const dev = await startDev(['hot'], world);
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    // Three clients in a loop, so sandboxes are busy (and some old code still running) at each save.
    let current = 0;
    const stale: string[] = [];
    let running = true;
    const background = async () => {
      while (running) {
        const expected = current;
        const body = await get(dev.url, agent);
        // Sent after save `expected` was written: the code of that save or a later one.
        if (Number(body.slice(1)) < expected) stale.push(`${body} after v${expected} was saved`);
      }
    };
    const clients = [background(), background(), background()];
    try {
      for (let i = 1; i <= 6; i++) {
        await writeFile(file, version(`v${i}`));
        current = i;
        expect(await get(dev.url, agent)).toBe(`v${i}`);
      }
    } finally {
      running = false;
      await Promise.all(clients);
      agent.destroy();
    }
    expect(stale).toEqual([]);
    await dev.waitForOutput(/Reloaded hot: files changed/);
  });

  it('a folder function: a save in a subfolder is seen by the next request', async () => {
    const folder = join(world.cwd, 'deep');
    await mkdir(join(folder, 'lib'), { recursive: true });
    await writeFile(join(folder, 'index.js'), "exports.handler = async () => ({ statusCode: 200, body: require('./lib/word.js') });\n");
    await writeFile(join(folder, 'lib', 'word.js'), "module.exports = 'one';\n");
    const dev = await startDev(['deep'], world);
    const agent = new Agent({ keepAlive: true });
    try {
      expect(await get(dev.url, agent)).toBe('one');
      for (const word of ['two', 'three']) {
        await writeFile(join(folder, 'lib', 'word.js'), `module.exports = '${word}';\n`);
        expect(await get(dev.url, agent)).toBe(word);
      }
    } finally {
      agent.destroy();
    }
  });
});

describe('bam dev starts the local DynamoDB when a function needs it', () => {
  // Requires the client by a computed name, so bam cannot tell from the code that it uses DynamoDB.
  const TABLES = `exports.handler = async () => {
  const { DynamoDBClient, ListTablesCommand } = require(['@aws-sdk', 'client-dynamodb'].join('/'));
  const { TableNames } = await new DynamoDBClient({}).send(new ListTablesCommand({}));
  return { statusCode: 200, body: JSON.stringify(TableNames) };
};
`;
  /** dynalite's storage files (LevelDB's CURRENT) appear in dev-db only once it has started. */
  const dynaliteStarted = async () => (await readdir(join(world.home, 'dev-db')).catch((): string[] => [])).includes('CURRENT');

  it('not for a function that uses none; on its first call for one that does, with the recorded tables', async () => {
    await writeFile(join(world.cwd, 'tables.js'), TABLES);
    // --timeout: the first call waits for dynalite to start, which a busy machine can make slow.
    const dev = await startDev(['echo', 'tables', '--fresh', '--timeout', '60'], world);
    expect(dev.output()).toMatch(/^Local DynamoDB at http:\/\/127\.0\.0\.1:\d+, data in .*dev-db \(it starts on a function's first call\)$/m);
    expect((await fetch(`${dev.urls.get('echo')}x`)).status).toBe(200);
    expect(await dynaliteStarted()).toBe(false);
    expect(dev.output()).not.toMatch(/Local DynamoDB started/);

    const res = await fetch(dev.urls.get('tables') as string);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([]);
    expect(await dynaliteStarted()).toBe(true);
    await dev.waitForOutput(/^Local DynamoDB started for a function's first call$/m);
  });

  it('at start when a function imports a DynamoDB client, its table made before the first request', async () => {
    const dev = await startDev(['notes', '--fresh'], world);
    expect(dev.output()).toMatch(/^Local DynamoDB at http:\/\/127\.0\.0\.1:\d+, data in .*dev-db; created table notes$/m);
    expect(await dynaliteStarted()).toBe(true);
  });
});
