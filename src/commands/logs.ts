import { setTimeout as sleepTimer } from 'node:timers/promises';
import type { FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import type { CommandContext } from '../tasks/context.js';
import { validateFunctionName } from '../core/names.js';
import { parseSince } from '../core/since.js';
import { openAws } from '../aws/clients.js';
import { functionLogGroup, readLogEvents } from '../aws/logs.js';
import { isAwsError } from '../core/errors.js';
import { style } from '../ui/style.js';
import { deployedFrameMapper } from '../package/sourceMap.js';

export interface LogsOptions {
  /** How far back to start: 30s, 10m, 2h, 1d, 1w or an ISO date/time (default 10m). */
  since?: string;
  /** Keep polling for new events until the signal aborts (Ctrl-C). */
  follow?: boolean;
  /** One JSON array; with --follow, one JSON object per line. */
  json?: boolean;
  /** Stops --follow; defaults to Ctrl-C (SIGINT). Tests pass their own. */
  signal?: AbortSignal;
  /** The wait between polls; tests make it instant. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The clock --since counts back from. */
  now?: () => number;
  pollMs?: number;
}

const DEFAULT_SINCE = '10m';
const POLL_MS = 2_000;
// Lambda's own lines around each invocation: shown dimmed so the function's output stands out.
const PLATFORM_LINE = /^(START|END|REPORT|INIT_START|INIT_REPORT) /;

/** bam logs: the function's CloudWatch Logs since --since, oldest first; --follow keeps polling. */
export async function logs(name: string, options: LogsOptions, ctx: CommandContext): Promise<void> {
  validateFunctionName(name);
  const startTime = parseSince(options.since ?? DEFAULT_SINCE, (options.now ?? Date.now)());
  const aws = await openAws(ctx.aws);
  const group = functionLogGroup(name);
  // Stack frames of the bundle point at the sources when staging has the map of the deployed code.
  const mapFrames = await deployedFrameMapper(ctx.store.paths.staging(name), (await ctx.store.lambdaRecords.get(aws.region, name))?.codeSha256);
  const format = (event: FilteredLogEvent): string => formatEvent(event, mapFrames);
  // FilterLogEvents has a low per-account rate limit: say so rather than seem to hang.
  const wait = { onWait: (message: string) => ctx.reporter.warn(message) };

  if (!options.follow) {
    const events = await readOrNothing(() => readLogEvents(aws, group, startTime, undefined, wait));
    // A script reading --json gets an array either way: no log group is no events.
    if (options.json) return ctx.reporter.result(JSON.stringify((events ?? []).map(toJson), null, 2));
    if (events === undefined) return ctx.reporter.info(noLogsYet(name, aws.region));
    if (events.length === 0) return ctx.reporter.info(`No log events for ${name} since ${new Date(startTime).toISOString()}.`);
    for (const event of events) ctx.reporter.result(format(event));
    return;
  }

  const stop = options.signal ? { signal: options.signal, dispose: () => {} } : stopOnCtrlC();
  try {
    ctx.reporter.info(`Following the logs of ${name} (times in UTC); press Ctrl-C to stop.`);
    await followEvents(startTime, stop.signal, {
      read: (from) => readOrNothing(() => readLogEvents(aws, group, from, stop.signal, wait)),
      print: (event) => ctx.reporter.result(options.json ? JSON.stringify(toJson(event)) : format(event)),
      noGroup: () => ctx.reporter.info(`${noLogsYet(name, aws.region)} Waiting for its first run...`),
      sleep: () => (options.sleep ?? abortableSleep)(options.pollMs ?? POLL_MS, stop.signal),
    });
  } finally {
    stop.dispose();
  }
}

interface FollowSteps {
  /** All events from this time on, or undefined while the log group does not exist. */
  read: (from: number) => Promise<FilteredLogEvent[] | undefined>;
  print: (event: FilteredLogEvent) => void;
  noGroup: () => void;
  sleep: () => Promise<void>;
}

/**
 * Polls from the newest timestamp seen, inclusive, because more events can share that
 * millisecond; eventIds already printed are skipped. Only ids at or after the next start
 * are remembered, so the set stays small however long it runs.
 */
async function followEvents(startTime: number, signal: AbortSignal, steps: FollowSteps): Promise<void> {
  let from = startTime;
  let seen = new Map<string, number>();
  let toldNoGroup = false;
  while (!signal.aborted) {
    let events: FilteredLogEvent[] | undefined;
    try {
      events = await steps.read(from);
    } catch (err) {
      if (signal.aborted) return; // Ctrl-C during a request
      throw err;
    }
    if (events === undefined && !toldNoGroup) {
      steps.noGroup();
      toldNoGroup = true;
    }
    for (const event of events ?? []) {
      const id = event.eventId ?? `${event.logStreamName}:${event.timestamp}:${event.message}`;
      if (seen.has(id)) continue;
      seen.set(id, event.timestamp ?? from);
      steps.print(event);
      from = Math.max(from, event.timestamp ?? from);
    }
    seen = new Map([...seen].filter(([, timestamp]) => timestamp >= from));
    await steps.sleep();
  }
}

/** The events, or undefined when the function's log group does not exist yet. */
async function readOrNothing(read: () => Promise<FilteredLogEvent[]>): Promise<FilteredLogEvent[] | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isAwsError(err, 'ResourceNotFoundException')) return undefined;
    throw err;
  }
}

/** No log group: the function has not run yet, or (a typo, another region) is not the one meant. */
function noLogsYet(name: string, region: string): string {
  return `No logs yet for ${name} in ${region}: it has not run since it was deployed (if it has, check the name and --region).`;
}

/** One line: the UTC timestamp, then the message without its trailing newline (its bundle frames mapped). */
export function formatEvent(event: FilteredLogEvent, mapFrames: (text: string) => string = (text) => text): string {
  const message = mapFrames((event.message ?? '').replace(/\r?\n$/, ''));
  const line = `${style.dim(new Date(event.timestamp ?? 0).toISOString())} ${message}`;
  return PLATFORM_LINE.test(message) ? style.dim(line) : line;
}

function toJson(event: FilteredLogEvent) {
  return {
    timestamp: new Date(event.timestamp ?? 0).toISOString(),
    message: (event.message ?? '').replace(/\r?\n$/, ''),
    logStreamName: event.logStreamName,
    eventId: event.eventId,
  };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return sleepTimer(ms, undefined, { signal }).catch(() => undefined);
}

/** An abort signal raised by the first Ctrl-C, so --follow ends cleanly with exit 0. */
function stopOnCtrlC(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  process.once('SIGINT', abort);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', abort) };
}
