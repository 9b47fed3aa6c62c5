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
    [`?q=${'a'.repeat(2001)}`, 'q'],
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

describe('search text is only ever a value', () => {
  test.each([
    `'; DROP TABLE platform_logs; --`,
    `\\" OR 1=1 --`,
    `%_\\`,
    `(a & b) | !c <-> "d:*"`,
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

  test.each([
    ['"unterminated phrase', 0, 'a closing "'],
    ['" OR 1=1 --', 0, 'a closing "'],
    ['(a & b) | !c <-> d:*', 17, 'one of id, timestamp'],
    ['level:fatal', 6, 'one of debug, info, warn, error'],
    ['level:error OR', 12, 'a term'],
    ['service:(admin OR storefront', 28, "')'"],
    ['payment)', 7, 'a term, AND, OR, or the end of the query'],
    ['servce:storefront', 0, 'one of id'],
    ['pa*ment', 0, 'a * only at the end of a word'],
    ['line:abc', 5, 'a number'],
    ['timestamp:>yesterday', 11, 'a time'],
    ['@cart..total:1', 6, 'a key name between dots'],
    ['@cart.total:[1 TO', 17, 'a value, or * for no limit'],
    ['@cart.total:[1 5]', 15, 'TO between'],
    ['service:', 8, 'a value'],
    ['NOT', 0, 'a term'],
    ['()', 1, 'a term inside ( )'],
    ['id:12345', 3, 'a UUID'],
    ['line:4*', 5, 'a number'],
  ])('q=%s is a syntax error: 400 naming q, the position and what was expected', async (q, position, expected) => {
    const response = await request(`/api/platform/logs?q=${encodeURIComponent(q)}`);
    expect(response.status).toBe(400);
    const body = await (response.json() as Promise<any>);
    expect(body).toMatchObject({ parameter: 'q', position });
    expect(body.expected).toContain(expected);
    expect(body.error).toContain(`at position ${position}`);
  });

  test.each(['%ED%A0%80', '%FF%FE', '%C0%AF', '%E2%82'])(
    'q with invalid UTF-8 bytes (%s, e.g. a lone surrogate) answers 200',
    async (raw) => {
      const response = await request(`/api/platform/logs?q=${raw}launch`);
      expect(response.status).toBe(200);
    },
  );

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
      const response = await request(
        `/api/platform/logs?tenantId=${encodeURIComponent(value)}&requestId=${encodeURIComponent(value)}`,
      );
      expect(response.status).toBe(200);
      expect((await (response.json() as Promise<any>)).entries).toEqual([]);
    }
  });
});
