let cachedSecond = -1;
let cachedPrefix = '';

/** ISO-8601 UTC with milliseconds, e.g. 2025-01-31T12:00:00.123Z; the date part is cached per second. */
export function isoTimestamp(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20);
    cachedSecond = second;
  }
  const millis = ms - second * 1000;
  return `${cachedPrefix + (millis < 10 ? '00' : millis < 100 ? '0' : '') + millis}Z`;
}
