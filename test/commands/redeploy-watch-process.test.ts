import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { ACCOUNT, HttpFakeAws, REGION } from '../aws/httpFakeAws.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { describeRun, killLeftoverBams, runBam, startBam } from '../helpers/bamProcess.js';
import { convergenceProblems } from '../helpers/converged.js';
import { DEFAULT_ROLE } from '../../src/core/records.js';

// `bam redeploy --watch` as the user runs it: the real CLI in a child process, real saves, real
// Ctrl-C (SIGINT), against the HTTP fake AWS (dist/ must be built: npx tsc -p tsconfig.json).

const HELLO = `// description: Says hello
exports.handler = async () => ({ statusCode: 200, body: 'hello' });
`;

let aws: HttpFakeAws;
let world: TestWorld;

beforeAll(async () => {
  aws = await HttpFakeAws.start();
});
afterAll(async () => {
  await aws.close();
});
beforeEach(async () => {
  aws.reset();
  aws.updatesInProgress = true;
  world = await makeWorld({ region: REGION });
  await world.store.updateConfig((config) => ({ ...config, accountNumber: ACCOUNT, knownRoles: [DEFAULT_ROLE] }));
  await writeFile(join(world.cwd, 'hello.js'), HELLO);
  const deployed = await runBam(['deploy', 'hello', '--region', REGION], options());
  expect(deployed.code, describeRun(deployed)).toBe(0);
});
afterEach(async () => {
  killLeftoverBams();
  await world.cleanup();
});

const options = () => ({ cwd: world.cwd, home: world.home, endpoint: aws.url, timeoutMs: 60_000 });
const save = (n: number) => writeFile(join(world.cwd, 'hello.js'), HELLO.replace("'hello'", `'hello ${n}'`));

/** Resolves with the output once the child has printed something matching `pattern` (from now on). */
function printed(child: ChildProcess, pattern: RegExp): Promise<string> {
  let seen = '';
  return new Promise((resolve) => {
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (!pattern.test(seen)) return;
      child.stdout?.off('data', onData);
      resolve(seen);
    };
    child.stdout?.on('data', onData);
  });
}

/** The next UpdateFunctionCode is held before AWS acts on it until `release`. */
function holdUpdate(): { arrived: Promise<void>; release: () => void } {
  let release!: () => void;
  let arrived!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const came = new Promise<void>((resolve) => (arrived = resolve));
  aws.onRequest = async (_k, name) => {
    if (name !== 'UpdateFunctionCode') return;
    aws.onRequest = undefined;
    arrived();
    await released;
  };
  return { arrived: came, release };
}

async function expectConverged(): Promise<void> {
  const recorded = await world.store.lambdaRecords.inRegion(REGION);
  expect(convergenceProblems(aws, recorded, 'hello'), JSON.stringify(aws.snapshot(), null, 2)).toEqual([]);
  expect(recorded.hello!.codeSha256).toBe(aws.functions.get('hello')!.codeSha256);
}

describe('bam redeploy --watch, run as a process', () => {
  it('sends a save as UpdateFunctionCode then the wait, and a Ctrl-C during the next update finishes it before exiting 0', async () => {
    const bam = startBam(['redeploy', 'hello', '--watch', '--region', REGION], options());
    await printed(bam.child, /Watching "hello"/);
    aws.requests.length = 0;

    const live = printed(bam.child, /hello\.js live in \d+ ms → https:\/\/\S+\/bam/);
    await save(1);
    await live;
    expect(aws.names()).toEqual(['UpdateFunctionCode', 'GetFunction']);
    await expectConverged();

    const held = holdUpdate();
    await save(2);
    await held.arrived;
    bam.child.kill('SIGINT');
    // bam says it finishes the update (its first Ctrl-C) before AWS has answered it.
    await printed(bam.child, /Finishing the AWS steps under way/);
    held.release();
    const run = await bam.done;
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toMatch(/hello\.js live in \d+ ms[\s\S]*Stopped watching/);
    await expectConverged();
  });

  it('a second Ctrl-C stops at once (exit 130)', async () => {
    const bam = startBam(['redeploy', 'hello', '--watch', '--region', REGION], options());
    await printed(bam.child, /Watching "hello"/);
    const held = holdUpdate();
    await save(1);
    await held.arrived;
    bam.child.kill('SIGINT');
    await printed(bam.child, /Finishing the AWS steps under way/);
    bam.child.kill('SIGINT');
    const run = await bam.done;
    held.release();
    expect(run.code, describeRun(run)).toBe(130);
  });
});
