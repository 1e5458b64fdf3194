import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { devWorld, rawRequest, startDev, stopAll } from './devProcess.js';
import { preflightHeaders } from '../../src/core/cors.js';
import { main } from '../../src/cli.js';

// These tests run the built CLI (`npm run build` first) as a real process and talk to it over HTTP.

let world: Awaited<ReturnType<typeof devWorld>>;
beforeAll(async () => {
  world = await devWorld();
});
afterEach(async () => {
  await stopAll();
  await writeFile(join(world.home, 'lambdas.json'), '{}');
});
afterAll(async () => {
  await world.cleanup();
});

/** Writes a record for `name` as bam deploy leaves it. */
async function recordFunction(name: string, fields: Record<string, unknown>, api?: Record<string, unknown>): Promise<void> {
  const record = {
    arn: `arn:aws:lambda:us-east-1:111122223333:function:${name}`, role: 'r', runtime: 'nodejs22.x', description: '', codeSha256: 'x', sourcePath: '', deployedAt: '',
    ...fields,
    ...(api ? { api: { restApiId: 'a', endpointType: 'EDGE', url: 'u', stage: 'bam', deployed: true, ...api } } : {}),
  };
  await writeFile(join(world.home, 'lambdas.json'), JSON.stringify({ 'us-east-1': { [name]: record } }));
}

/** The CORS headers of an answer (lower-cased names, as node:http gives them). */
function corsHeadersOf(headers: Record<string, string | string[] | undefined>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith('access-control-')));
}

const lowerCased = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));

describe('bam dev CORS', () => {
  it('--cors ORIGIN answers a preflight with the deployed mock\'s three headers, without running the function', async () => {
    const dev = await startDev(['echo', '--methods', 'get,post', '--cors', 'https://app.example'], world);
    const res = await rawRequest(`${dev.url}items/1`, { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' } });
    expect(res.status).toBe(200);
    expect(corsHeadersOf(res.headers)).toEqual(lowerCased(preflightHeaders('https://app.example', ['GET', 'POST'])));
    expect(res.headers['access-control-allow-methods']).toBe('GET,POST,OPTIONS');
    expect(res.body.length).toBe(0);
    // The other methods still reach the function.
    expect((await rawRequest(dev.url, { method: 'POST', body: Buffer.from('x') })).status).toBe(201);
  });

  it('takes CORS from the record; with ANY the preflight still wins for OPTIONS and allows every method', async () => {
    await recordFunction('echo', {}, { methods: ['ANY'], cors: '*' });
    const dev = await startDev(['echo'], world);
    const res = await rawRequest(dev.url, { method: 'OPTIONS' });
    expect(res.status).toBe(200);
    expect(corsHeadersOf(res.headers)).toEqual(lowerCased(preflightHeaders('*', ['ANY'])));
    expect(res.body.toString()).toBe(''); // echo would have answered its JSON
    expect((await rawRequest(dev.url, { method: 'DELETE' })).status).toBe(204);
  });

  it('without CORS, OPTIONS is a method like any other: 403 when not enabled', async () => {
    const dev = await startDev(['echo'], world);
    const res = await rawRequest(dev.url, { method: 'OPTIONS' });
    expect(res.status).toBe(403);
    expect(corsHeadersOf(res.headers)).toEqual({});
  });
});

describe('bam dev environment and timeout', () => {
  it('the handler sees the recorded variables, --envFile over them, --env over both', async () => {
    await recordFunction('echo', { env: { GREETING: 'from record' } });
    await writeFile(join(world.cwd, 'local.env'), '# local\nexport GREETING="from file"\n');
    let dev = await startDev(['echo', '--envFile', 'local.env'], world);
    expect(((await (await fetch(dev.url)).json()) as { env: { GREETING?: string } }).env.GREETING).toBe('from file');
    await dev.stop();
    dev = await startDev(['echo', '--envFile', 'local.env', '--env', 'GREETING=from flag'], world);
    expect(((await (await fetch(dev.url)).json()) as { env: { GREETING?: string } }).env.GREETING).toBe('from flag');
    await dev.stop();
    // KEY= removes the variable, as on redeploy.
    dev = await startDev(['echo', '--env', 'GREETING='], world);
    expect(((await (await fetch(dev.url)).json()) as { env: { GREETING?: string } }).env.GREETING).toBeUndefined();
  });

  it('honours the recorded timeout: a slower handler is stopped (502, "Task timed out")', async () => {
    await recordFunction('fail', { timeout: 1 });
    const dev = await startDev(['fail'], world);
    expect((await fetch(`${dev.url}slow`)).status).toBe(502); // it sleeps 5 s: only the timeout answers before
    await dev.waitForOutput(/^fail \S+ ERROR Task timed out after 1\.00 seconds$/m);
  });

  it.each([
    [['--timeout', '0'], /--timeout "0"/],
    [['--timeout', '1.5'], /--timeout "1\.5"/],
    [['--env', 'AWS_REGION=x'], /AWS_REGION is reserved/],
    [['--envFile', 'missing.env'], /--envFile: cannot read/],
    [['--cors', 'https://app.example/path'], /not an origin/],
    [['--cors', '--methods', 'options'], /answers OPTIONS itself/],
  ])('refuses %j with exit 2 before starting anything', async (args, message) => {
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    expect(await main(['node', 'bam', 'dev', 'echo', ...args], { stdout: new PassThrough(), stderr, cwd: world.cwd, home: world.home })).toBe(2);
    expect(text).toMatch(message);
  });
});
