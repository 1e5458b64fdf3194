import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGION, awsError, type FakeAws, type FakeAwsState } from '../aws/fakeAws.js';
import { records, runBam, setScene, type Scene } from '../aws/scene.js';

// The trust suite of test/commands/faults.test.ts for function URLs: every AWS call of a clean
// run fails in turn, in each way a call can fail; after the failed command, and after the command
// its error line points to, the records say exactly what AWS has, and the user's goal is reached.

interface Scenario {
  title: string;
  command: string[];
  setup?: string[][];
  /** A public URL recorded and answering, or none (the function stays). */
  goal: 'url' | 'noUrl';
  /** The URL's CORS origin the command must leave. */
  cors?: string;
}

const SCENARIOS: Scenario[] = [
  { title: 'deploy --url', command: ['deploy', 'hello', '--url'], goal: 'url' },
  { title: 'redeploy --url (lambda-only function)', setup: [['deploy', 'hello', '--lambdaOnly']], command: ['redeploy', 'hello', '--url'], goal: 'url' },
  { title: 'redeploy --cors (URL-only function)', setup: [['deploy', 'hello', '--url']], command: ['redeploy', 'hello', '--cors', 'https://example.com'], goal: 'url', cors: 'https://example.com' },
  { title: 'delete --urlOnly', setup: [['deploy', 'hello', '--url']], command: ['delete', 'hello', '--urlOnly'], goal: 'noUrl' },
];

interface Way {
  title: string;
  writesOnly?: boolean;
  inject: (aws: FakeAws, call: string, nth: number) => void;
}

const nthCall = (nth: number) => {
  let seen = 0;
  return () => ++seen === nth;
};

const WAYS: Way[] = [
  { title: 'fails before AWS acts', inject: (aws, call, nth) => aws.fail(call, () => awsError('AccessDeniedException', `User is not authorized to perform: ${call}`), 1, nthCall(nth)) },
  { title: 'loses its answer after AWS acted', writesOnly: true, inject: (aws, call, nth) => aws.loseAnswer(call, 1, nthCall(nth)) },
  { title: 'hangs past the timeout, AWS acted', writesOnly: true, inject: (aws, call, nth) => aws.hang(call, true, 1, nthCall(nth)) },
  { title: 'hangs on every retry, AWS acted each time', writesOnly: true, inject: (aws, call) => aws.hang(call, true, 3, () => true) },
];

const isWrite = (call: string): boolean => !/^(Get|List)/.test(call);
const STEP_NAMES: Record<string, string[]> = { GetFunction: ['GetFunction', 'FunctionActive'] };

/** The records are the truth: one function, a URL recorded iff AWS has one, and a recorded URL is public (both statements). */
async function expectRecordsTruthful(scene: Scene, label: string): Promise<void> {
  const { aws } = scene;
  const recorded = await records(scene);
  expect(Object.keys(recorded), label).toEqual([...aws.functions.keys()]);
  const fn = aws.functions.get('hello');
  const record = recorded.hello;
  if (!fn || !record) return;
  if (record.url) {
    expect(fn.url?.FunctionUrl, `${label}: recorded URL exists`).toBe(record.url.url);
    expect(Object.keys(fn.permissions).sort(), `${label}: recorded URL is public`).toEqual(['bam-function-url', 'bam-function-url-invoke']);
    // A CORS change is recorded once AWS has it: a record never claims one AWS does not apply.
    if (record.url.cors !== undefined) expect((fn.url?.Cors as { AllowOrigins?: string[] } | undefined)?.AllowOrigins, `${label}: recorded CORS`).toEqual([record.url.cors]);
  } else if (fn.url) {
    // A URL not (yet) recorded as made is owed: the next command finishes or removes it.
    expect(record.pendingUrl, `${label}: an unrecorded URL is owed`).toBeDefined();
  }
}

async function expectGoal(scene: Scene, scenario: Scenario, label: string): Promise<void> {
  const { aws } = scene;
  const record = (await records(scene)).hello;
  const fn = aws.functions.get('hello')!;
  expect(record, label).toBeDefined();
  if (scenario.goal === 'url') {
    expect(record!.url?.url, label).toBe(fn.url!.FunctionUrl);
    expect(record!.pendingUrl, label).toBeUndefined();
    expect(Object.keys(fn.permissions).sort(), label).toEqual(['bam-function-url', 'bam-function-url-invoke']);
    if (scenario.cors) expect(record!.url?.cors, label).toBe(scenario.cors);
  } else {
    expect(fn.url, label).toBeUndefined();
    expect(record!.url, label).toBeUndefined();
    expect(fn.permissions, label).toEqual({});
  }
  expect(await scene.world.store.intents.inRegion(REGION), label).toEqual([]);
}

function nextCommand(scenario: Scenario, errorLine: string): string[] {
  const told = /\bbam ((?:deploy|redeploy|delete) hello(?: --\w+)*)/.exec(errorLine)?.[1];
  return told ? told.split(' ') : scenario.command;
}

interface Start {
  scene: Scene;
  home: string;
  aws: FakeAwsState;
  calls: string[];
}

async function prepare(scenario: Scenario): Promise<Start> {
  const scene = await setScene();
  scene.aws.createsActive = true;
  for (const command of scenario.setup ?? []) expect((await runBam(scene.world, ...command)).code).toBe(0);
  const home = await mkdtemp(join(tmpdir(), 'bam-home-saved-'));
  await cp(scene.world.home, home, { recursive: true });
  const start: Start = { scene, home, aws: scene.aws.saveState(), calls: [] };
  scene.aws.resetCalls();
  const clean = await runBam(scene.world, ...scenario.command);
  expect(clean.stderr).toBe('');
  start.calls = scene.aws.names();
  return start;
}

async function restart(start: Start): Promise<void> {
  const { scene } = start;
  await rm(scene.world.home, { recursive: true, force: true });
  await cp(start.home, scene.world.home, { recursive: true });
  scene.aws.restoreState(start.aws);
  scene.aws.clearFaults();
  scene.aws.resetCalls();
}

const CALLS = new Map<Scenario, string[]>();
for (const scenario of SCENARIOS) {
  const start = await prepare(scenario);
  CALLS.set(scenario, start.calls);
  await start.scene.cleanup();
  await rm(start.home, { recursive: true, force: true });
}

for (const scenario of SCENARIOS) {
  const calls = CALLS.get(scenario)!;
  const cases = calls.flatMap((call, k) => {
    const nth = calls.slice(0, k + 1).filter((name) => name === call).length;
    return WAYS.filter((way) => isWrite(call) || !way.writesOnly).map((way) => ({ call, nth, way, label: `${call} (call ${k + 1} of ${calls.length}) ${way.title}` }));
  });

  describe(`bam ${scenario.title}: ${calls.join(', ')}`, () => {
    let start: Start;
    beforeAll(async () => {
      start = await prepare(scenario);
    });
    afterAll(async () => {
      await start.scene.cleanup();
      await rm(start.home, { recursive: true, force: true });
    });

    it.each(cases)('$label', async ({ call, nth, way, label }) => {
      const { aws, world } = start.scene;
      await restart(start);
      way.inject(aws, call, nth);
      const failed = await runBam(world, ...scenario.command);
      aws.clearFaults();
      const lines = failed.stderr.trim().split('\n').filter(Boolean);
      if (failed.code !== 0) {
        expect(lines, `${label}: one error line`).toHaveLength(1);
        expect(lines[0], `${label}: names the step`).toMatch(new RegExp(`\\b(${(STEP_NAMES[call] ?? [call]).join('|')})\\b`));
      } else {
        expect(lines, `${label}: no error`).toEqual([]);
      }
      await expectRecordsTruthful(start.scene, label);
      if (failed.code !== 0) {
        const next = nextCommand(scenario, lines[0]!);
        const after = await runBam(world, ...next);
        expect(after.stderr, `${label}, then bam ${next.join(' ')}`).toBe('');
        await expectRecordsTruthful(start.scene, `${label}, then bam ${next.join(' ')}`);
      }
      await expectGoal(start.scene, scenario, label);
    });
  });
}
