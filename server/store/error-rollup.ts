import type pg from 'pg';
import type { RetentionDays } from '../../src/config.js';
import { LOG_LEVELS } from '../../src/types.js';
import { maxAgeCutoff, retentionCutoff } from '../retention/expiry.js';
import { whereClause, type LogFilters } from './filters.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

type TimeRange = [from: Date, to: Date];

/**
 * The stored rows that together hold every warn/error entry of a time range once: day rows
 * of platform_log_error_rollup for the whole days, hour rows for the whole hours around
 * them, and the entries themselves for the partial hours at either end.
 */
export interface RollupCover {
  days: TimeRange[];
  hours: TimeRange[];
  entries: TimeRange[];
}

const floorTo = (date: Date, ms: number) => new Date(Math.floor(date.getTime() / ms) * ms);
const ceilTo = (date: Date, ms: number) => new Date(Math.ceil(date.getTime() / ms) * ms);
const nonEmpty = (ranges: TimeRange[]) => ranges.filter(([from, to]) => from < to);

/**
 * The cover of [from, to), or null when the range holds no whole hour. Without `useDays`
 * every whole hour is read from hour rows (for trend buckets shorter than a day).
 */
export function rollupCover(from: Date, to: Date, useDays: boolean): RollupCover | null {
  const firstHour = ceilTo(from, HOUR_MS);
  const endHour = floorTo(to, HOUR_MS);
  if (firstHour >= endHour) return null;
  const entries = nonEmpty([
    [from, firstHour],
    [endHour, to],
  ]);
  const firstDay = ceilTo(firstHour, DAY_MS);
  const endDay = floorTo(endHour, DAY_MS);
  if (!useDays || firstDay >= endDay) return { days: [], hours: [[firstHour, endHour]], entries };
  return {
    days: [[firstDay, endDay]],
    hours: nonEmpty([
      [firstHour, firstDay],
      [endDay, endHour],
    ]),
    entries,
  };
}

function timeRanges(column: string, ranges: TimeRange[], params: unknown[]): string {
  const conditions = ranges.map(([from, to]) => {
    params.push(from, to);
    return `(${column} >= $${params.length - 1} AND ${column} < $${params.length})`;
  });
  return `(${conditions.join(' OR ')})`;
}

/**
 * A query of the rows covering the range, one per (signature, level, hour or day): columns
 * error_signature, level, bucket, entries, first_seen, last_seen, services, tenants, users
 * (tenants and users as hash sets, see sql/011_error_rollup.sql). Only the levels and
 * error signature filters apply: the rollup keeps nothing else.
 */
export function coverSql(
  cover: RollupCover,
  filters: Pick<LogFilters, 'levels' | 'errorSignature'>,
  params: unknown[],
): string {
  const scope: LogFilters = { levels: filters.levels, errorSignature: filters.errorSignature };
  const byWidth: [string, TimeRange[]][] = [
    ['1 day', cover.days],
    ['1 hour', cover.hours],
  ];
  // one SELECT per width, so that each reads its own partition of the rollup by its key
  const rollup = byWidth
    .filter(([, ranges]) => ranges.length > 0)
    .map(([width, ranges]) => {
      const conditions = [`bucket_width = interval '${width}'`, timeRanges('bucket', ranges, params)];
      return `SELECT error_signature, level, bucket, entries, first_seen, last_seen, services, tenants, users
        FROM platform_log_error_rollup ${whereClause(scope, params, conditions)}`;
    })
    .join('\n    UNION ALL\n    ');
  if (cover.entries.length === 0) return rollup;
  const partialHours = timeRanges('"timestamp"', cover.entries, params);
  return `${rollup}
    UNION ALL
    SELECT error_signature, level, date_bin('1 hour', "timestamp", timestamptz 'epoch'), count(*), min("timestamp"),
           max("timestamp"), array_agg(DISTINCT service ORDER BY service),
           bit_or(platform_log_hash_bit(tenant_id)), bit_or(platform_log_hash_bit(user_id))
    FROM platform_logs ${whereClause(scope, params, ['error_signature IS NOT NULL', partialHours])}
    GROUP BY 1, 2, 3`;
}

export interface PruneErrorRollupOptions {
  now: Date;
  retentionDays: RetentionDays;
  maxRetentionDays: number;
  /** Count what would be removed, remove nothing. */
  dryRun?: boolean;
}

/**
 * Removes (or, in a dry run, counts) the rollup rows of days whose entries are all past
 * their level's retention or past the maximum retention. Hour rows go with their day, so a
 * range never reads the hours of a day whose day row is gone.
 */
export async function pruneErrorRollup(
  pool: pg.Pool | pg.PoolClient,
  options: PruneErrorRollupOptions,
): Promise<number> {
  const cutoffs = LOG_LEVELS.map((level) => retentionCutoff(level, options));
  const expired = `date_bin('1 day', bucket, timestamptz 'epoch') + interval '1 day'
    <= coalesce((SELECT c.at FROM unnest($1::text[], $2::timestamptz[]) AS c(level, at) WHERE c.level = r.level), $3)`;
  const params = [LOG_LEVELS, cutoffs, maxAgeCutoff(options)];
  if (options.dryRun) {
    const { rows } = await pool.query<{ count: string }>(
      `SELECT count(*) AS count FROM platform_log_error_rollup r WHERE ${expired}`,
      params,
    );
    return Number(rows[0].count);
  }
  const result = await pool.query(`DELETE FROM platform_log_error_rollup r WHERE ${expired}`, params);
  return result.rowCount ?? 0;
}
