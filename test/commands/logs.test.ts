import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchLogsClient, FilterLogEventsCommand, ResourceNotFoundException, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { logs, type LogsOptions } from '../../src/commands/logs.js';
import { parseSince } from '../../src/core/since.js';
import { UsageError } from '../../src/core/errors.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { runBam } from '../aws/scene.js';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageFunction } from '../../src/package/index.js';

const logsMock = mockClient(CloudWatchLogsClient);
const NOW = Date.parse('2025-03-01T12:00:00.000Z');
const now = () => NOW;

let world: TestWorld;

beforeEach(async () => {
  world = await makeWorld();
});

afterEach(async () => {
  logsMock.reset();
  await world.cleanup();
});

function event(id: string, timestamp: number, message: string, ingestionTime = timestamp + 5): FilteredLogEvent {
  return { eventId: id, timestamp, ingestionTime, message, logStreamName: '2025/03/01/[$LATEST]abc' };
}

const inputs = () => logsMock.commandCalls(FilterLogEventsCommand).map((call) => call.args[0].input);
// Colours would only follow FORCE_COLOR; the assertions are about the text.
// eslint-disable-next-line no-control-regex
const plain = (text: string) => text.replace(/\u001b\[\d+m/g, '');
const results = () => world.reporter.events.filter((e) => e.type === 'result').map((e) => plain(e.text));

function notFound() {
  return new ResourceNotFoundException({ message: 'The specified log group does not exist.', $metadata: {} });
}

describe('parseSince', () => {
  it.each([
    ['30s', 30_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1w', 604_800_000],
  ])('reads %s as that long before now', (value, ms) => {
    expect(parseSince(value, NOW)).toBe(NOW - ms);
  });

  it('reads ISO dates and times, as UTC when they carry no zone', () => {
    expect(parseSince('2025-01-31', NOW)).toBe(Date.UTC(2025, 0, 31));
    expect(parseSince('2025-01-31T14:05', NOW)).toBe(Date.UTC(2025, 0, 31, 14, 5));
    expect(parseSince('2025-01-31T14:05:06.250Z', NOW)).toBe(Date.UTC(2025, 0, 31, 14, 5, 6, 250));
    expect(parseSince('2025-01-31T14:05:06+02:00', NOW)).toBe(Date.UTC(2025, 0, 31, 12, 5, 6));
  });

  it.each(['', '10', 'm', '0m', '-5m', '10 minutes', '1y', '1.5h', '2025-13-01', '2025-02-30', '2025-01-31T25:00Z', 'yesterday'])(
    'refuses %j with the accepted forms',
    (value) => {
      expect(() => parseSince(value, NOW)).toThrow(UsageError);
      expect(() => parseSince(value, NOW)).toThrow(/30s, 10m, 2h, 1d, 1w, or an ISO date\/time/);
    },
  );
});

describe('bam logs', () => {
  it('reads every page of /aws/lambda/NAME from now minus --since, passing each nextToken on', async () => {
    logsMock
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event('a', NOW - 50_000, 'first\n')], nextToken: 't1' })
      .resolvesOnce({ events: [], nextToken: 't2' })
      .resolvesOnce({ events: [event('b', NOW - 40_000, 'second\n')] });

    await logs('hello', { since: '2m', now }, world.ctx);

    expect(inputs()).toEqual([
      { logGroupName: '/aws/lambda/hello', startTime: NOW - 120_000, nextToken: undefined },
      { logGroupName: '/aws/lambda/hello', startTime: NOW - 120_000, nextToken: 't1' },
      { logGroupName: '/aws/lambda/hello', startTime: NOW - 120_000, nextToken: 't2' },
    ]);
    expect(results()).toEqual(['2025-03-01T11:59:10.000Z first', '2025-03-01T11:59:20.000Z second']);
  });

  it('defaults --since to 10 minutes', async () => {
    logsMock.on(FilterLogEventsCommand).resolves({ events: [] });
    await logs('hello', { now }, world.ctx);
    expect(inputs()[0]?.startTime).toBe(NOW - 600_000);
    expect(world.reporter.text('info')).toBe('No log events for hello since 2025-03-01T11:50:00.000Z.');
  });

  it('prints oldest first even when pages come out of order; equal times keep ingestion order', async () => {
    logsMock
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event('c', NOW - 1_000, 'newest'), event('b2', NOW - 2_000, 'tie later', NOW - 10)], nextToken: 'p2' })
      .resolvesOnce({ events: [event('b1', NOW - 2_000, 'tie earlier', NOW - 20), event('a', NOW - 3_000, 'oldest')] });

    await logs('hello', { now }, world.ctx);

    expect(results().map((line) => line.split(' ').slice(1).join(' '))).toEqual(['oldest', 'tie earlier', 'tie later', 'newest']);
  });

  it('maps the deployed bundle\'s stack frames to the .ts lines when staging has the map of the deployed CodeSha256', async () => {
    await mkdir(join(world.cwd, 'hello', 'lib'), { recursive: true });
    await writeFile(join(world.cwd, 'hello', 'index.ts'), "import { fail } from './lib/fail';\nexport const handler = async () => fail();\n");
    await writeFile(join(world.cwd, 'hello', 'lib', 'fail.ts'), "export function fail(): never {\n  throw new Error('boom');\n}\n");
    const built = await packageFunction('hello', { cwd: world.cwd, store: world.store });
    // Where `throw` is in the bundle: line 1 (whitespace is minified), the column of `throw`.
    const bundle = (await readFile(join(built.stagingDir, '.bam-build', 'index.mjs'), 'utf8')).split('\n');
    const line = bundle.findIndex((text) => text.includes('throw new Error("boom")'));
    const frame = `/var/task/index.mjs:${line + 1}:${bundle[line]!.indexOf('throw new Error("boom")') + 1}`;
    const message = `ERROR\tInvoke Error\t{"stack":"Error: boom\\n    at fail (file://${frame})"}\n`;
    logsMock.on(FilterLogEventsCommand).resolves({ events: [event('a', NOW - 1_000, message)] });
    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:hello';
    const record = { arn, role: 'defaultBamRole', runtime: 'nodejs24.x', description: '', sourcePath: join(world.cwd, 'hello'), deployedAt: '2025-03-01T00:00:00.000Z' };

    await world.store.lambdaRecords.put('us-east-1', 'hello', { ...record, codeSha256: built.codeSha256 });
    await logs('hello', { now }, world.ctx);
    expect(results()[0]).toContain('at fail (lib/fail.ts:2:3)');

    // Code deployed from elsewhere (another CodeSha256): the frame is printed as Lambda wrote it.
    world.reporter.events.length = 0;
    await world.store.lambdaRecords.put('us-east-1', 'hello', { ...record, codeSha256: 'other=' });
    await logs('hello', { now }, world.ctx);
    expect(results()[0]).toContain(`at fail (file://${frame})`);
  });

  it('--json prints one array with UTC timestamps and trimmed messages', async () => {
    logsMock.on(FilterLogEventsCommand).resolves({ events: [event('a', NOW - 1_000, 'START RequestId: r1 Version: $LATEST\n')] });
    await logs('hello', { json: true, now }, world.ctx);
    expect(JSON.parse(results()[0] ?? '')).toEqual([
      { timestamp: '2025-03-01T11:59:59.000Z', message: 'START RequestId: r1 Version: $LATEST', logStreamName: '2025/03/01/[$LATEST]abc', eventId: 'a' },
    ]);
  });

  it('says a function with no log group has not run yet, without failing', async () => {
    logsMock.on(FilterLogEventsCommand).rejects(notFound());
    await expect(logs('hello', { now }, world.ctx)).resolves.toBeUndefined();
    expect(world.reporter.text('info')).toBe('No logs yet for hello in us-east-1: it has not run since it was deployed (if it has, check the name and --region).');
    expect(results()).toEqual([]);
  });

  it('bam logs NAME --json prints [] when the function has no logs yet, and when none are recent', async () => {
    logsMock.on(FilterLogEventsCommand).rejects(notFound());
    const noGroup = await runBam(world, 'logs', 'hello', '--json');
    expect(noGroup.code).toBe(0);
    expect(JSON.parse(noGroup.stdout)).toEqual([]);
    logsMock.on(FilterLogEventsCommand).resolves({ events: [] });
    const noEvents = await runBam(world, 'logs', 'hello', '--json');
    expect(noEvents.code).toBe(0);
    expect(JSON.parse(noEvents.stdout)).toEqual([]);
  });

  it('says once that AWS is making it wait when FilterLogEvents is throttled, then prints the events', async () => {
    logsMock
      .on(FilterLogEventsCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolvesOnce({ events: [event('a', NOW - 1_000, 'one\n')] });
    await logs('hello', { now }, world.ctx);
    expect(world.reporter.events.filter((e) => e.type === 'warn').map((e) => e.text)).toEqual([
      expect.stringMatching(/^AWS is making us wait \(FilterLogEvents: rate limit reached\)/) as string,
    ]);
    expect(results()).toEqual(['2025-03-01T11:59:59.000Z one']);
  });

  it('surfaces other AWS errors naming the step', async () => {
    logsMock.on(FilterLogEventsCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    await expect(logs('hello', { now }, world.ctx)).rejects.toThrow('FilterLogEvents failed: User is not authorized');
  });

  it.each<[string, LogsOptions, RegExp]>([
    ['bad name!', {}, /not a valid function name/],
    ['hello', { since: '5 minutes' }, /not a valid --since/],
    ['hello', { since: '5 minutes', follow: true }, /not a valid --since/],
  ])('refuses %j %j before any AWS call', async (name, options, message) => {
    await expect(logs(name, { ...options, now }, world.ctx)).rejects.toThrow(message);
    await expect(logs(name, { ...options, now }, world.ctx)).rejects.toBeInstanceOf(UsageError);
    expect(logsMock.calls()).toHaveLength(0);
  });
});

describe('bam logs --follow', () => {
  /** A sleep that counts the polls and aborts after the given number of them. */
  function stopAfter(polls: number) {
    const controller = new AbortController();
    const waits: number[] = [];
    const sleep = (ms: number) => {
      waits.push(ms);
      if (waits.length >= polls) controller.abort();
      return Promise.resolve();
    };
    return { signal: controller.signal, sleep, waits };
  }

  it('polls from the newest timestamp seen and prints only events it has not printed', async () => {
    logsMock
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event('a', NOW - 5_000, 'one\n'), event('b', NOW - 3_000, 'two\n')] })
      .resolvesOnce({ events: [event('b', NOW - 3_000, 'two\n'), event('c', NOW - 3_000, 'two too\n')], nextToken: 'n' })
      .resolvesOnce({ events: [event('d', NOW - 1_000, 'three\n')] });
    const stop = stopAfter(2);

    await logs('hello', { follow: true, since: '1m', now, pollMs: 2_000, ...stop }, world.ctx);

    expect(inputs()).toEqual([
      { logGroupName: '/aws/lambda/hello', startTime: NOW - 60_000, nextToken: undefined },
      { logGroupName: '/aws/lambda/hello', startTime: NOW - 3_000, nextToken: undefined },
      { logGroupName: '/aws/lambda/hello', startTime: NOW - 3_000, nextToken: 'n' },
    ]);
    expect(results()).toEqual([
      '2025-03-01T11:59:55.000Z one',
      '2025-03-01T11:59:57.000Z two',
      '2025-03-01T11:59:57.000Z two too',
      '2025-03-01T11:59:59.000Z three',
    ]);
    expect(stop.waits).toEqual([2_000, 2_000]);
  });

  it('with --json prints one JSON object per line', async () => {
    logsMock.on(FilterLogEventsCommand).resolves({ events: [event('a', NOW - 5_000, 'one\n')] });
    await logs('hello', { follow: true, json: true, now, ...stopAfter(2) }, world.ctx);
    expect(results().map((line) => JSON.parse(line) as unknown)).toEqual([
      { timestamp: '2025-03-01T11:59:55.000Z', message: 'one', logStreamName: '2025/03/01/[$LATEST]abc', eventId: 'a' },
    ]);
  });

  it('waits for the log group to appear, saying so once', async () => {
    logsMock
      .on(FilterLogEventsCommand)
      .rejectsOnce(notFound())
      .rejectsOnce(notFound())
      .resolvesOnce({ events: [event('a', NOW, 'first run\n')] });

    await logs('hello', { follow: true, now, ...stopAfter(3) }, world.ctx);

    expect(inputs()).toHaveLength(3);
    expect(world.reporter.events.filter((e) => e.text.startsWith('No logs yet'))).toEqual([
      { type: 'info', text: 'No logs yet for hello in us-east-1: it has not run since it was deployed (if it has, check the name and --region). Waiting for its first run...' },
    ]);
    expect(results()).toEqual(['2025-03-01T12:00:00.000Z first run']);
  });

  it('ends cleanly when aborted during a request', async () => {
    const controller = new AbortController();
    logsMock.on(FilterLogEventsCommand).callsFake(() => {
      controller.abort();
      return Promise.reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));
    });
    await expect(logs('hello', { follow: true, now, signal: controller.signal, sleep: () => Promise.resolve() }, world.ctx)).resolves.toBeUndefined();
    expect(inputs()).toHaveLength(1);
  });
});
