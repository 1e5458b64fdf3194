import { CloudWatchLogsClient, FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import type { AwsSession } from './clients.js';
import { bamBam, type BamBamOptions } from './bamBam.js';

/** The session's CloudWatch Logs client (built on first use). */
const logsClient = (aws: AwsSession): CloudWatchLogsClient => aws.client('logs', CloudWatchLogsClient);

/** Lambda writes every function's logs to this group, created on its first run. */
export function functionLogGroup(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

/**
 * Every event of a log group from startTime on, all pages read, oldest first (ties keep the
 * order CloudWatch ingested them). FilterLogEvents interleaves streams, so pages are not in
 * time order by themselves. Throws ResourceNotFoundException (as a StepError) when the
 * group does not exist yet.
 */
export async function readLogEvents(
  aws: AwsSession,
  logGroupName: string,
  startTime: number,
  abortSignal?: AbortSignal,
  wait: BamBamOptions = {},
): Promise<FilteredLogEvent[]> {
  const events: FilteredLogEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await bamBam(aws, 'FilterLogEvents', () =>
      logsClient(aws).send(new FilterLogEventsCommand({ logGroupName, startTime, nextToken }), { abortSignal }),
      wait,
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0) || (a.ingestionTime ?? 0) - (b.ingestionTime ?? 0));
}
