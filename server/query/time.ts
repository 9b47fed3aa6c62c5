const RELATIVE_TIME = /^(\d{1,6})(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(9999, 11, 31);

/** Whether YYYY-MM-DD names a day that exists (Date.parse takes 2024-02-30 for March 1). */
function isCalendarDate(day: string): boolean {
  const [year, month, date] = day.split('-').map(Number);
  const parsed = new Date(Date.UTC(year, month - 1, date));
  return parsed.getUTCFullYear() === year && parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === date;
}

/**
 * An ISO-8601 time (UTC when it names no zone) or a time relative to now (15m, 24h, 7d: that
 * long ago); a string saying what is wrong otherwise. The API's `from`/`to` and the query
 * language's time values read times this one way.
 */
export function readTime(value: string, now: Date): Date | string {
  const relative = RELATIVE_TIME.exec(value);
  if (relative) {
    const time = now.getTime() - Number(relative[1]) * UNIT_MS[relative[2]!]!;
    return time < EARLIEST ? 'must be between 1970 and 9999' : new Date(time);
  }
  const iso = ISO_TIME.exec(value);
  if (!iso) return 'must be an ISO-8601 time (2024-05-01T12:00:00Z) or relative to now (15m, 24h, 7d)';
  const hasTime = value.length > 10;
  const text = hasTime && !iso[1] ? `${value.replace(' ', 'T')}Z` : value.replace(' ', 'T');
  const time = Date.parse(text);
  if (Number.isNaN(time) || !isCalendarDate(value.slice(0, 10))) return 'is not a valid date or time';
  if (time < EARLIEST || time > LATEST) return 'must be between 1970 and 9999';
  return new Date(time);
}
