import type pg from 'pg';
import type { Histogram, HistogramBucket } from '../../src/api-types.js';
import { LOG_LEVELS, type LogLevel } from '../../src/types.js';
import { whereClause, type LogFilters } from './filters.js';

/** Bucket widths a person reads easily; the histogram takes the smallest that fits. */
const NICE_SECONDS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000,
];

/** The smallest readable bucket width that covers [from, to) in at most `buckets` buckets. */
export function bucketSecondsFor(from: Date, to: Date, buckets: number): number {
  const needed = Math.max(1, Math.ceil((to.getTime() - from.getTime()) / 1000 / buckets));
  return NICE_SECONDS.find((seconds) => seconds >= needed) ?? Math.ceil(needed / 86400) * 86400;
}

function emptyCounts(): Record<LogLevel, number> {
  return Object.fromEntries(LOG_LEVELS.map((level) => [level, 0])) as Record<LogLevel, number>;
}

/** Every bucket of [from, to), all counts zero. */
export function emptyHistogram(from: Date, to: Date, buckets: number): Histogram {
  const bucketSeconds = bucketSecondsFor(from, to, buckets);
  const widthMs = bucketSeconds * 1000;
  const result: HistogramBucket[] = [];
  for (let start = Math.floor(from.getTime() / widthMs) * widthMs; start < to.getTime(); start += widthMs) {
    result.push({ start: new Date(start).toISOString(), counts: emptyCounts() });
  }
  return { bucketSeconds, buckets: result };
}

/**
 * Counts per level in time buckets over [filters.from, filters.to), every bucket
 * present (zero when empty), oldest first. Buckets are aligned on multiples of their width
 * since 1970, so the same range always gives the same bucket starts.
 */
export async function getHistogram(
  pool: pg.Pool,
  filters: LogFilters & { from: Date; to: Date },
  buckets: number,
): Promise<Histogram> {
  const histogram = emptyHistogram(filters.from, filters.to, buckets);
  const widthMs = histogram.bucketSeconds * 1000;
  const firstStart = Date.parse(histogram.buckets[0]?.start ?? '') || 0;

  const params: unknown[] = [histogram.bucketSeconds];
  const where = whereClause(filters, params);
  const { rows } = await pool.query<{ bucket_start: string; level: LogLevel; count: string }>(
    `SELECT (floor(extract(epoch FROM "timestamp") / $1) * $1 * 1000)::bigint AS bucket_start, level, count(*) AS count
     FROM platform_logs ${where}
     GROUP BY 1, 2`,
    params,
  );
  for (const row of rows) {
    const bucket = histogram.buckets[Math.floor((Number(row.bucket_start) - firstStart) / widthMs)];
    if (bucket) bucket.counts[row.level] = Number(row.count);
  }
  return histogram;
}
