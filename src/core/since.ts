import { UsageError } from './errors.js';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

const RELATIVE = /^(\d+)([smhdw])$/;
// A date, optionally with a time; the zone (Z or ±hh:mm) is optional too.
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

export const SINCE_FORMS = '30s, 10m, 2h, 1d, 1w, or an ISO date/time such as 2025-01-31 or 2025-01-31T14:00:00Z';

/**
 * The epoch milliseconds that --since names: a duration before `now`, or an ISO date/time.
 * Dates and times without a zone are read as UTC, the zone bam prints log timestamps in.
 */
export function parseSince(value: string, now: number): number {
  const text = value.trim();
  const relative = RELATIVE.exec(text);
  if (relative) {
    const amount = Number(relative[1]);
    if (amount > 0) return now - amount * UNIT_MS[relative[2] as keyof typeof UNIT_MS];
  } else {
    const iso = ISO.exec(text);
    if (iso) {
      const hasTime = text.length > 10;
      const zoned = iso[1] !== undefined || !hasTime ? text : `${text}Z`;
      const time = Date.parse(zoned.replace(' ', 'T'));
      if (!Number.isNaN(time) && isRealDay(text)) return time;
    }
  }
  throw new UsageError(`"${value}" is not a valid --since: use ${SINCE_FORMS}.`);
}

// Date.parse rolls 2025-02-30 over to March 2; a typo should be refused instead.
function isRealDay(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
}
