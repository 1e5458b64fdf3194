import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RUNTIME, NODE_RUNTIMES } from '../../src/core/runtimes.js';
import { heapLimits, moduleFlags, nodeVersionNotice, runtimeRules } from '../../src/dev/runtimeRules.js';
import { root, startDev, stopAll, type DevProcess } from './devProcess.js';

// bam dev runs each function under its Lambda runtime's rules. These tests run the built CLI
// (`npm run build` first) on the functions of test/fixtures/dev/runtime-rules.

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const CALLBACK_ERROR =
  'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

const BAD_GATEWAY = JSON.stringify({ message: 'Internal server error' });
let world: { home: string; cwd: string };

beforeAll(async () => {
  world = { home: await mkdtemp(join(tmpdir(), 'bam-rules-home-')), cwd: await mkdtemp(join(tmpdir(), 'bam-rules-cwd-')) };
  // A folder of its own: no package.json above it says "type": "module", as in a fresh project.
  await cp(join(root, 'test/fixtures/dev/runtime-rules'), world.cwd, { recursive: true });
});
afterAll(async () => {
  await stopAll();
  await rm(world.home, { recursive: true, force: true });
  await rm(world.cwd, { recursive: true, force: true });
});

/** lambdas.json as bam deploy leaves it, with these functions' runtime and memory. */
async function recordFunctions(settings: Record<string, { runtime: string; memory?: number }>): Promise<void> {
  const records = Object.fromEntries(
    Object.entries(settings).map(([name, { runtime, memory }]) => [
      name,
      { arn: `arn:aws:lambda:us-east-1:111122223333:function:${name}`, role: 'r', runtime, description: '', codeSha256: 'x', sourcePath: '', deployedAt: '', ...(memory ? { memory } : {}) },
    ]),
  );
  await writeFile(join(world.home, 'lambdas.json'), JSON.stringify({ 'us-east-1': records }));
}

async function start(args: string[]): Promise<DevProcess> {
  return startDev(args, { ...world, env: { AWS_REGION: 'us-east-1' } });
}

/** What Lambda's Invoke answers for NAME (through the local Lambda API, called by inspect.mjs). */
async function invoke(dev: DevProcess, name: string, path = '/'): Promise<{ functionError?: string; payload: unknown }> {
  const res = await fetch(`${dev.urls.get('inspect')}?name=${name}&path=${encodeURIComponent(path)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { functionError?: string; payload: unknown };
}

async function get(url: string): Promise<[number, string]> {
  const res = await fetch(url);
  return [res.status, await res.text()];
}

function count(text: string, pattern: RegExp): number {
  return text.match(new RegExp(pattern.source, 'gm'))?.length ?? 0;
}

describe(`bam dev on ${DEFAULT_RUNTIME} (the default runtime)`, () => {
  let dev: DevProcess;
  beforeAll(async () => {
    await recordFunctions({});
    // inspect.mjs loads the SDK to call the local Lambda API: Lambda's default 3 s is short on a busy machine.
    dev = await start(['hello', 'callback', 'succeed', 'esm', 'requiresEsm', 'inspect', '--timeout', '30']);
  });
  afterAll(async () => {
    await dev.stop();
  });

  it('runs a function with no record on the default runtime', async () => {
    expect(await get(dev.urls.get('hello') as string)).toEqual([200, `AWS_Lambda_${DEFAULT_RUNTIME}`]);
  });

  it("refuses a callback handler with Lambda's Runtime.CallbackHandlerDeprecated (502), says why once", async () => {
    expect(await get(dev.urls.get('callback') as string)).toEqual([502, BAD_GATEWAY]);
    expect(await invoke(dev, 'callback')).toEqual({ functionError: 'Unhandled', payload: { errorType: 'Runtime.CallbackHandlerDeprecated', errorMessage: CALLBACK_ERROR } });
    expect((await get(dev.urls.get('callback') as string))[0]).toBe(502);
    await dev.waitForOutput(/GET \/callback\/ 502[\s\S]*GET \/callback\/ 502/); // the second request is done and printed
    const output = dev.output();
    expect(count(output, /^callback \S+ ERROR Init failed: Runtime\.CallbackHandlerDeprecated: ERROR: AWS Lambda has removed support for callback-based/)).toBe(3);
    expect(count(output, /^callback uses a callback handler, which nodejs24\.x no longer runs: make it async/)).toBe(1);
  });

  it("fails context.succeed as Lambda does (TypeError, 502) and says why", async () => {
    expect(await get(dev.urls.get('succeed') as string)).toEqual([502, BAD_GATEWAY]);
    const { functionError, payload } = await invoke(dev, 'succeed');
    expect(functionError).toBe('Unhandled');
    expect(payload).toMatchObject({ errorType: 'TypeError', errorMessage: 'context.succeed is not a function' });
    await dev.waitForOutput(/^succeed calls context\.succeed, which nodejs24\.x no longer provides: return the result from an async handler$/m);
  });

  it('runs deploy\'s bundle: an ES-module-syntax .js becomes index.mjs and a require() of an ES module is bundled, as deployed', async () => {
    expect(await get(dev.urls.get('esm') as string)).toEqual([200, 'loaded as a module']);
    expect(await get(dev.urls.get('requiresEsm') as string)).toEqual([200, 'required']);
  });
});

describe('bam dev --no-bundle: the files as they are, loaded by Lambda\'s module rules', () => {
  let dev: DevProcess;
  beforeAll(async () => {
    await recordFunctions({});
    dev = await start(['esm', 'requiresEsm', 'inspect', '--timeout', '30', '--no-bundle']);
  });
  afterAll(async () => {
    await dev.stop();
  });

  it('loads an ES-module-syntax .js without "type": "module" as CommonJS, so it fails as on Lambda', async () => {
    expect(await get(dev.urls.get('esm') as string)).toEqual([502, BAD_GATEWAY]);
    const { payload } = await invoke(dev, 'esm');
    expect(payload).toMatchObject({ errorType: 'Runtime.UserCodeSyntaxError', errorMessage: "SyntaxError: Unexpected token 'export'" });
    await dev.waitForOutput(/^esm is an ES module in a \.js file, which Lambda loads as CommonJS: add "type": "module" to its package\.json, or rename it \.mjs$/m);
  });

  it('refuses require() of an ES module, as Lambda does', async () => {
    expect((await get(dev.urls.get('requiresEsm') as string))[0]).toBe(502);
    const { payload } = await invoke(dev, 'requiresEsm');
    expect(payload).toMatchObject({ errorType: 'Error', errorMessage: expect.stringMatching(/^require\(\) of ES Module .*word\.mjs/) });
  });
});

describe('bam dev on nodejs22.x', () => {
  let dev: DevProcess;
  beforeAll(async () => {
    await recordFunctions({ callback: { runtime: 'nodejs22.x' }, succeed: { runtime: 'nodejs22.x' } });
    dev = await start(['callback', 'succeed']);
  });
  afterAll(async () => {
    await dev.stop();
  });

  it('runs the same callback and context.succeed handlers as before', async () => {
    expect(await get(dev.urls.get('callback') as string)).toEqual([200, 'called back']);
    expect(await get(dev.urls.get('succeed') as string)).toEqual([200, 'succeeded']);
    await dev.waitForOutput(/GET \/succeed\/ 200/);
    expect(dev.output()).not.toMatch(/callback handler|no longer provides/);
  });
});

describe('memory', () => {
  let dev: DevProcess;
  beforeAll(async () => {
    await recordFunctions({ hungry: { runtime: DEFAULT_RUNTIME, memory: 128 } });
    // A long timeout, so running out of memory is what ends the request even on a busy machine.
    dev = await start(['hungry', 'inspect', '--timeout', '60']);
  });
  afterAll(async () => {
    await dev.stop();
  });

  it("bounds the heap by the memory setting: running out gives Lambda's Runtime.OutOfMemory (502), and bam dev serves on", async () => {
    const url = dev.urls.get('hungry') as string;
    expect(await get(url)).toEqual([200, 'still serving']);
    expect((await get(`${url}eat`))[0]).toBe(502);
    await dev.waitForOutput(new RegExp(`^hungry (${UUID}) ERROR Runtime\\.OutOfMemory: RequestId: \\1 Error: Runtime exited with error: signal: killed$`, 'm'));
    await dev.waitForOutput(/^hungry ran out of its 128 MB: raise its memory/m);
    expect(await get(url)).toEqual([200, 'still serving']); // a fresh sandbox replaced the dead one

    const { functionError, payload } = await invoke(dev, 'hungry', '/eat');
    expect(functionError).toBe('Unhandled');
    expect(payload).toEqual({ errorType: 'Runtime.OutOfMemory', errorMessage: expect.stringMatching(new RegExp(`^RequestId: ${UUID} Error: Runtime exited with error: signal: killed$`)) });
    expect(await get(url)).toEqual([200, 'still serving']);
  });
});

describe('the Node.js version', () => {
  const [major = '', minor = ''] = process.versions.node.split('.');
  const other = NODE_RUNTIMES.find((runtime) => runtime.node !== Number(major)) as (typeof NODE_RUNTIMES)[number];
  const same = NODE_RUNTIMES.find((runtime) => runtime.node === Number(major));
  let dev: DevProcess;
  beforeAll(async () => {
    await recordFunctions({ hello: { runtime: other.name }, succeed: { runtime: same?.name ?? other.name } });
    dev = await start(['hello', 'succeed']);
  });
  afterAll(async () => {
    await dev.stop();
  });

  it('is named once per function when it is not the runtime’s, however many sandboxes start', async () => {
    const url = dev.urls.get('hello') as string;
    const answers = await Promise.all([get(url), get(url), get(url)]); // overlapping requests: more sandboxes
    expect(answers.map(([status]) => status)).toEqual([200, 200, 200]);
    await dev.waitForOutput(/(GET \/hello\/ 200[\s\S]*){3}/);
    const notice = new RegExp(`^bam dev runs hello on Node ${major}\\.${minor}; Lambda will run it on Node ${other.node}$`);
    expect(count(dev.output(), notice)).toBe(1);
    if (same) expect(dev.output()).not.toMatch(/bam dev runs succeed on/);
  });
});

describe('runtime rules', () => {
  it('callbacks end with nodejs24.x; older runtimes keep them; an unknown newer one gets the newest rules', () => {
    expect(runtimeRules('nodejs24.x')).toEqual({ name: 'nodejs24.x', node: 24, callbacks: false });
    expect(runtimeRules('nodejs22.x')).toEqual({ name: 'nodejs22.x', node: 22, callbacks: true });
    expect(runtimeRules('nodejs18.x')).toEqual({ name: 'nodejs18.x', node: 18, callbacks: true });
    expect(runtimeRules('nodejs26.x')).toEqual({ name: 'nodejs26.x', node: 26, callbacks: false });
    expect(runtimeRules()).toMatchObject({ name: DEFAULT_RUNTIME });
  });

  it('turns require(esm) and module detection off in the spelling the running Node knows', () => {
    expect(moduleFlags(new Set(['--no-experimental-require-module', '--no-experimental-detect-module', '--experimental-require-module']))).toEqual([
      '--no-experimental-require-module',
      '--no-experimental-detect-module',
    ]);
    expect(moduleFlags(new Set(['--no-require-module', '--no-experimental-require-module', '--no-experimental-detect-module']))).toEqual([
      '--no-require-module',
      '--no-experimental-detect-module',
    ]);
    expect(moduleFlags(new Set(['--max-old-space-size']))).toEqual([]);
    for (const flag of moduleFlags()) expect(process.allowedNodeEnvironmentFlags.has(flag)).toBe(true);
  });

  it('says nothing when the majors agree, and names both versions when they do not', () => {
    expect(nodeVersionNotice('hello', runtimeRules('nodejs24.x'), '24.11.1')).toBeUndefined();
    expect(nodeVersionNotice('hello', runtimeRules('nodejs24.x'), '20.20.2')).toBe('bam dev runs hello on Node 20.20; Lambda will run it on Node 24');
    expect(nodeVersionNotice('hello', runtimeRules('python3.13'), '20.20.2')).toBeUndefined();
  });

  it('gives the heap the memory setting less what Node itself takes, more with more memory', () => {
    const small = heapLimits(128);
    expect(small.maxOldGenerationSizeMb + small.maxYoungGenerationSizeMb).toBeLessThan(128);
    expect(small.maxOldGenerationSizeMb).toBeGreaterThanOrEqual(64);
    expect(heapLimits(1024).maxOldGenerationSizeMb).toBeGreaterThan(900);
  });

  it("sizes the young generation from Lambda's semi-space (5% of the memory setting, three semi-spaces in V8's count)", () => {
    expect(heapLimits(128).maxYoungGenerationSizeMb).toBe(18);
    expect(heapLimits(1024).maxYoungGenerationSizeMb).toBe(153);
    expect(heapLimits(10240).maxYoungGenerationSizeMb).toBe(1536);
  });
});
