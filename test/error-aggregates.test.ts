import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import { computeErrorSignature, generalizeMessage } from '../src/error-aggregation.js';
import type { LogLevel } from '../src/types.js';
import { getErrorAggregates, InvalidCursorError, type ErrorGroup } from '../server/store/aggregates.js';
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
const fetchFailure = (url: string): Pick<Row, 'message' | 'errorType'> => ({ message: `fetch failed: GET ${url} responded 503`, errorType: null });
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
  { at: at(13), level: 'warn', tenantId: 't1', userId: null, service: 'storefront', ...fetchFailure('https://api.stripe.com/v1/x') },
  { at: at(9), level: 'warn', tenantId: 't1', userId: 'u3', service: 'storefront', ...fetchFailure('https://api.stripe.com/v1/a') },
  { at: at(8), level: 'warn', tenantId: 't1', userId: 'u3', service: 'storefront', ...fetchFailure('https://hooks.partner.io/b') },
  { at: at(0, -5), level: 'warn', tenantId: 't1', userId: 'u4', service: 'storefront', ...fetchFailure('https://cdn.example.com/c?d=1') },
  // one crash site from two deploys, at warn and error: 4 entries, most severe level error
  { at: at(6), level: 'warn', tenantId: 't3', userId: 'u9', service: 'storefront', ...checkoutCrash('/srv/releases/41') },
  { at: at(5), level: 'error', tenantId: 't3', userId: 'u9', service: 'storefront', ...checkoutCrash('/srv/releases/42') },
  { at: at(4), level: 'error', tenantId: 't4', userId: 'u8', service: 'creator-portal', ...checkoutCrash('/home/app') },
  { at: at(2), level: 'error', tenantId: 't3', userId: 'u9', service: 'storefront', ...checkoutCrash('/srv/releases/42') },
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
        randomUUID(), row.at, row.level, row.tenantId, row.userId, row.service, row.message, row.errorType,
        row.errorCode ?? null, row.errorStack ?? null,
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

  test('rejects a cursor it did not make, or made for the other sort', async () => {
    const page = await getErrorAggregates(stores.pool, { from, to, limit: 1 });
    await expect(getErrorAggregates(stores.pool, { from, to, sort: 'lastSeen', cursor: page.nextCursor! })).rejects.toThrow(InvalidCursorError);
    for (const cursor of ['nope!', Buffer.from('[1,2]').toString('base64url'), Buffer.from('["count",-1,"ab"]').toString('base64url'), '']) {
      await expect(getErrorAggregates(stores.pool, { from, to, cursor })).rejects.toThrow(InvalidCursorError);
    }
  });
});
