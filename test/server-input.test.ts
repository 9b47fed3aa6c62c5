import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PLATFORM_KEY, bearer, createTestApp, insertEntries, makeEntry } from './server-fixtures.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();
let app: Hono<any>;
let close: () => Promise<unknown>;

const odd = makeEntry({ message: 'emoji 🚀 launch failed for عميل RTL user' });

beforeAll(async () => {
  await insertEntries(stores.pool, [odd]);
  ({ app, close } = await createTestApp(stores, { exportMaxRows: 500 }));
});
afterAll(async () => close?.());

const request = (path: string) => app.request(path, bearer(PLATFORM_KEY));

describe('invalid parameters are a 400 naming the parameter', () => {
  test.each([
    ['?level=fatal', 'level'],
    ['?level=info,verbose', 'level'],
    ['?from=yesterday', 'from'],
    ['?from=2024-13-45T00:00:00Z', 'from'],
    ['?to=2024-02-30', 'to'],
    ['?to=99999999999999d', 'to'],
    ['?from=2024-05-02T00:00:00Z&to=2024-05-01T00:00:00Z', 'from'],
    ['?from=0001-01-01T00:00:00Z', 'from'],
    ['?limit=0', 'limit'],
    ['?limit=1001', 'limit'],
    ['?limit=99999999999999999999', 'limit'],
    ['?limit=-5', 'limit'],
    ['?limit=1e3', 'limit'],
    ['?cursor=not-a-cursor!', 'cursor'],
    [`?cursor=${Buffer.from('["2024-01-01T00:00:00.000000Z","x"]').toString('base64url')}`, 'cursor'],
    [`?cursor=${Buffer.from('{"a":1}').toString('base64url')}`, 'cursor'],
    [`?q=${'a'.repeat(501)}`, 'q'],
    ['?q=a%00b', 'q'],
    ['?tenantId=a%00', 'tenantId'],
    ['?limt=10', 'limt'],
    ['?from=1h&from=2h', 'from'],
  ])('GET /api/platform/logs%s', async (query, parameter) => {
    const response = await request(`/api/platform/logs${query}`);
    expect(response.status).toBe(400);
    const body = await (response.json() as Promise<any>);
    expect(body.parameter).toBe(parameter);
    expect(body.error.length).toBeGreaterThan(5);
  });

  test.each([
    ['/api/platform/logs/export?format=xml', 'format'],
    ['/api/platform/logs/export?limit=501', 'limit'],
    ['/api/platform/logs/histogram?buckets=0', 'buckets'],
    ['/api/platform/logs/histogram?buckets=501', 'buckets'],
    ['/api/platform/logs/histogram?level=nope', 'level'],
    ['/api/platform/logs/whoami?x=1', 'x'],
    ['/api/platform/logs/aggregates?sort=newest', 'sort'],
    ['/api/platform/logs/aggregates?limit=501', 'limit'],
    ['/api/platform/logs/aggregates?buckets=0', 'buckets'],
    ['/api/platform/logs/aggregates?buckets=501', 'buckets'],
    ['/api/platform/logs/aggregates?cursor=%7B%7D', 'cursor'],
    [`/api/platform/logs/aggregates?cursor=${Buffer.from('["lastSeen","x","y"]').toString('base64url')}`, 'cursor'],
  ])('%s', async (path, parameter) => {
    const response = await request(path);
    expect(response.status).toBe(400);
    expect((await (response.json() as Promise<any>)).parameter).toBe(parameter);
  });

  test('a query string over 8 KB is refused with 414', async () => {
    const response = await request(`/api/platform/logs?userId=${'u'.repeat(9000)}`);
    expect(response.status).toBe(414);
    expect((await (response.json() as Promise<any>)).error).toMatch(/8192 bytes/);
  });
});

describe('any text is a valid search', () => {
  test.each([
    `'; DROP TABLE platform_logs; --`,
    `" OR 1=1 --`,
    `%_\\`,
    `(a & b) | !c <-> d:*`,
    `"unterminated phrase`,
    `- - or or "" -`,
    `عميل`,
    `🚀`,
    `\u202Eevil\u202C`,
    `SELECT * FROM pg_catalog.pg_user`,
  ])('q=%s answers 200', async (q) => {
    const response = await request(`/api/platform/logs?q=${encodeURIComponent(q)}`);
    expect(response.status).toBe(200);
    expect(Array.isArray((await (response.json() as Promise<any>)).entries)).toBe(true);
  });

  test.each(['%ED%A0%80', '%FF%FE', '%C0%AF', '%E2%82'])('q with invalid UTF-8 bytes (%s, e.g. a lone surrogate) answers 200', async (raw) => {
    const response = await request(`/api/platform/logs?q=${raw}launch`);
    expect(response.status).toBe(200);
  });

  test('right-to-left words are found', async () => {
    for (const q of ['عميل', 'rtl', 'launch -missing']) {
      const body = await ((await request(`/api/platform/logs?q=${encodeURIComponent(q)}`)).json() as Promise<any>);
      expect(body.entries.map((e: { id: string }) => e.id)).toEqual([odd.id]);
    }
    const table = await stores.pool.query(`SELECT count(*)::int AS n FROM platform_logs`);
    expect(table.rows[0].n).toBe(1);
  });

  test('exact filters take any text without error', async () => {
    for (const value of [`'; DROP TABLE x; --`, '🚀', '\u202E', 'x'.repeat(3000)]) {
      const response = await request(`/api/platform/logs?tenantId=${encodeURIComponent(value)}&requestId=${encodeURIComponent(value)}`);
      expect(response.status).toBe(200);
      expect((await (response.json() as Promise<any>)).entries).toEqual([]);
    }
  });
});
