import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { root, startDev, stopAll, type DevProcess } from './devProcess.js';

// Every `bam create` template, written by the built CLI and served by `bam dev` as a real process.
const TEMPLATES: Record<string, string[]> = {
  hello: [],
  page: ['--html'],
  caller: ['--invoker'],
  callerPage: ['--invoker', '--html'],
  items: ['--db'],
  itemsPage: ['--db', '--html'],
  // TypeScript as written: found by bam dev with no names, like the JavaScript forms.
  typed: ['--ts'],
};

let home: string;
let cwd: string;
let dev: DevProcess;
let browser: Browser;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'bam-dev-home-'));
  cwd = await mkdtemp(join(tmpdir(), 'bam-dev-cwd-'));
  for (const [name, flags] of Object.entries(TEMPLATES)) {
    const run = spawnSync(process.execPath, [join(root, 'bin/bam.js'), 'create', name, ...flags], { cwd, encoding: 'utf8', env: { ...process.env, BAM_HOME: home } });
    if (run.status !== 0) throw new Error(`bam create ${name} failed: ${run.stderr}`);
  }
  // No --methods: each template's `// methods:` line enables what it handles, as deploy would.
  dev = await startDev([], { cwd, home });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});
afterAll(async () => {
  await browser?.close();
  await stopAll();
  await rm(home, { recursive: true, force: true });
  await rm(cwd, { recursive: true, force: true });
});

const url = (name: string, rest = '') => `${dev.urls.get(name) ?? ''}${rest}`;

async function status(name: string, method: string, rest = '', body?: unknown): Promise<number> {
  const res = await fetch(url(name, rest), { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }) });
  await res.arrayBuffer();
  return res.status;
}

describe('the templates under bam dev', () => {
  it('serves all six and creates the db templates\' tables in the local DynamoDB', () => {
    expect([...dev.urls.keys()].sort()).toEqual(Object.keys(TEMPLATES).sort());
    expect(chromiumIsThere()).toBe(true);
    expect(dev.output()).toMatch(/created table items, itemsPage|created table itemsPage, items/);
    // Started without --methods: each template's `// methods:` line is what is enabled.
    for (const name of Object.keys(TEMPLATES)) expect(dev.output()).toMatch(new RegExp(`^${name} \\(${name}(\\.js|\\.ts|/)?\\) GET,POST,PUT,PATCH,DELETE at `, 'm'));
  });

  it.each(['hello', 'page', 'caller', 'callerPage'])('%s: GET 200, POST 201, PUT/PATCH/DELETE 204', async (name) => {
    const codes = [];
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) codes.push(await status(name, method, 'x', method === 'GET' ? undefined : { a: 1 }));
    // The JSON invoker's GET needs a function to call: without one it says so with 400.
    expect(codes).toEqual([name === 'caller' ? 400 : 200, 201, 204, 204, 204]);
  });

  it('basic: path and query parameters reach the handler; POST echoes its JSON body', async () => {
    expect(await (await fetch(url('hello', 'a/b?name=bam&x=1'))).json()).toEqual({ message: 'Hello from hello', path: 'a/b', query: { name: 'bam', x: '1' } });
    const posted = await fetch(url('hello'), { method: 'POST', body: '{"n":1}', headers: { 'Content-Type': 'application/json' } });
    expect(await posted.json()).toEqual({ received: { n: 1 } });
  });

  it('html: the page shows the path and query, with its css and script inlined', async () => {
    const res = await fetch(url('page', 'some/where?name=bam'));
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('<code>/some/where</code>');
    expect(html).toContain('&#34;name&#34;:&#34;bam&#34;');
    expect(html).toMatch(/<style>\s*body \{/);
  });

  it('invoker: InvokeCommand reaches the other local function and returns its answer', async () => {
    const res = await fetch(url('caller', 'p/q?function=hello&name=bam'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { invoked: string; answer: unknown };
    expect(body.invoked).toBe('hello');
    // hello was invoked directly (not through the API), with a GET event as API Gateway sends it.
    expect(body.answer).toMatchObject({ statusCode: 200 });
    expect(JSON.parse((body.answer as { body: string }).body)).toEqual({ message: 'Hello from hello', path: 'p/q', query: { function: 'hello', name: 'bam' } });
    const missing = await fetch(url('caller', '?function=nobody'));
    expect(missing.status).toBe(502);
  });

  it('db: POST, GET one, SCAN, PUT, PATCH, DELETE against the embedded dynalite', async () => {
    expect(await status('items', 'POST', '', { id: 'a', note: 'first' })).toBe(201);
    expect(await status('items', 'POST', '', { id: 'b', note: 'second' })).toBe(201);
    expect(await (await fetch(url('items', 'a'))).json()).toEqual({ id: 'a', note: 'first' });
    const scan = (await (await fetch(url('items'))).json()) as { items: { id: string }[] };
    expect(scan.items.map((i) => i.id).sort()).toEqual(['a', 'b']);
    expect(await status('items', 'PUT', 'a', { note: 'replaced' })).toBe(204);
    expect(await status('items', 'PATCH', 'a', { extra: true })).toBe(204);
    expect(await (await fetch(url('items', 'a'))).json()).toEqual({ id: 'a', note: 'replaced', extra: true });
    expect(await status('items', 'DELETE', 'a')).toBe(204);
    expect(await status('items', 'GET', 'a')).toBe(404);
  });

  it('html in chromium: the page renders with main.css applied and application.js run', async () => {
    const page = await browser.newPage();
    expect((await page.goto(url('page')))?.status()).toBe(200);
    // Expressions in the page (this project's TypeScript has no DOM types).
    expect(await page.evaluate('getComputedStyle(document.body).maxWidth')).toBe('640px');
    expect(await page.evaluate("getComputedStyle(document.querySelector('code')).backgroundColor")).toBe('rgb(242, 242, 242)');
    expect(await page.locator('#clock').textContent()).toMatch(/^Page loaded at /);
    await page.close();
  });

  it('db + html in chromium: the form adds an item through POST and its button deletes it', async () => {
    const page = await browser.newPage();
    await page.goto(url('itemsPage'));
    await page.fill('#item', '{"id": "from-browser", "note": "hi"}');
    await Promise.all([page.waitForURL(url('itemsPage')), page.waitForLoadState('load'), page.click('#add button')]);
    await page.waitForSelector('button[data-id="from-browser"]');
    expect(await page.locator('main').textContent()).toContain('"note":"hi"');
    await page.click('button[data-id="from-browser"]');
    await page.waitForSelector('text=is empty');
    await page.close();
  });
});

function chromiumIsThere(): boolean {
  return existsSync('/usr/bin/chromium');
}
