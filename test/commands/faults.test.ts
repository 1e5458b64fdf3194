import { appendFile, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GetRestApisCommandInput } from '@aws-sdk/client-api-gateway';
import { REGION, awsError, type FakeAws, type FakeAwsState } from '../aws/fakeAws.js';
import { HELLO, expectRecordsMatchAws, records, runBam, setScene, type Scene } from '../aws/scene.js';
import { DEFAULT_ROLE } from '../../src/core/records.js';

// Every AWS call a command makes fails in turn, in every way a call can fail; after the failed
// command, and again after the command a user would run next, the records list exactly what
// AWS has. The calls come from a clean run of each command, so a call added later is covered.

interface Scenario {
  title: string;
  command: string[];
  /** Commands that set the scene (run once; every case starts from a copy of what they left). */
  setup?: string[][];
  /** bam's default role is neither known to config.json nor present in IAM. */
  roleMissing?: boolean;
  /** hello.js is edited after the setup, so the command has new code to send. */
  editCode?: boolean;
  /** What the user wanted, checked once the next command is done. */
  goal: 'endpoint' | 'gone';
  methods?: string[];
}

const SCENARIOS: Scenario[] = [
  { title: 'deploy (role known)', command: ['deploy', 'hello'], goal: 'endpoint', methods: ['GET'] },
  { title: 'deploy (role missing)', command: ['deploy', 'hello'], roleMissing: true, goal: 'endpoint', methods: ['GET'] },
  { title: 'redeploy (changed code)', setup: [['deploy', 'hello']], editCode: true, command: ['redeploy', 'hello'], goal: 'endpoint', methods: ['GET'] },
  { title: 'redeploy --methods POST', setup: [['deploy', 'hello']], command: ['redeploy', 'hello', '--methods', 'POST'], goal: 'endpoint', methods: ['GET', 'POST'] },
  {
    title: 'redeploy --addEndpoint (lambda-only function)',
    setup: [['deploy', 'hello', '--lambdaOnly']],
    command: ['redeploy', 'hello', '--addEndpoint'],
    goal: 'endpoint',
    methods: ['GET'],
  },
  { title: 'delete', setup: [['deploy', 'hello']], command: ['delete', 'hello'], goal: 'gone' },
];

interface Way {
  title: string;
  /** Only for calls that change something: for a read, "AWS acted" is the same as "it did not". */
  writesOnly?: boolean;
  /** Makes the nth call of `call` (and, for a lasting fault, the sends after it) fail this way. */
  inject: (aws: FakeAws, call: string, nth: number) => void;
}

/** True for the nth call it sees (faults are matched in the order calls are answered). */
const nthCall = (nth: number) => {
  let seen = 0;
  return () => ++seen === nth;
};
const fromNthCall = (nth: number) => {
  let seen = 0;
  return () => ++seen >= nth;
};
/** As many sends as bamBam makes of a step that gets no answer: the fault outlasts its retries. */
const LASTING = 3;

const WAYS: Way[] = [
  { title: 'fails before AWS acts', inject: (aws, call, nth) => aws.fail(call, () => awsError('AccessDeniedException', `User is not authorized to perform: ${call}`), 1, nthCall(nth)) },
  { title: 'loses its answer after AWS acted', writesOnly: true, inject: (aws, call, nth) => aws.loseAnswer(call, 1, nthCall(nth)) },
  { title: 'loses its answer', inject: (aws, call, nth) => (isWrite(call) ? undefined : aws.loseAnswer(call, 1, nthCall(nth))) },
  { title: 'hangs past the timeout, AWS acted', writesOnly: true, inject: (aws, call, nth) => aws.hang(call, true, 1, nthCall(nth)) },
  { title: 'hangs past the timeout, AWS did not act', inject: (aws, call, nth) => aws.hang(call, false, 1, nthCall(nth)) },
  { title: 'hangs on every retry, AWS acted each time', writesOnly: true, inject: (aws, call, nth) => aws.hang(call, true, LASTING, fromNthCall(nth)) },
  { title: 'hangs on every retry, AWS did not act', inject: (aws, call, nth) => aws.hang(call, false, LASTING, fromNthCall(nth)) },
];

function isWrite(call: string): boolean {
  return !/^(Get|List)/.test(call);
}

function waysFor(call: string): Way[] {
  // "loses its answer" is the read's version of the write-only "after AWS acted".
  return WAYS.filter((way) => (isWrite(call) ? way.title !== 'loses its answer' : !way.writesOnly));
}

/** The steps a failure line may name for a call: the call, or the SDK waiter that polls with it. */
const STEP_NAMES: Record<string, string[]> = {
  GetFunction: ['GetFunction', 'FunctionActive', 'FunctionUpdated'],
  GetRole: ['GetRole', 'WaitForRole'],
};

/**
 * The SDK's waiters poll every 1–2 s of real time; a failed poll would cost that much per case.
 * Like instantRetries() for bamBam, the polls' sleeps become instant (waiters time themselves
 * with Date.now, not with a timer, so their limits still hold).
 */
function instantWaiterPolls(): () => void {
  const real = globalThis.setTimeout;
  globalThis.setTimeout = ((handler: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    real(handler, typeof ms === 'number' && ms >= 1000 && ms < 30_000 ? 0 : ms, ...args)) as typeof setTimeout;
  return () => {
    globalThis.setTimeout = real;
  };
}

/**
 * The records are the truth about AWS: the same functions, each API once (no duplicate, nothing
 * unrecorded, nothing recorded that is gone), and an API recorded as deployed really answers
 * (stage bam, and the function lets that API invoke it).
 */
async function expectRecordsTruthful(scene: Scene): Promise<void> {
  const { aws } = scene;
  await expectRecordsMatchAws(scene);
  for (const [name, record] of Object.entries(await records(scene))) {
    if (!record.api?.deployed) continue;
    const { restApiId } = record.api;
    expect(aws.apis.get(restApiId)!.deployments, `API ${restApiId} recorded as deployed`).toContain('bam');
    expect(aws.functions.get(name)!.permissions[`bam-apigateway-${restApiId}`], `permission for API ${restApiId}`).toBeDefined();
  }
}

/** What the user wanted is there: one function whose one API answers with these methods, or nothing at all. */
async function expectGoal(scene: Scene, scenario: Scenario, originalCode: string | undefined): Promise<void> {
  const { aws } = scene;
  const recorded = await records(scene);
  if (scenario.goal === 'gone') {
    expect([...aws.functions.keys(), ...aws.apis.keys()]).toEqual([]);
    expect(recorded).toEqual({});
    return;
  }
  const fn = aws.functions.get('hello')!;
  const [api, ...others] = [...aws.apis.values()];
  expect(others).toEqual([]);
  expect(recorded.hello!.api).toMatchObject({ restApiId: api!.id, deployed: true, methods: scenario.methods });
  expect(Object.keys(api!.document.paths['/']!).filter((method) => method !== 'options')).toEqual(scenario.methods!.map((m) => m.toLowerCase()));
  expect(api!.deployments).toContain('bam');
  expect(Object.keys(fn.permissions)).toEqual([`bam-apigateway-${api!.id}`]);
  expect(recorded.hello!.codeSha256).toBe(fn.codeSha256);
  if (scenario.editCode) expect(fn.codeSha256).not.toBe(originalCode);
  expect(await scene.world.store.intents.inRegion(REGION)).toEqual([]);
}

/** What the one error line tells the user to run, else the same command again. */
function nextCommand(scenario: Scenario, errorLine: string): string[] {
  const told = /\bbam ((?:deploy|redeploy|delete) hello(?: --\w+)*)/.exec(errorLine)?.[1];
  return told ? told.split(' ') : scenario.command;
}

/** Runs each case from the same starting point: BAM_HOME and the fake AWS as the setup left them. */
interface Start {
  scene: Scene;
  home: string;
  aws: FakeAwsState;
  calls: string[];
  originalCode: string | undefined;
}

async function prepare(scenario: Scenario): Promise<Start> {
  const scene = await setScene({ roleKnown: !scenario.roleMissing });
  if (scenario.roleMissing) scene.aws.roles.delete(DEFAULT_ROLE);
  for (const command of scenario.setup ?? []) expect((await runBam(scene.world, ...command)).code).toBe(0);
  // Code, not a comment: the bundle keeps no comments but the description.
  if (scenario.editCode) await appendFile(join(scene.world.cwd, 'hello.js'), 'exports.edited = true;\n');
  const home = await mkdtemp(join(tmpdir(), 'bam-home-saved-'));
  await cp(scene.world.home, home, { recursive: true });
  const start: Start = { scene, home, aws: scene.aws.saveState(), calls: [], originalCode: scene.aws.functions.get('hello')?.codeSha256 };
  scene.aws.resetCalls();
  const clean = await runBam(scene.world, ...scenario.command);
  expect(clean.stderr).toBe('');
  start.calls = scene.aws.names();
  return start;
}

async function dispose(start: Start): Promise<void> {
  await start.scene.cleanup();
  await rm(start.home, { recursive: true, force: true });
}

async function restart(start: Start): Promise<void> {
  const { scene } = start;
  await rm(scene.world.home, { recursive: true, force: true });
  await cp(start.home, scene.world.home, { recursive: true });
  scene.aws.restoreState(start.aws);
  scene.aws.clearFaults();
  scene.aws.failsActivation = false;
  scene.aws.resetCalls();
}

let restoreTimers: () => void;
beforeAll(() => {
  restoreTimers = instantWaiterPolls();
});
afterAll(() => {
  restoreTimers();
});

/** The calls each command makes, from a clean run (so a call added to a command is failed here too). */
const CALLS = new Map<Scenario, string[]>();
for (const scenario of SCENARIOS) {
  const start = await prepare(scenario);
  CALLS.set(scenario, start.calls);
  await dispose(start);
}

for (const scenario of SCENARIOS) {
  const calls = CALLS.get(scenario)!;
  const cases = calls.flatMap((call, k) => {
    const nth = calls.slice(0, k + 1).filter((name) => name === call).length;
    return waysFor(call).map((way) => ({ call, nth, way, label: `${call} (call ${k + 1} of ${calls.length}) ${way.title}` }));
  });

  describe(`bam ${scenario.title}: ${calls.join(', ')}`, () => {
    let start: Start;
    beforeAll(async () => {
      start = await prepare(scenario);
    });
    afterAll(async () => {
      await dispose(start);
    });

    it.each(cases)('$label', async ({ call, nth, way, label }) => {
      await runCase(start, scenario, call, nth, way, label);
    });
  });
}

async function runCase(start: Start, scenario: Scenario, call: string, nth: number, way: Way, label: string): Promise<void> {
  const { aws, world } = start.scene;
  await restart(start);
  way.inject(aws, call, nth);
  const failed = await runBam(world, ...scenario.command);
  aws.clearFaults();
  const lines = failed.stderr.trim().split('\n').filter(Boolean);
  if (failed.code !== 0) {
    expect(failed.code, `${label}: exit code`).toBe(1);
    expect(lines, `${label}: one error line`).toHaveLength(1);
    expect(lines[0], `${label}: names the step`).toMatch(new RegExp(`\\b(${(STEP_NAMES[call] ?? [call]).join('|')})\\b`));
  } else {
    expect(lines, `${label}: no error`).toEqual([]);
  }
  await expectRecordsTruthfulFor(label, start.scene);

  if (failed.code !== 0) {
    const next = nextCommand(scenario, lines[0]!);
    const after = await runBam(world, ...next);
    expect(after.stderr, `${label}, then bam ${next.join(' ')}`).toBe('');
    expect(after.code).toBe(0);
    await expectRecordsTruthfulFor(`${label}, then bam ${next.join(' ')}`, start.scene);
  }
  try {
    await expectGoal(start.scene, scenario, start.originalCode);
  } catch (err) {
    throw new Error(`${label}: ${(err as Error).message}`, { cause: err });
  }
}

async function expectRecordsTruthfulFor(label: string, scene: Scene): Promise<void> {
  try {
    await expectRecordsTruthful(scene);
  } catch (err) {
    throw new Error(`${label}: ${(err as Error).message}`, { cause: err });
  }
}

describe('bam deploy, when the look for a lost API goes further', () => {
  let scene: Scene;
  beforeAll(async () => {
    scene = await setScene();
  });
  afterAll(async () => {
    await scene.cleanup();
  });

  it('finds the API an import made on a later page of GetRestApis, and makes no second one', async () => {
    const { aws, world } = scene;
    for (const name of ['other1', 'other2']) await writeFile(join(world.cwd, `${name}.js`), HELLO);
    for (const name of ['other1', 'other2']) expect((await runBam(world, 'deploy', name)).code).toBe(0);
    aws.restApisPageSize = 1;
    aws.loseAnswer('ImportRestApi');
    aws.resetCalls();
    const deployed = await runBam(world, 'deploy', 'hello');
    expect(deployed.stderr).toBe('');
    // One import; then a page per API, the third holding it.
    expect(aws.names().filter((name) => name === 'ImportRestApi')).toHaveLength(1);
    expect(aws.calls.filter((call) => call.name === 'GetRestApis').map((call) => (call.input as GetRestApisCommandInput).position)).toEqual([undefined, '1', '2']);
    expect(aws.apis.size).toBe(3);
    await expectRecordsTruthful(scene);
    expect((await records(scene)).hello!.api).toMatchObject({ restApiId: 'api3', deployed: true });
  });

  it('an import whose answer was lost and whose look failed stays an open intent, which the next command settles', async () => {
    const { aws, world } = scene;
    for (const name of ['other1', 'other2']) expect((await runBam(world, 'delete', name)).code).toBe(0);
    expect((await runBam(world, 'delete', 'hello')).code).toBe(0);
    aws.restApisPageSize = undefined;
    aws.loseAnswer('ImportRestApi');
    aws.fail('GetRestApis', () => awsError('AccessDeniedException', 'User is not authorized to perform: apigateway:GET'));
    const failed = await runBam(world, 'deploy', 'hello');
    expect(failed.code).toBe(1);
    expect(failed.stderr.trim().split('\n')).toEqual([expect.stringMatching(/GetRestApis failed: .*bam redeploy hello --addEndpoint/)]);
    // bam cannot know the API's id, so no record lists it; the intent does, until it is settled.
    const [made] = [...aws.apis.keys()];
    expect((await records(scene)).hello!.api).toBeUndefined();
    expect((await scene.world.store.intents.inRegion(REGION)).map((intent) => intent.kind)).toEqual(['api']);

    const next = await runBam(world, 'redeploy', 'hello', '--addEndpoint');
    expect(next.stderr).toBe('');
    expect([...aws.apis.keys()]).toEqual([made]);
    await expectRecordsTruthful(scene);
    expect((await records(scene)).hello!.api).toMatchObject({ restApiId: made, deployed: true });
    expect(await scene.world.store.intents.inRegion(REGION)).toEqual([]);
  });
});
