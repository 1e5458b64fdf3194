import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runBam, setScene, deployHello, type Scene } from '../aws/scene.js';

let scene: Scene;

beforeEach(async () => {
  scene = await setScene();
});
afterEach(async () => {
  await scene.cleanup();
});

const invokeInputs = () => scene.aws.calls.filter((call) => call.name === 'Invoke').map((call) => call.input as Record<string, unknown>);
const payloadOf = (input: Record<string, unknown>) => JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array)) as unknown;

describe('bam invoke --remote', () => {
  it('sends RequestResponse with LogType Tail and prints the payload on stdout, the decoded log tail on stderr', async () => {
    await deployHello(scene);
    scene.aws.handlers.set('hello', (event) => ({ result: { got: event }, logs: ['2026-12-02T12:00:00.000Z\treq\tINFO\tsaw the event'] }));
    const run = await runBam(scene.world, 'invoke', 'hello', '--remote', '--data', '{"a":1}');
    expect(run.code).toBe(0);
    expect(invokeInputs()).toHaveLength(1);
    const [input] = invokeInputs();
    expect(input).toMatchObject({ FunctionName: 'hello', InvocationType: 'RequestResponse', LogType: 'Tail' });
    expect(payloadOf(input!)).toEqual({ a: 1 });
    expect(JSON.parse(run.stdout)).toEqual({ got: { a: 1 } });
    expect(run.stderr).toMatch(/^START RequestId: req-1 Version: \$LATEST\n.*INFO\tsaw the event\nEND RequestId: req-1\nREPORT RequestId: req-1/m);
  });

  it('prints the function error in Lambda\'s shape and exits 1; --json carries it all', async () => {
    await deployHello(scene);
    scene.aws.handlers.set('hello', () => ({ error: { errorType: 'TypeError', errorMessage: 'boom' }, logs: ['oops'] }));
    const run = await runBam(scene.world, 'invoke', 'hello', '--remote', '--json');
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout) as { payload: unknown; functionError: string; logs: string; durationMs: number };
    expect(out.payload).toEqual({ errorType: 'TypeError', errorMessage: 'boom' });
    expect(out.functionError).toBe('Unhandled');
    expect(out.logs).toContain('\noops\n');
    expect(typeof out.durationMs).toBe('number');
    expect(payloadOf(invokeInputs()[0]!)).toEqual({});
    expect(run.stderr).toContain('hello failed (Unhandled): TypeError: boom');
  });

  it('--async sends an Event invocation and prints its request id', async () => {
    await deployHello(scene);
    const run = await runBam(scene.world, 'invoke', 'hello', '--remote', '--async', '--data', '[1,2]');
    expect(run.code).toBe(0);
    expect(invokeInputs()).toEqual([expect.objectContaining({ FunctionName: 'hello', InvocationType: 'Event' })]);
    expect(invokeInputs()[0]).not.toHaveProperty('LogType');
    expect(run.stdout.trim()).toBe('req-1');
  });

  it('says when the function is not deployed', async () => {
    const run = await runBam(scene.world, 'invoke', 'hello', '--remote');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Invoke failed: Function not found/);
  });
});

describe('bam invoke: bad input', () => {
  it.each([
    [['--data', '{nope'], /not valid JSON/],
    [['--event', 'missing.json'], /Cannot read the event file missing.json: ENOENT/],
    [['--data', '{}', '--event', 'x.json'], /Give the event once/],
    [['--async'], /use it with --remote/],
    [['--noDev', '--remote'], /--noDev picks how the local code runs: leave it out with --remote/],
    [['--sample', 'fetch /'], /is not a sample/],
  ])('bad input %j: one line, exit 2', async (args, message) => {
    await writeFile(join(scene.world.cwd, 'echo.mjs'), 'export const handler = async (event) => event;\n');
    const run = await runBam(scene.world, 'invoke', 'echo', ...args);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
  });
});
