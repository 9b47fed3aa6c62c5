import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ErrorGroup } from '../src/api-types.js';
import type { StoredLogEntry } from '../src/types.js';
import { PLATFORM_KEY, TENANT_A_KEY, bearer, createTestApp, insertEntries, makeEntry } from './server-fixtures.js';
import { parseCsv } from './support/csv.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();
let app: Hono<any>;
let close: () => Promise<unknown>;

const HOUR = 3_600_000;
const base = Date.now() - HOUR;
const at = (offsetSeconds: number) => new Date(base + offsetSeconds * 1000).toISOString();

const entries: StoredLogEntry[] = [
  makeEntry({
    timestamp: at(1),
    level: 'info',
    message: 'payment captured for order 1001',
    service: 'storefront',
    userId: 'user-1',
  }),
  makeEntry({
    timestamp: at(2),
    level: 'warn',
    message: 'payment provider slow response',
    service: 'webhook-handler',
    requestId: 'req-77',
  }),
  makeEntry({
    timestamp: at(3),
    level: 'error',
    message: 'payment provider returned 502 bad gateway',
    service: 'webhook-handler',
    errorType: 'ProviderError',
    errorSignature: 'sig-502',
    traceId: 'trace-9',
  }),
  makeEntry({
    timestamp: at(4),
    level: 'debug',
    message: 'cache warm for creator page',
    service: 'creator-portal',
    userId: 'user-2',
  }),
  makeEntry({
    timestamp: at(5),
    level: 'error',
    message: 'database timeout after 5000 ms',
    service: 'orchestrator',
    tenantSlug: 'acme',
  }),
  makeEntry({
    timestamp: at(6),
    level: 'info',
    message: 'secret tenant b order shipped',
    tenantId: 'tenant-b',
    tenantSlug: 'bolt',
    userId: 'user-b',
  }),
  makeEntry({
    timestamp: at(7),
    level: 'error',
    message: 'tenant b payment provider failed',
    tenantId: 'tenant-b',
    tenantSlug: 'bolt',
    errorSignature: 'sig-502',
  }),
  makeEntry({
    timestamp: new Date(Date.now() - 3 * 86_400_000).toISOString(),
    level: 'info',
    message: 'old entry from three days ago',
  }),
];
const byMessage = (message: string) => entries.find((entry) => entry.message === message)!;

async function get(path: string, key: string | null = PLATFORM_KEY) {
  const response = await app.request(path, key ? bearer(key) : {});
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: export bodies and the UI page
  }
  return { status: response.status, body, headers: response.headers, text };
}

const messages = (body: { entries: StoredLogEntry[] }) => body.entries.map((entry) => entry.message);

beforeAll(async () => {
  await insertEntries(stores.pool, entries);
  ({ app, close } = await createTestApp(stores));
});
afterAll(async () => close?.());

describe('GET /api/platform/logs', () => {
  test('returns the last 24 hours newest first, with every field', async () => {
    const { status, body } = await get('/api/platform/logs');
    expect(status).toBe(200);
    expect(messages(body)).toEqual(
      entries
        .slice(0, 7)
        .map((e) => e.message)
        .reverse(),
    );
    expect(body.entries[6]).toEqual(entries[0]);
    expect(body.nextCursor).toBeNull();
  });

  test.each([
    [
      'level=error',
      [
        'tenant b payment provider failed',
        'database timeout after 5000 ms',
        'payment provider returned 502 bad gateway',
      ],
    ],
    ['level=warn,debug', ['cache warm for creator page', 'payment provider slow response']],
    ['level=warn&level=DEBUG', ['cache warm for creator page', 'payment provider slow response']],
    ['service=webhook-handler', ['payment provider returned 502 bad gateway', 'payment provider slow response']],
    ['service=creator-portal,orchestrator', ['database timeout after 5000 ms', 'cache warm for creator page']],
    ['tenantId=tenant-b', ['tenant b payment provider failed', 'secret tenant b order shipped']],
    ['tenantSlug=bolt&level=info', ['secret tenant b order shipped']],
    ['userId=user-2', ['cache warm for creator page']],
    ['requestId=req-77', ['payment provider slow response']],
    ['traceId=trace-9', ['payment provider returned 502 bad gateway']],
    ['errorSignature=sig-502', ['tenant b payment provider failed', 'payment provider returned 502 bad gateway']],
    [
      `from=${encodeURIComponent(at(3))}&to=${encodeURIComponent(at(5))}`,
      ['cache warm for creator page', 'payment provider returned 502 bad gateway'],
    ],
    ['from=4d&to=2d', ['old entry from three days ago']],
    ['from=7d&q=three', ['old entry from three days ago']],
  ])('filters by %s', async (query, expected) => {
    const { status, body } = await get(`/api/platform/logs?${query}`);
    expect(status).toBe(200);
    expect(messages(body)).toEqual(expected);
  });

  test.each([
    [
      'payment provider',
      [
        'tenant b payment provider failed',
        'payment provider returned 502 bad gateway',
        'payment provider slow response',
      ],
    ],
    ['"provider returned"', ['payment provider returned 502 bad gateway']],
    ['"returned provider"', []],
    ['payment -provider', ['payment captured for order 1001']],
    ['timeout or cache', ['database timeout after 5000 ms', 'cache warm for creator page']],
    ['502', ['payment provider returned 502 bad gateway']],
  ])('full-text search q=%s', async (q, expected) => {
    const { status, body } = await get(`/api/platform/logs?q=${encodeURIComponent(q)}`);
    expect(status).toBe(200);
    expect(messages(body)).toEqual(expected);
  });
});

describe('keyset pages', () => {
  test('give every row exactly once, newest first, also when timestamps tie', async () => {
    const tenant = `paging-${randomUUID()}`;
    const tied = at(100);
    const many = Array.from({ length: 57 }, (_, i) =>
      makeEntry({
        tenantId: tenant,
        timestamp: i % 3 === 0 ? tied : at(100 + (i % 20) + 0.5),
        message: `page row ${i}`,
      }),
    );
    await insertEntries(stores.pool, many);
    const seen: StoredLogEntry[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { status, body } = await get(
        `/api/platform/logs?tenantId=${tenant}&limit=10${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(status).toBe(200);
      expect(body.entries.length).toBeLessThanOrEqual(10);
      seen.push(...body.entries);
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(6);
    expect(seen.map((e) => e.id).sort()).toEqual(many.map((e) => e.id).sort());
    const keys = seen.map((e) => `${e.timestamp}|${e.id}`);
    expect(keys).toEqual([...keys].sort().reverse());
  });
});

describe('GET /api/platform/logs/:id', () => {
  test('returns the entry', async () => {
    const entry = byMessage('payment provider slow response');
    const { status, body } = await get(`/api/platform/logs/${entry.id}`);
    expect(status).toBe(200);
    expect(body).toEqual(entry);
  });

  test('404 for an unknown or malformed id', async () => {
    expect((await get(`/api/platform/logs/${randomUUID()}`)).status).toBe(404);
    const malformed = await get('/api/platform/logs/not-a-uuid');
    expect(malformed.status).toBe(404);
    expect(malformed.body.error).toBeTruthy();
  });

  test('finds an entry whose UUIDv7 time is near its timestamp', async () => {
    const ms = Date.now() - 5_000;
    const hex = ms.toString(16).padStart(12, '0');
    const id = `${hex.slice(0, 8)}-${hex.slice(8)}-7abc-8def-0123456789ab`;
    const entry = makeEntry({ id, timestamp: new Date(ms).toISOString(), message: 'uuid v7 entry' });
    await insertEntries(stores.pool, [entry]);
    expect((await get(`/api/platform/logs/${id}`)).body).toEqual(entry);
  });
});

describe('GET /api/platform/logs/histogram', () => {
  test('counts per level in aligned buckets covering the range', async () => {
    const from = new Date(base - (base % 60_000));
    const to = new Date(from.getTime() + 10 * 60_000);
    const { status, body } = await get(
      `/api/platform/logs/histogram?from=${from.toISOString()}&to=${to.toISOString()}&buckets=10&tenantId=tenant-a`,
    );
    expect(status).toBe(200);
    expect(body.bucketSeconds).toBe(60);
    expect(body.buckets).toHaveLength(10);
    expect(body.buckets[0].start).toBe(from.toISOString());
    const totals = { debug: 0, info: 0, warn: 0, error: 0 };
    for (const bucket of body.buckets)
      for (const level of Object.keys(totals) as (keyof typeof totals)[]) totals[level] += bucket.counts[level];
    const expected = { debug: 0, info: 0, warn: 0, error: 0 };
    const { rows } = await stores.pool.query(
      `SELECT level, count(*)::int AS n FROM platform_logs WHERE tenant_id = 'tenant-a' AND "timestamp" >= $1 AND "timestamp" < $2 GROUP BY level`,
      [from, to],
    );
    for (const row of rows) expected[row.level as keyof typeof expected] = row.n;
    expect(totals).toEqual(expected);
    expect(totals.error).toBe(2);
  });
});

describe('GET /api/platform/logs/aggregates', () => {
  test.each([
    ['from=1970-01-01&to=2045-01-01&buckets=1', 1],
    ['from=1970-01-01&to=9999-12-30', 24],
    ['from=1970-01-01&to=9999-12-31&buckets=1', 1],
    ['from=1970-01-01&to=9999-12-31&buckets=500', 500],
  ])('answers the ranges the histogram answers: %s', async (range, buckets) => {
    expect((await get(`/api/platform/logs/histogram?${range}`)).status).toBe(200);
    // all tenants read the rollup, one tenant the entries
    for (const [scope, count] of [
      ['', 2],
      ['&tenantId=tenant-a', 1],
    ] as const) {
      const { status, body } = await get(`/api/platform/logs/aggregates?${range}${scope}`);
      expect(status).toBe(200);
      expect(body.groups.map((group: ErrorGroup) => [group.signature, group.count])).toEqual([['sig-502', count]]);
      const { trend } = body.groups[0] as ErrorGroup;
      expect(trend).toHaveLength(buckets);
      expect(trend[0].start).toBe('1970-01-01T00:00:00.000Z');
      expect(trend.reduce((n, bucket) => n + bucket.count, 0)).toBe(count);
    }
  });
});

describe('GET /api/platform/logs/export', () => {
  test('NDJSON: every matching entry, newest first, as an attachment', async () => {
    const { status, headers, text } = await get(
      `/api/platform/logs/export?format=ndjson&tenantId=tenant-a&to=${encodeURIComponent(at(50))}`,
    );
    expect(status).toBe(200);
    expect(headers.get('content-disposition')).toMatch(/^attachment; filename="platform-logs-.*\.ndjson"$/);
    const lines = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual(entries.slice(0, 5).reverse());
  });

  test('CSV: a header and every field, RFC 4180 quoting, data as JSON', async () => {
    const { status, headers, text } = await get(
      `/api/platform/logs/export?format=csv&tenantId=tenant-a&to=${encodeURIComponent(at(50))}`,
    );
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/csv/);
    const [header, ...rows] = parseCsv(text);
    expect(rows).toHaveLength(5);
    const records = rows.map((row) => Object.fromEntries(header.map((name, i) => [name, row[i]])));
    const expected = entries.slice(0, 5).reverse();
    records.forEach((record, i) => {
      expect(record.id).toBe(expected[i].id);
      expect(record.message).toBe(expected[i].message);
      expect(record.line).toBe('42');
      expect(record.impersonatorId).toBe('');
      expect(JSON.parse(record.data)).toEqual(expected[i].data);
      expect(Object.keys(record)).toHaveLength(Object.keys(expected[i]).length);
    });
  });

  test('limit caps the rows, and batches do not lose or repeat rows', async () => {
    const tenant = `export-${randomUUID()}`;
    await insertEntries(
      stores.pool,
      Array.from({ length: 30 }, (_, i) => makeEntry({ tenantId: tenant, timestamp: at(200 + (i % 7)) })),
    );
    const all = await get(`/api/platform/logs/export?tenantId=${tenant}`);
    expect(
      new Set(
        all.text
          .trimEnd()
          .split('\n')
          .map((line) => JSON.parse(line).id),
      ).size,
    ).toBe(30);
    const capped = await get(`/api/platform/logs/export?tenantId=${tenant}&limit=12`);
    expect(capped.text.trimEnd().split('\n')).toHaveLength(12);
  });
});

describe('GET /api/platform/logs/whoami, healthz, openapi.json', () => {
  test('whoami tells the scope', async () => {
    expect((await get('/api/platform/logs/whoami')).body).toEqual({ scope: 'platform' });
    expect((await get('/api/platform/logs/whoami', TENANT_A_KEY)).body).toEqual({
      scope: 'tenant',
      tenantId: 'tenant-a',
    });
  });

  test('healthz answers without a key when both stores answer', async () => {
    const { status, body } = await get('/api/platform/logs/healthz', null);
    expect(status).toBe(200);
    expect(body).toEqual({ postgres: 'ok', redis: 'ok' });
  });

  test('openapi.json describes every route', async () => {
    const { status, body } = await get('/api/platform/logs/openapi.json', null);
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    // the alerts' paths are checked in alerts-api.test.ts
    expect(
      Object.keys(body.paths)
        .filter((path) => !path.startsWith('/alerts'))
        .sort(),
    ).toEqual(
      [
        '/',
        '/{id}',
        '/{id}/context',
        '/facets',
        '/fields',
        '/histogram',
        '/aggregates',
        '/export',
        '/whoami',
        '/stream/ticket',
        '/stream',
        '/stream/sse',
        '/healthz',
        '/openapi.json',
      ].sort(),
    );
  });

  test('unknown API routes are 404 JSON; other paths get the UI page', async () => {
    const api = await get('/api/nothing-here');
    expect(api.status).toBe(404);
    expect(api.body).toEqual({ error: 'no such route' });
    const page = await get('/aggregates?level=error', null);
    expect(page.status).toBe(200);
    expect(page.text).toContain('npm run build');
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self' ws: wss:");
  });
});
