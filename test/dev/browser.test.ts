import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { devWorld, startDev, stopAll } from './devProcess.js';

// A real headless browser (Debian's chromium; .ci/run installs it) loads a page served by bam dev.
const CHROMIUM = '/usr/bin/chromium';

let world: Awaited<ReturnType<typeof devWorld>>;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  world = await devWorld();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});
afterAll(async () => {
  await browser?.close();
  await stopAll();
  await world?.cleanup();
});

describe('an html function under bam dev, in chromium', () => {
  it('renders with its css applied and its script run', async () => {
    const dev = await startDev(['site'], world);
    const page = await browser.newPage();
    const response = await page.goto(dev.url);
    expect(response?.status()).toBe(200);
    const title = page.locator('#title');
    // An expression in the page (this project's TypeScript has no DOM types).
    expect(await page.evaluate("getComputedStyle(document.getElementById('title')).color")).toBe('rgb(255, 0, 0)');
    expect(await title.textContent()).toBe('changed by script');
    await page.close();
    await dev.stop();
  });
});
