// Lambda's Node.js runtimes and their end-of-life dates.
// Source: AWS Lambda Developer Guide, "Lambda runtimes" (supported and deprecated runtime tables)
// and AWS Compute Blog, "Node.js 24 runtime now available in AWS Lambda" (25 Nov 2025);
// checked 2026-12-02. Update this table, and only this table, when AWS moves a date.

/** A runtime bam knows, with the dates AWS gave for it (YYYY-MM-DD, UTC). */
export interface NodeRuntime {
  name: string;
  /** Node.js major version the runtime runs. */
  node: number;
  /** No more patches or support from this day. */
  deprecated: string;
  /** CreateFunction (and switching a function to it) refused from this day. */
  createBlocked: string;
  /** UpdateFunctionCode/Configuration of functions on it refused from this day. */
  updateBlocked: string;
  /** Callback handlers and context.done/succeed/fail (removed in nodejs24.x's runtime client 4). */
  callbacks: boolean;
}

/** Newest first; the first is the default for new functions and for `bam dev`. */
export const NODE_RUNTIMES: readonly NodeRuntime[] = [
  { name: 'nodejs24.x', node: 24, deprecated: '2028-04-30', createBlocked: '2028-06-01', updateBlocked: '2028-07-01', callbacks: false },
  { name: 'nodejs22.x', node: 22, deprecated: '2027-04-30', createBlocked: '2027-06-01', updateBlocked: '2027-07-01', callbacks: true },
  { name: 'nodejs20.x', node: 20, deprecated: '2026-04-30', createBlocked: '2026-08-31', updateBlocked: '2026-09-30', callbacks: true },
];

export const DEFAULT_RUNTIME = 'nodejs24.x';

/** Where a runtime stands on a given day. */
export type RuntimeStage = 'supported' | 'deprecated' | 'createBlocked' | 'updateBlocked';

export function findRuntime(name: string): NodeRuntime | undefined {
  return NODE_RUNTIMES.find((runtime) => runtime.name === name);
}

/** `nodejs16.x` and other Node runtimes Lambda retired before this table's oldest entry. */
export function isRetiredNodeRuntime(name: string): boolean {
  const match = /^nodejs(\d+)(?:\.x|\.\d+)$/.exec(name); // nodejs16.x, and the older nodejs8.10 style
  const oldest = NODE_RUNTIMES[NODE_RUNTIMES.length - 1]!.node;
  return match !== null && Number(match[1]) < oldest;
}

/** The day as AWS's tables write it (UTC). */
export function isoDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

export function runtimeStage(runtime: NodeRuntime, now: Date): RuntimeStage {
  const today = isoDay(now);
  if (today >= runtime.updateBlocked) return 'updateBlocked';
  if (today >= runtime.createBlocked) return 'createBlocked';
  if (today >= runtime.deprecated) return 'deprecated';
  return 'supported';
}

/** The runtimes a function can be created on (or switched to) today, newest first. */
export function usableRuntimes(now: Date): string[] {
  return NODE_RUNTIMES.filter((runtime) => runtimeStage(runtime, now) === 'supported' || runtimeStage(runtime, now) === 'deprecated').map((r) => r.name);
}

/** Lambda still accepts updates to a function on this runtime (unknown names: AWS will judge). */
export function acceptsUpdates(name: string, now: Date): boolean {
  const runtime = findRuntime(name);
  if (runtime) return runtimeStage(runtime, now) !== 'updateBlocked';
  return !isRetiredNodeRuntime(name);
}

/** "deprecated 2027-04-30, new functions blocked from 2027-06-01, updates blocked from 2027-07-01" */
export function runtimeDates(runtime: NodeRuntime): string {
  return `deprecated ${runtime.deprecated}, new functions blocked from ${runtime.createBlocked}, updates blocked from ${runtime.updateBlocked}`;
}

/**
 * A short mark for `bam list` when a function's runtime is past a milestone, else undefined:
 * "deprecated since 2027-04-30", "AWS blocks new functions since …", "AWS blocks updates since …".
 */
export function runtimeMark(name: string, now: Date): string | undefined {
  const runtime = findRuntime(name);
  if (!runtime) return isRetiredNodeRuntime(name) ? 'retired: AWS blocks updates' : undefined;
  switch (runtimeStage(runtime, now)) {
    case 'updateBlocked':
      return `AWS blocks updates since ${runtime.updateBlocked}`;
    case 'createBlocked':
      return `deprecated, AWS blocks updates from ${runtime.updateBlocked}`;
    case 'deprecated':
      return `deprecated since ${runtime.deprecated}`;
    default:
      return undefined;
  }
}

/** The Node.js major a runtime name runs (undefined for names bam does not know). */
export function runtimeNodeMajor(name: string): number | undefined {
  return findRuntime(name)?.node;
}
