import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { beforeAll, describe, expect, test, vi } from 'vitest';
import { DEFAULT_RETENTION_DAYS } from '../src/config.js';
import { computeErrorSignature, generalizeMessage } from '../src/error-aggregation.js';
import type { LogLevel, StoredLogEntry } from '../src/types.js';
import type { ErrorGroup } from '../src/api-types.js';
import { getErrorAggregates, InvalidCursorError, type AggregateFilters } from '../server/store/aggregates.js';
import { runRetention } from '../server/retention/run-retention.js';
import { pruneErrorRollup } from '../server/store/error-rollup.js';
import { ensurePartitions } from '../server/store/partitions.js';
import { COPY_FROM_ROWS, insertEntries, insertUnnest } from '../transports/postgres-insert.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();

const HOUR = 3_600_000;
const to = new Date(Math.floor(Date.now() / HOUR) * HOUR);
const from = new Date(to.getTime() - 12 * HOUR);
const at = (hoursBeforeTo: number, minutes = 0) => new Date(to.getTime() - hoursBeforeTo * HOUR + minutes * 60_000);

interface Row {
  at: Date;
  level: LogLevel;
  tenantId: string;
  userId: string | null;
  service: string;
  message: string;
  errorType: string | null;
  errorCode?: string | null;
  errorStack?: string | null;
}

const stackFrom = (install: string) => `TypeError: Cannot read properties of undefined (reading 'total')
    at CartService.checkout (${install}/dist/server/cart/service.js:88:17)
    at async checkoutRoute (${install}/dist/server/routes/cart.js:21:5)`;

const dbTimeout = (order: string): Pick<Row, 'message' | 'errorType' | 'errorCode'> => ({
  message: `Query timed out after 5000ms for order ${order}`,
  errorType: 'TimeoutError',
  errorCode: 'ETIMEDOUT',
});
const fetchFailure = (url: string): Pick<Row, 'message' | 'errorType'> => ({
  message: `fetch failed: GET ${url} responded 503`,
  errorType: null,
});
const checkoutCrash = (install: string) => ({
  message: `Cannot read properties of undefined (reading 'total') in cart ${randomUUID()}`,
  errorType: 'TypeError',
  errorStack: stackFrom(install),
});

const ROWS: Row[] = [
  // database timeouts: 5 in range, two tenants, two users (and one without), two services
  { at: at(11), level: 'error', tenantId: 't1', userId: 'u1', service: 'orchestrator', ...dbTimeout('ord_1a') },
  { at: at(10), level: 'error', tenantId: 't1', userId: 'u2', service: 'orchestrator', ...dbTimeout('ord_2b') },
  { at: at(10, 30), level: 'error', tenantId: 't2', userId: 'u1', service: 'admin', ...dbTimeout('ord_3c') },
  { at: at(3), level: 'error', tenantId: 't2', userId: null, service: 'admin', ...dbTimeout('ord_4d') },
  { at: at(1), level: 'error', tenantId: 't1', userId: 'u1', service: 'orchestrator', ...dbTimeout('ord_5e') },
  // fetch failures: 3 warn in range for t1, one before the range
  {
    at: at(13),
    level: 'warn',
    tenantId: 't1',
    userId: null,
    service: 'storefront',
    ...fetchFailure('https://api.stripe.com/v1/x'),
  },
  {
    at: at(9),
    level: 'warn',
    tenantId: 't1',
    userId: 'u3',
    service: 'storefront',
    ...fetchFailure('https://api.stripe.com/v1/a'),
  },
  {
    at: at(8),
    level: 'warn',
    tenantId: 't1',
    userId: 'u3',
    service: 'storefront',
    ...fetchFailure('https://hooks.partner.io/b'),
  },
  {
    at: at(0, -5),
    level: 'warn',
    tenantId: 't1',
    userId: 'u4',
    service: 'storefront',
    ...fetchFailure('https://cdn.example.com/c?d=1'),
  },
  // one crash site from two deploys, at warn and error: 4 entries, most severe level error
  {
    at: at(6),
    level: 'warn',
    tenantId: 't3',
    userId: 'u9',
    service: 'storefront',
    ...checkoutCrash('/srv/releases/41'),
  },
  {
    at: at(5),
    level: 'error',
    tenantId: 't3',
    userId: 'u9',
    service: 'storefront',
    ...checkoutCrash('/srv/releases/42'),
  },
  { at: at(4), level: 'error', tenantId: 't4', userId: 'u8', service: 'creator-portal', ...checkoutCrash('/home/app') },
  {
    at: at(2),
    level: 'error',
    tenantId: 't3',
    userId: 'u9',
    service: 'storefront',
    ...checkoutCrash('/srv/releases/42'),
  },
];

const DB_SIGNATURE = computeErrorSignature({ ...dbTimeout('ord_0'), errorStack: null });
const FETCH_SIGNATURE = computeErrorSignature({ ...fetchFailure('https://x.example.com'), errorStack: null });
const CRASH_SIGNATURE = computeErrorSignature(checkoutCrash('/opt/x'));

beforeAll(async () => {
  for (const row of ROWS) {
    await stores.pool.query(
      `INSERT INTO platform_logs (id, "timestamp", level, tenant_id, user_id, service, message, error_type, error_code,
         error_stack, environment, error_signature, message_template)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'test', $11, $12)`,
      [
        randomUUID(),
        row.at,
        row.level,
        row.tenantId,
        row.userId,
        row.service,
        row.message,
        row.errorType,
        row.errorCode ?? null,
        row.errorStack ?? null,
        computeErrorSignature({ message: row.message, errorType: row.errorType, errorStack: row.errorStack ?? null }),
        generalizeMessage(row.message),
      ],
    );
  }
  // an info entry never makes a group
  await stores.pool.query(
    `INSERT INTO platform_logs (id, "timestamp", level, tenant_id, service, message, environment)
     VALUES ($1, $2, 'info', 't1', 'admin', 'Query timed out after 1ms for order ord_9', 'test')`,
    [randomUUID(), at(2)],
  );
});

const bySignature = (groups: ErrorGroup[]) => new Map(groups.map((g) => [g.signature, g]));

describe('getErrorAggregates', () => {
  test('groups by signature with counts, first and last seen, services, tenants and users', async () => {
    const { groups, nextCursor } = await getErrorAggregates(stores.pool, { from, to });
    expect(nextCursor).toBeNull();
    expect(groups.map((g) => [g.signature, g.count])).toEqual([
      [DB_SIGNATURE, 5],
      [CRASH_SIGNATURE, 4],
      [FETCH_SIGNATURE, 3],
    ]);
    const db = bySignature(groups).get(DB_SIGNATURE)!;
    expect(db).toMatchObject({
      level: 'error',
      firstSeen: at(11).toISOString(),
      lastSeen: at(1).toISOString(),
      template: 'Query timed out after <DURATION> for order <ID>',
      errorType: 'TimeoutError',
      errorCode: 'ETIMEDOUT',
      services: ['admin', 'orchestrator'],
      tenants: 2,
      users: 2,
    });
    const crash = bySignature(groups).get(CRASH_SIGNATURE)!;
    expect(crash).toMatchObject({ level: 'error', services: ['creator-portal', 'storefront'], tenants: 2, users: 2 });
    expect(bySignature(groups).get(FETCH_SIGNATURE)).toMatchObject({ level: 'warn', tenants: 1, users: 2 });
  });

  test('the sample is the most recent entry, in the wire shape', async () => {
    const { groups } = await getErrorAggregates(stores.pool, { from, to });
    const sample = bySignature(groups).get(DB_SIGNATURE)!.sample;
    expect(sample).toMatchObject({
      timestamp: at(1).toISOString(),
      level: 'error',
      tenantId: 't1',
      userId: 'u1',
      service: 'orchestrator',
      message: 'Query timed out after 5000ms for order ord_5e',
      errorSignature: DB_SIGNATURE,
      messageTemplate: 'Query timed out after <DURATION> for order <ID>',
      errorStack: null,
    });
    expect(Object.keys(sample)).not.toContain('tenant_id');
  });

  test('the trend counts entries per bucket across the range', async () => {
    const { groups } = await getErrorAggregates(stores.pool, { from, to, buckets: 12 });
    const db = bySignature(groups).get(DB_SIGNATURE)!;
    expect(db.trend).toHaveLength(12);
    expect(db.trend[0].start).toBe(from.toISOString());
    expect(db.trend.reduce((n, b) => n + b.count, 0)).toBe(5);
    const count = (hoursBeforeTo: number) => db.trend.find((b) => b.start === at(hoursBeforeTo).toISOString())!.count;
    expect([count(11), count(10), count(3), count(1), count(5)]).toEqual([1, 2, 1, 1, 0]);
  });

  test('sorts by last seen', async () => {
    const { groups } = await getErrorAggregates(stores.pool, { from, to, sort: 'lastSeen' });
    expect(groups.map((g) => g.signature)).toEqual([FETCH_SIGNATURE, DB_SIGNATURE, CRASH_SIGNATURE]);
  });

  test.each(['count', 'lastSeen'] as const)('pages by %s without gaps or repeats', async (sort) => {
    const all = (await getErrorAggregates(stores.pool, { from, to, sort })).groups.map((g) => g.signature);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await getErrorAggregates(stores.pool, { from, to, sort, limit: 1, cursor });
      expect(page.groups.length).toBeLessThanOrEqual(1);
      seen.push(...page.groups.map((g) => g.signature));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(all);
  });

  test('narrows to a tenant, services and levels', async () => {
    const t2 = await getErrorAggregates(stores.pool, { from, to, tenantId: 't2' });
    expect(t2.groups.map((g) => [g.signature, g.count, g.tenants])).toEqual([[DB_SIGNATURE, 2, 1]]);
    const storefront = await getErrorAggregates(stores.pool, { from, to, services: ['storefront'] });
    expect(storefront.groups.map((g) => [g.signature, g.count])).toEqual([
      [FETCH_SIGNATURE, 3],
      [CRASH_SIGNATURE, 3],
    ]);
    const warnOnly = await getErrorAggregates(stores.pool, { from, to, levels: ['warn'] });
    expect(warnOnly.groups.map((g) => [g.signature, g.count, g.level])).toEqual([
      [FETCH_SIGNATURE, 3, 'warn'],
      [CRASH_SIGNATURE, 1, 'warn'],
    ]);
  });

  test('a wider range takes in the earlier entry', async () => {
    const { groups } = await getErrorAggregates(stores.pool, { from: at(24), to });
    expect(bySignature(groups).get(FETCH_SIGNATURE)!.count).toBe(4);
  });

  test('the trend holds up to 500 buckets', async () => {
    const { groups } = await getErrorAggregates(stores.pool, { from: at(500), to, buckets: 500 });
    expect(groups).toHaveLength(3);
    for (const group of groups) {
      expect(group.trend).toHaveLength(500);
      expect(group.trend.slice(0, 2).map((b) => b.start)).toEqual([at(500).toISOString(), at(499).toISOString()]);
    }
  });

  // buckets wider than an int holds: 1970 to 2045 in one is 2,366,841,600 seconds
  test.each([
    ['1970 to 2045 in one bucket', '2045-01-01', 1, 1],
    ['1970 to 9999-12-30 in the default buckets', '9999-12-30', undefined, 24],
    ['1970 to 9999-12-31 in one bucket', '9999-12-31', 1, 1],
    ['1970 to 9999-12-31 in the most buckets', '9999-12-31', 500, 500],
  ])('answers the ranges the histogram answers: %s', async (_range, until, buckets, length) => {
    const range = { from: new Date('1970-01-01T00:00:00Z'), to: new Date(`${until}T00:00:00Z`), buckets };
    for (const useRollup of [true, false]) {
      const { groups } = await getErrorAggregates(stores.pool, range, { useRollup });
      expect(Object.fromEntries(groups.map((g) => [g.signature, g.count]))).toEqual({
        [DB_SIGNATURE]: 5,
        [CRASH_SIGNATURE]: 4,
        [FETCH_SIGNATURE]: 4,
      });
      for (const group of groups) {
        expect(group.trend).toHaveLength(length);
        expect(group.trend[0].start).toBe('1970-01-01T00:00:00.000Z');
        expect(group.trend.reduce((n, b) => n + b.count, 0)).toBe(group.count);
      }
    }
  });

  test('rejects a cursor it did not make, or made for the other sort', async () => {
    const page = await getErrorAggregates(stores.pool, { from, to, limit: 1 });
    await expect(
      getErrorAggregates(stores.pool, { from, to, sort: 'lastSeen', cursor: page.nextCursor! }),
    ).rejects.toThrow(InvalidCursorError);
    for (const cursor of [
      'nope!',
      Buffer.from('[1,2]').toString('base64url'),
      Buffer.from('["count",-1,"ab"]').toString('base64url'),
      '',
    ]) {
      await expect(getErrorAggregates(stores.pool, { from, to, cursor })).rejects.toThrow(InvalidCursorError);
    }
  });
});

describe('the error rollup', () => {
  const DAY = 24 * HOUR;
  // a window of its own, days before the entries above, with partial hours at both ends
  const windowStart = new Date(to.getTime() - 4 * DAY + 17 * 60_000);
  const windowEnd = new Date(windowStart.getTime() + 2.6 * DAY + 7 * 60_000);
  const ROLLUP_SIGNATURES = ['a1', 'b2', 'c3', 'd4'];

  const rollupTotals = async (signatures: string[]) => {
    const { rows } = await stores.pool.query<{ width: string; entries: number }>(
      `SELECT bucket_width::text AS width, sum(entries)::int AS entries FROM platform_log_error_rollup
       WHERE error_signature = ANY($1) GROUP BY 1 ORDER BY 1`,
      [signatures],
    );
    return rows;
  };
  const storedCount = async (signatures: string[]) => {
    const { rows } = await stores.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM platform_logs WHERE error_signature = ANY($1)',
      [signatures],
    );
    return rows[0].n;
  };
  const entry = (signature: string, at: Date, overrides: Partial<StoredLogEntry> = {}): StoredLogEntry => ({
    id: randomUUID(),
    timestamp: at.toISOString(),
    level: 'error',
    tenantId: 't1',
    tenantSlug: null,
    userId: 'u1',
    sessionId: null,
    impersonatorId: null,
    requestId: null,
    traceId: null,
    spanId: null,
    service: 'admin',
    action: null,
    file: null,
    line: null,
    function: null,
    message: `failure ${signature}`,
    data: null,
    errorType: 'Error',
    errorCode: null,
    errorStack: null,
    environment: 'test',
    version: null,
    region: null,
    errorSignature: signature,
    messageTemplate: `failure ${signature}`,
    ...overrides,
  });

  beforeAll(async () => {
    await ensurePartitions(stores.pool, new Date(windowStart.getTime() - DAY), to);
    // 3,000 entries in three statements, so that rollup rows are both inserted and merged:
    // 4 signatures, 7 tenants, 400 users (and some entries without), mostly one service each
    for (let part = 0; part < 3; part++) {
      await stores.pool.query(
        `INSERT INTO platform_logs (id, "timestamp", level, tenant_id, user_id, service, message, environment,
           error_signature, message_template)
         SELECT gen_random_uuid(), $1::timestamptz + (g * ($2::timestamptz - $1::timestamptz) / 3000),
                CASE WHEN g % 3 = 0 THEN 'warn' ELSE 'error' END, 't' || (g % 7),
                CASE WHEN g % 11 = 0 THEN NULL ELSE 'u' || (g * 7 % 400) END,
                CASE WHEN g % 13 = 0 THEN 'inngest' ELSE (ARRAY['admin', 'storefront', 'orchestrator', 'admin'])[1 + g % 4] END,
                'failure ' || g, 'test', (ARRAY['a1', 'b2', 'c3', 'a1', 'a1', 'd4', 'b2'])[1 + g % 7], 'failure <NUM>'
         FROM generate_series(0, 2999) g WHERE g % 3 = $3`,
        [windowStart, windowEnd, part],
      );
    }
  });

  const views: [string, AggregateFilters][] = [
    ['hour rows for the trend', { from: windowStart, to: windowEnd }],
    ['day rows for the trend', { from: windowStart, to: windowEnd, buckets: 2 }],
    ['by last seen', { from: windowStart, to: windowEnd, sort: 'lastSeen' }],
    ['warn only', { from: windowStart, to: windowEnd, levels: ['warn'] }],
    ['one signature', { from: windowStart, to: windowEnd, errorSignature: 'c3' }],
    [
      'less than a day',
      {
        from: new Date(windowStart.getTime() + 5 * HOUR + 60_000),
        to: new Date(windowStart.getTime() + 20 * HOUR - 1),
      },
    ],
  ];

  test.each(views)('gives what the entries give: %s', async (_view, filters) => {
    const queries = vi.spyOn(pg.Client.prototype, 'query');
    const rollup = await getErrorAggregates(stores.pool, filters);
    expect(queries.mock.calls.some(([sql]) => String(sql).includes('platform_log_error_rollup'))).toBe(true);
    queries.mockRestore();
    const exact = await getErrorAggregates(stores.pool, filters, { useRollup: false });

    expect(rollup.groups.length).toBeGreaterThan(0);
    const withoutEstimates = (groups: ErrorGroup[]) => groups.map(({ tenants: _t, users: _u, ...group }) => group);
    expect(withoutEstimates(rollup.groups)).toEqual(withoutEstimates(exact.groups));
    expect(rollup.nextCursor).toEqual(exact.nextCursor);
    for (const [i, group] of rollup.groups.entries()) {
      // 7 tenants: exact; a few hundred users: the estimate's error is about 1%
      expect(group.tenants).toBe(exact.groups[i].tenants);
      expect(Math.abs(group.users - exact.groups[i].users)).toBeLessThanOrEqual(
        Math.ceil(exact.groups[i].users * 0.05),
      );
    }
  });

  test('pages through the rollup as through the entries', async () => {
    const filters: AggregateFilters = { from: windowStart, to: windowEnd, limit: 1 };
    let cursor: string | undefined;
    const seen: string[] = [];
    do {
      const page = await getErrorAggregates(stores.pool, { ...filters, cursor });
      seen.push(...page.groups.map((g) => `${g.signature}:${g.count}`));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const exact = await getErrorAggregates(stores.pool, { from: windowStart, to: windowEnd }, { useRollup: false });
    expect(seen).toEqual(exact.groups.map((g) => `${g.signature}:${g.count}`));
    expect(seen.map((s) => s.split(':')[0]).sort()).toEqual(ROLLUP_SIGNATURES);
  });

  test('filters the rollup cannot answer read the entries', async () => {
    const filters: AggregateFilters = { from: windowStart, to: windowEnd, services: ['inngest'], tenantId: 't3' };
    const queries = vi.spyOn(pg.Client.prototype, 'query');
    const { groups } = await getErrorAggregates(stores.pool, filters);
    expect(queries.mock.calls.some(([sql]) => String(sql).includes('platform_log_error_rollup'))).toBe(false);
    queries.mockRestore();
    expect(groups.every((g) => g.services.length === 1 && g.services[0] === 'inngest' && g.tenants === 1)).toBe(true);
    expect(groups.reduce((n, g) => n + g.count, 0)).toBe(await countWhere(`service = 'inngest' AND tenant_id = 't3'`));
  });

  const countWhere = async (condition: string) => {
    const { rows } = await stores.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM platform_logs WHERE ${condition} AND "timestamp" >= $1 AND "timestamp" < $2`,
      [windowStart, windowEnd],
    );
    return rows[0].n;
  };

  test.each([
    ['INSERT … unnest', 10],
    ['COPY and staging', COPY_FROM_ROWS],
  ])('a batch written again (%s) is counted once', async (_path, size) => {
    const signature = `e${size}`;
    const batch = Array.from({ length: size }, (_, i) => entry(signature, at(30, i % 50)));
    await insertEntries(stores.pool, batch);
    // a retry of the same batch with five new entries: only those five are added
    await insertEntries(stores.pool, [...batch, ...Array.from({ length: 5 }, () => entry(signature, at(30)))]);
    expect(await storedCount([signature])).toBe(size + 5);
    expect(await rollupTotals([signature])).toEqual([
      { width: '01:00:00', entries: size + 5 },
      { width: '1 day', entries: size + 5 },
    ]);
  });

  test('batches flushed at once by several writers all land, without deadlock', async () => {
    const signatures = Array.from({ length: 20 }, (_, i) => `f${i.toString(16)}`);
    const writers = new pg.Pool({ connectionString: stores.databaseUrl, max: 6 });
    try {
      // every writer touches the same rollup rows, each in its own order
      const batches = Array.from({ length: 12 }, (_, writer) => {
        const keys = writer % 2 ? [...signatures].reverse() : signatures;
        return keys.flatMap((signature, i) => [
          entry(signature, at(40 + (i % 3))),
          entry(signature, at(40 + ((i + writer) % 3))),
        ]);
      });
      await Promise.all(batches.map((batch) => insertUnnest(writers, batch)));
    } finally {
      await writers.end();
    }
    expect(await rollupTotals(signatures)).toEqual([
      { width: '01:00:00', entries: 12 * 40 },
      { width: '1 day', entries: 12 * 40 },
    ]);
  });

  test('entries moved out of a DEFAULT partition, or deleted from it, are counted as they are', async () => {
    const day = new Date(Math.floor(to.getTime() / DAY) * DAY - 20 * DAY);
    const signature = 'ab';
    await insertEntries(stores.pool, [
      entry(signature, new Date(day.getTime() + 3 * HOUR)),
      entry(signature, new Date(day.getTime() + 5 * HOUR), { level: 'warn' }),
    ]);
    const range = { from: day, to: new Date(day.getTime() + DAY), errorSignature: signature };
    expect((await getErrorAggregates(stores.pool, range)).groups[0]).toMatchObject({ count: 2, level: 'error' });
    // the partition for that day takes its rows out of the DEFAULT partition and in again
    expect(await ensurePartitions(stores.pool, day, new Date(day.getTime() + DAY))).toHaveLength(4);
    expect(await rollupTotals([signature])).toEqual([
      { width: '01:00:00', entries: 2 },
      { width: '1 day', entries: 2 },
    ]);
    // rows deleted from a DEFAULT partition (retention does this) leave the rollup
    await insertEntries(stores.pool, [entry(signature, new Date(day.getTime() - DAY + HOUR))]);
    expect(await rollupTotals([signature])).toEqual([
      { width: '01:00:00', entries: 3 },
      { width: '1 day', entries: 3 },
    ]);
    await stores.pool.query(`DELETE FROM platform_logs_error_default WHERE error_signature = $1`, [signature]);
    expect(await rollupTotals([signature])).toEqual([
      { width: '01:00:00', entries: 2 },
      { width: '1 day', entries: 2 },
    ]);
    expect(
      (await getErrorAggregates(stores.pool, { ...range, from: new Date(day.getTime() - DAY) })).groups[0].count,
    ).toBe(2);
  });

  test('pruneErrorRollup removes the days past their level retention', async () => {
    const now = new Date();
    const daysAgo = (days: number) => new Date(now.getTime() - days * DAY);
    await insertEntries(stores.pool, [
      entry('c0', daysAgo(31)),
      entry('c0', daysAgo(29)),
      entry('c1', daysAgo(15), { level: 'warn' }),
      entry('c1', daysAgo(13), { level: 'warn' }),
    ]);
    const policy = { now, retentionDays: { ...DEFAULT_RETENTION_DAYS, error: 30, warn: 14 }, maxRetentionDays: 90 };
    const buckets = async () => {
      const { rows } = await stores.pool.query<{ signature: string; day: Date }>(
        `SELECT DISTINCT error_signature AS signature, date_bin('1 day', bucket, timestamptz 'epoch') AS day
         FROM platform_log_error_rollup WHERE error_signature IN ('c0', 'c1') ORDER BY 1, 2`,
      );
      return rows.map((row) => `${row.signature} ${row.day.toISOString().slice(0, 10)}`);
    };
    const rollupRows = async () => (await stores.pool.query('SELECT 1 FROM platform_log_error_rollup')).rowCount;
    const before = await buckets();
    expect(before).toHaveLength(4);
    const rowsBefore = await rollupRows();
    const expired = await pruneErrorRollup(stores.pool, { ...policy, dryRun: true });
    expect(await rollupRows()).toBe(rowsBefore);
    expect((await runRetention({ pool: stores.pool, ...policy, dryRun: true })).errorRollupRows).toBe(expired);
    expect(await pruneErrorRollup(stores.pool, policy)).toBe(expired);
    expect(await rollupRows()).toBe(rowsBefore! - expired);
    // the oldest error and the oldest warn expire, with their hour rows
    expect(await buckets()).toEqual([before[1], before[3]]);
    await pruneErrorRollup(stores.pool, { ...policy, maxRetentionDays: 10 });
    expect(await buckets()).toEqual([]);
  });
});
