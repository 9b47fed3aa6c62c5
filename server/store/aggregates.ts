import type pg from 'pg';
import type { ErrorAggregates, TrendBucket } from '../../src/api-types.js';
import { LOG_LEVELS, type LogLevel, type StoredLogEntry } from '../../src/types.js';
import { ENTRY_COLUMNS } from '../../src/entry-fields.js';
import { rowToEntry } from './entry-row.js';
import { coverSql, rollupCover, type RollupCover } from './error-rollup.js';
import { whereClause, type LogFilters } from './filters.js';
import { bucketSecondsFor } from './histogram.js';
import { InvalidCursorError } from './query.js';

export { InvalidCursorError };

export type AggregateSort = 'count' | 'lastSeen';

export interface AggregateFilters extends LogFilters {
  /** Default: by count, most first. */
  sort?: AggregateSort;
  /** Groups per page, 1–500; default 50. */
  limit?: number;
  /** The opaque `nextCursor` of the previous page. */
  cursor?: string;
  /** Trend buckets across [from, to), 1–MAX_TREND_BUCKETS; default 24. */
  buckets?: number;
}

export interface AggregateOptions {
  /**
   * Read whole hours and days from platform_log_error_rollup where the filters allow
   * (default true); false reads every entry, the exact reference the rollup is checked against.
   */
  useRollup?: boolean;
}

const DEFAULT_RANGE_MS = 24 * 3_600_000;
const DEFAULT_LEVELS: LogLevel[] = ['warn', 'error'];
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;
const DEFAULT_BUCKETS = 24;
/** The most trend buckets a group holds, as the route accepts and the OpenAPI document says. */
export const MAX_TREND_BUCKETS = 500;

/** Exact microsecond time as text, so a page boundary on lastSeen is exact. */
const EXACT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const SIGNATURE = /^[0-9a-f]{1,64}$/;
/** The filters platform_log_error_rollup can answer; any other sends the query to the entries. */
const ROLLUP_FILTERS = new Set<keyof AggregateFilters>([
  'levels',
  'errorSignature',
  'from',
  'to',
  'sort',
  'limit',
  'cursor',
  'buckets',
]);

function rollupServes(filters: AggregateFilters): boolean {
  return Object.entries(filters).every(
    ([key, value]) =>
      ROLLUP_FILTERS.has(key as keyof AggregateFilters) ||
      value === undefined ||
      (Array.isArray(value) && value.length === 0),
  );
}

/** Position after a group: its sort key (count, or lastSeen as exact text) and signature. */
type GroupKeyset = [sort: AggregateSort, key: number | string, signature: string];

function encodeCursor(keyset: GroupKeyset): string {
  return Buffer.from(JSON.stringify(keyset)).toString('base64url');
}

function decodeCursor(cursor: string, sort: AggregateSort): GroupKeyset {
  let decoded: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,300}$/.test(cursor)) throw new Error('not base64url');
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('is not a cursor this server made');
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 3 ||
    typeof decoded[2] !== 'string' ||
    !SIGNATURE.test(decoded[2])
  ) {
    throw new InvalidCursorError('is not a cursor this server made');
  }
  if (decoded[0] !== sort) throw new InvalidCursorError(`was made for sort=${String(decoded[0])}, not sort=${sort}`);
  const key = decoded[1];
  const validKey =
    sort === 'count'
      ? Number.isSafeInteger(key) && (key as number) >= 0
      : typeof key === 'string' && EXACT_TIME.test(key) && !Number.isNaN(Date.parse(key));
  if (!validKey) throw new InvalidCursorError('is not a cursor this server made');
  return decoded as GroupKeyset;
}

function clamp(value: number | undefined, fallback: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(1, Math.floor(value)));
}

interface GroupRow {
  signature: string;
  count: number;
  first_seen: Date;
  last_seen: Date;
  last_seen_exact: string;
  severity: number;
  services: string[];
  tenants: number;
  users: number;
  /** Counts per trend bucket start (epoch seconds) when read from the rollup. */
  trend?: Record<string, number>;
}

/**
 * Warn and error entries grouped by error signature over a time range (default the last
 * 24 hours), most frequent or most recent first, in keyset pages. Each group carries its
 * most recent entry as a sample and a trend of counts per bucket across the range.
 * Without filters on tenants, users, requests, traces, services or text, and with trend
 * buckets of whole hours (ranges over 12 hours at the default 24 buckets), whole hours and
 * days come from the rollup: exact counts, times, services and trends; tenants and users estimated.
 */
export async function getErrorAggregates(
  pool: pg.Pool,
  filters: AggregateFilters,
  options: AggregateOptions = {},
): Promise<ErrorAggregates> {
  const sort = filters.sort ?? 'count';
  const limit = clamp(filters.limit, DEFAULT_LIMIT, MAX_LIMIT);
  const to = filters.to ?? new Date();
  const from = filters.from ?? new Date(to.getTime() - DEFAULT_RANGE_MS);
  const scope: LogFilters = { ...filters, from, to, levels: filters.levels?.length ? filters.levels : DEFAULT_LEVELS };
  const after = filters.cursor === undefined ? null : decodeCursor(filters.cursor, sort);

  const bucketSeconds = bucketSecondsFor(from, to, clamp(filters.buckets, DEFAULT_BUCKETS, MAX_TREND_BUCKETS));
  // the rollup serves trend buckets of whole hours (from hour rows) or whole days (day rows)
  const cover =
    (options.useRollup ?? true) && rollupServes(filters) && bucketSeconds % 3600 === 0
      ? rollupCover(from, to, bucketSeconds % 86400 === 0)
      : null;

  const groups = cover
    ? await selectGroupsFromRollup(pool, cover, scope, sort, limit + 1, after, bucketSeconds)
    : await selectGroups(pool, scope, sort, limit + 1, after);
  const page = groups.slice(0, limit);
  if (page.length === 0) return { groups: [], nextCursor: null };

  const [samples, trends] = await Promise.all([
    selectSamples(pool, scope, page),
    cover
      ? null
      : selectTrends(
          pool,
          scope,
          page.map((group) => group.signature),
          bucketSeconds,
        ),
  ]);

  const last = page[page.length - 1];
  return {
    groups: page.map((group) => {
      const sample = samples.get(group.signature)!;
      return {
        signature: group.signature,
        level: LOG_LEVELS[group.severity],
        count: group.count,
        firstSeen: group.first_seen.toISOString(),
        lastSeen: group.last_seen.toISOString(),
        template: sample.messageTemplate,
        errorType: sample.errorType,
        errorCode: sample.errorCode,
        services: group.services,
        tenants: group.tenants,
        users: group.users,
        sample,
        trend: trendOf(
          group.trend ? countsByBucket(group.trend) : trends?.get(group.signature),
          from,
          to,
          bucketSeconds,
        ),
      };
    }),
    nextCursor:
      groups.length > limit
        ? encodeCursor([sort, sort === 'count' ? last.count : last.last_seen_exact, last.signature])
        : null,
  };
}

/** HAVING (after the previous page's last group), ORDER BY and LIMIT of a groups query. */
function pageClauses(
  sortKey: string,
  sort: AggregateSort,
  limit: number,
  after: GroupKeyset | null,
  params: unknown[],
): string {
  let having = '';
  if (after) {
    params.push(after[1], after[2]);
    const key = sort === 'count' ? `$${params.length - 1}::bigint` : `$${params.length - 1}::timestamptz`;
    having = `HAVING ${sortKey} < ${key} OR (${sortKey} = ${key} AND error_signature > $${params.length})`;
  }
  params.push(limit);
  return `${having} ORDER BY ${sortKey} DESC, error_signature LIMIT $${params.length}`;
}

/** A time as exact microsecond text, so that a page boundary on lastSeen is exact. */
const exactTime = (expression: string) => `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

async function selectGroups(
  pool: pg.Pool,
  scope: LogFilters,
  sort: AggregateSort,
  limit: number,
  after: GroupKeyset | null,
): Promise<GroupRow[]> {
  const params: unknown[] = [LOG_LEVELS];
  const where = whereClause(scope, params, ['error_signature IS NOT NULL']);
  const page = pageClauses(sort === 'count' ? 'count(*)' : 'max("timestamp")', sort, limit, after, params);
  const { rows } = await pool.query<GroupRow>(
    `SELECT error_signature AS signature,
            count(*)::int AS count,
            min("timestamp") AS first_seen,
            max("timestamp") AS last_seen,
            ${exactTime('max("timestamp")')} AS last_seen_exact,
            max(array_position($1::text[], level)) - 1 AS severity,
            array_agg(DISTINCT service ORDER BY service) AS services,
            count(DISTINCT tenant_id)::int AS tenants,
            count(DISTINCT user_id)::int AS users
     FROM platform_logs ${where}
     GROUP BY error_signature
     ${page}`,
    params,
  );
  return rows;
}

/**
 * The groups over the cover in one reading of it: counts, times and estimates for every
 * signature, then the services and trend of the page's.
 */
async function selectGroupsFromRollup(
  pool: pg.Pool,
  cover: RollupCover,
  scope: LogFilters,
  sort: AggregateSort,
  limit: number,
  after: GroupKeyset | null,
  bucketSeconds: number,
): Promise<GroupRow[]> {
  const params: unknown[] = [LOG_LEVELS, bucketSeconds];
  const rows = coverSql(cover, scope, params);
  const page = pageClauses(sort === 'count' ? 'sum(entries)' : 'max(last_seen)', sort, limit, after, params);
  // the cover holds two 512-byte hash sets a row (about 40 MB at a million entries a month):
  // room to keep it, and to sort its services, in memory
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL work_mem = '64MB'`);
    const result = await client.query<GroupRow>(
      `WITH covered AS MATERIALIZED (${rows}),
       page AS (
         SELECT error_signature AS signature,
                sum(entries)::int AS count,
                min(first_seen) AS first_seen,
                max(last_seen) AS last_seen,
                ${exactTime('max(last_seen)')} AS last_seen_exact,
                max(array_position($1::text[], level)) - 1 AS severity,
                platform_log_distinct_estimate(bit_or(tenants)) AS tenants,
                platform_log_distinct_estimate(bit_or(users)) AS users
         FROM covered
         GROUP BY error_signature
         ${page}
       ),
       services AS (
         SELECT c.error_signature AS signature, array_agg(DISTINCT service ORDER BY service) AS services
         FROM covered c JOIN page p ON p.signature = c.error_signature CROSS JOIN unnest(c.services) AS service
         GROUP BY 1
       ),
       trend AS (
         SELECT signature, json_object_agg(bucket, count) AS trend
         FROM (SELECT c.error_signature AS signature,
                      floor(extract(epoch FROM c.bucket) / $2::bigint)::bigint * $2::bigint AS bucket,
                      sum(c.entries)::int AS count
               FROM covered c JOIN page p ON p.signature = c.error_signature
               GROUP BY 1, 2) counts
         GROUP BY 1
       )
       SELECT page.*, services.services, trend.trend
       FROM page JOIN services USING (signature) JOIN trend USING (signature)
       ORDER BY ${sort === 'count' ? 'page.count' : 'page.last_seen'} DESC, page.signature`,
      params,
    );
    await client.query('COMMIT');
    return result.rows;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/**
 * The most recent entry of each group within the scope. Its time is the group's last seen,
 * so only the partitions holding those times are read.
 */
async function selectSamples(
  pool: pg.Pool,
  scope: LogFilters,
  groups: GroupRow[],
): Promise<Map<string, StoredLogEntry>> {
  const params: unknown[] = [groups.map((group) => group.signature), groups.map((group) => group.last_seen_exact)];
  const where = whereClause(scope, params, [
    'error_signature = s.signature',
    '"timestamp" = s.last_seen',
    '"timestamp" = ANY($2::timestamptz[])',
  ]);
  const { rows } = await pool.query(
    `SELECT e.* FROM unnest($1::text[], $2::timestamptz[]) AS s(signature, last_seen)
     CROSS JOIN LATERAL (
       SELECT ${ENTRY_COLUMNS} FROM platform_logs ${where} ORDER BY id DESC LIMIT 1
     ) e`,
    params,
  );
  return new Map(rows.map((row) => [row.error_signature as string, rowToEntry(row)]));
}

/** Counts per signature per bucket, buckets keyed by their start in epoch seconds. */
async function selectTrends(
  pool: pg.Pool,
  scope: LogFilters,
  signatures: string[],
  bucketSeconds: number,
): Promise<Map<string, Map<number, number>>> {
  const params: unknown[] = [signatures, bucketSeconds];
  const where = whereClause(scope, params, ['error_signature = ANY($1::text[])']);
  const { rows } = await pool.query<TrendRow>(
    `SELECT error_signature AS signature,
            floor(extract(epoch FROM "timestamp") / $2::bigint)::bigint * $2::bigint AS bucket,
            count(*)::int AS count
     FROM platform_logs ${where}
     GROUP BY 1, 2`,
    params,
  );
  return trendMap(rows);
}

interface TrendRow {
  signature: string;
  bucket: string;
  count: number;
}

function trendMap(rows: TrendRow[]): Map<string, Map<number, number>> {
  const trends = new Map<string, Map<number, number>>();
  for (const row of rows) {
    const counts = trends.get(row.signature) ?? new Map<number, number>();
    counts.set(Number(row.bucket), row.count);
    trends.set(row.signature, counts);
  }
  return trends;
}

function countsByBucket(trend: Record<string, number>): Map<number, number> {
  return new Map(Object.entries(trend).map(([bucket, count]) => [Number(bucket), count]));
}

/** Every bucket of [from, to), zero where the group had no entry. */
function trendOf(counts: Map<number, number> | undefined, from: Date, to: Date, bucketSeconds: number): TrendBucket[] {
  const trend: TrendBucket[] = [];
  const first = Math.floor(from.getTime() / 1000 / bucketSeconds) * bucketSeconds;
  for (let start = first; start * 1000 < to.getTime(); start += bucketSeconds) {
    trend.push({ start: new Date(start * 1000).toISOString(), count: counts?.get(start) ?? 0 });
  }
  return trend;
}
