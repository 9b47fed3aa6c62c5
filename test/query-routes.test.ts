import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { StoredLogEntry } from '../src/types.js';
import {
  PLATFORM_KEY,
  TENANT_A_KEY,
  TENANT_B_KEY,
  bearer,
  createTestApp,
  insertEntries,
  makeEntry,
} from './server-fixtures.js';
import { useTestStores } from './support/stores.js';

// Facets, data fields and context: what they answer, and that a tenant key sees its tenant only.
const stores = useTestStores();
let app: Hono<any>;
let close: () => Promise<unknown>;

const base = Date.now() - 3_600_000;
const at = (seconds: number) => new Date(base + seconds * 1000).toISOString();
/** A UUIDv7 made at the entry's time, as the logger makes them, with a counter for ties. */
function idAt(time: string, n: number): string {
  const hex = Date.parse(time).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8)}-7${n.toString(16).padStart(3, '0')}-8000-${n.toString(16).padStart(12, '0')}`;
}

let n = 0;
const entry = (seconds: number, overrides: Partial<StoredLogEntry>) => {
  const timestamp = at(seconds);
  return makeEntry({ id: idAt(timestamp, ++n), timestamp, ...overrides });
};

const entries: StoredLogEntry[] = [
  entry(1, {
    service: 'storefront',
    requestId: 'req-1',
    data: { cart: { total: 150, items: [{ sku: 'AB-1' }, { sku: 'CD-9' }] }, tags: ['vip', 'eu'] },
  }),
  entry(2, {
    service: 'storefront',
    requestId: 'req-1',
    level: 'error',
    errorType: 'TypeError',
    data: { cart: { total: 80, items: [{ sku: 'AB-1' }] }, tags: 'eu' },
  }),
  entry(3, { service: 'admin', requestId: 'req-2', data: { cart: { total: '80' }, flag: true, gone: null } }),
  entry(4, { service: 'storefront', requestId: 'req-1', region: null, data: null }),
  entry(5, {
    service: 'admin',
    requestId: 'req-1',
    level: 'warn',
    errorType: 'RangeError',
    data: { tags: ['eu', 'eu'] },
  }),
  entry(6, {
    tenantId: 'tenant-b',
    service: 'storefront',
    requestId: 'req-1',
    errorType: 'SecretError',
    data: { cart: { total: 999 }, secret: 'b' },
  }),
  entry(7, { tenantId: 'tenant-b', service: 'inngest', requestId: 'req-b', data: { secret: 'b' } }),
  entry(8, { service: 'storefront', requestId: 'req-1', data: { cart: { total: 150 } } }),
];
const [e1, e2, e3, e4, e5, e6, e7, e8] = entries;
const ids = (list: StoredLogEntry[]) => list.map((e) => e.id);

async function get(path: string, key = PLATFORM_KEY) {
  const response = await app.request(path, bearer(key));
  return { status: response.status, body: (await response.json()) as any };
}

beforeAll(async () => {
  // ties: three entries at the same instant as e8, told apart by id
  await insertEntries(stores.pool, entries);
  ({ app, close } = await createTestApp(stores));
});
afterAll(async () => close?.());

describe('GET /api/platform/logs/facets', () => {
  test('top values of a column, most entries first, and the entries without one', async () => {
    const { status, body } = await get('/api/platform/logs/facets?from=2h&field=service');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      field: 'service',
      values: [
        { value: 'storefront', count: 5 },
        { value: 'admin', count: 2 },
        { value: 'inngest', count: 1 },
      ],
      missing: 0,
    });
    expect(body.stats.partitionsScanned).toBeGreaterThan(0);
    expect(body.stats.durationMs).toBeGreaterThanOrEqual(0);
    expect((await get('/api/platform/logs/facets?from=2h&field=region&tenantId=tenant-a')).body).toMatchObject({
      values: [{ value: 'eu-west-1', count: 5 }],
      missing: 1,
    });
    expect((await get('/api/platform/logs/facets?from=2h&field=level&limit=1')).body.values).toEqual([
      { value: 'info', count: 6 },
    ]);
    expect((await get('/api/platform/logs/facets?from=2h&field=errorType')).body).toMatchObject({
      values: [
        { value: 'RangeError', count: 1 },
        { value: 'SecretError', count: 1 },
        { value: 'TypeError', count: 1 },
      ],
      missing: 5,
    });
  });

  test('a data path: each value an entry holds, arrays unwrapped, counted once an entry; JSON types kept', async () => {
    expect((await get('/api/platform/logs/facets?from=2h&field=@cart.total')).body).toMatchObject({
      field: '@cart.total',
      // most entries first, then in jsonb's order: strings before numbers
      values: [
        { value: 150, count: 2 },
        { value: '80', count: 1 },
        { value: 80, count: 1 },
        { value: 999, count: 1 },
      ],
      missing: 3,
    });
    const tags = (await get('/api/platform/logs/facets?from=2h&field=@tags')).body;
    expect(tags.values).toEqual([
      { value: 'eu', count: 3 },
      { value: 'vip', count: 1 },
    ]);
    expect((await get('/api/platform/logs/facets?from=2h&field=@cart.items.sku')).body.values).toEqual([
      { value: 'AB-1', count: 2 },
      { value: 'CD-9', count: 1 },
    ]);
    expect((await get('/api/platform/logs/facets?from=2h&field=@gone')).body.values).toEqual([
      { value: null, count: 1 },
    ]);
  });

  test('the filters and q apply', async () => {
    const { body } = await get(
      `/api/platform/logs/facets?from=2h&field=service&q=${encodeURIComponent('@cart.total:>=100')}`,
    );
    expect(body.values).toEqual([{ value: 'storefront', count: 3 }]);
  });

  test('a tenant key counts its tenant only, whatever it asks', async () => {
    for (const query of [
      'field=service',
      'field=service&tenantId=tenant-b',
      `field=service&q=${encodeURIComponent('tenantId:tenant-b OR service:inngest')}`,
    ]) {
      const { body } = await get(`/api/platform/logs/facets?from=2h&${query}`, TENANT_A_KEY);
      expect(
        body.values.map((v: any) => v.value),
        query,
      ).not.toContain('inngest');
      if (!query.includes('tenantId=tenant-b'))
        expect(body.values).toEqual(
          query.includes('inngest')
            ? []
            : [
                { value: 'storefront', count: 4 },
                { value: 'admin', count: 2 },
              ],
        );
    }
    expect((await get('/api/platform/logs/facets?from=2h&field=tenantId', TENANT_A_KEY)).body.values).toEqual([
      { value: 'tenant-a', count: 6 },
    ]);
    expect(
      (await get('/api/platform/logs/facets?from=2h&field=errorType', TENANT_A_KEY)).body.values.map(
        (v: any) => v.value,
      ),
    ).not.toContain('SecretError');
    expect((await get('/api/platform/logs/facets?from=2h&field=@secret', TENANT_A_KEY)).body).toMatchObject({
      values: [],
      missing: 6,
    });
    expect((await get('/api/platform/logs/facets?from=2h&field=@secret', TENANT_B_KEY)).body.values).toEqual([
      { value: 'b', count: 2 },
    ]);
  });

  test('a missing, unknown or per-entry field is a 400 naming field', async () => {
    for (const query of ['', 'field=nope', 'field=message', 'field=id', 'field=@', 'field=@a..b', 'field=service:x']) {
      const { status, body } = await get(`/api/platform/logs/facets?${query}`);
      expect(status, query).toBe(400);
      expect(body.parameter).toBe('field');
    }
    expect((await get('/api/platform/logs/facets?field=service&limit=101')).body.parameter).toBe('limit');
  });
});

describe('GET /api/platform/logs/fields', () => {
  test('the data paths of the matching entries with their JSON types', async () => {
    const { status, body } = await get('/api/platform/logs/fields?from=2h&tenantId=tenant-a');
    expect(status).toBe(200);
    expect(body).toMatchObject({ sampled: 5, complete: true });
    const byPath = Object.fromEntries(body.fields.map((field: any) => [field.path, field]));
    expect(Object.keys(byPath).sort()).toEqual(
      ['@cart', '@cart.items', '@cart.items.sku', '@cart.total', '@flag', '@gone', '@tags'].sort(),
    );
    expect(byPath['@cart.total']).toEqual({
      path: '@cart.total',
      entries: 4,
      types: [
        { type: 'number', entries: 3 },
        { type: 'string', entries: 1 },
      ],
    });
    expect(byPath['@tags']).toEqual({
      path: '@tags',
      entries: 3,
      types: [
        { type: 'array', entries: 2 },
        { type: 'string', entries: 1 },
      ],
    });
    expect(byPath['@cart.items.sku']).toEqual({
      path: '@cart.items.sku',
      entries: 2,
      types: [{ type: 'string', entries: 2 }],
    });
    expect(byPath['@gone'].types).toEqual([{ type: 'null', entries: 1 }]);
    expect(body.fields[0].path).toBe('@cart');
    expect(body.stats.partitionsScanned).toBeGreaterThan(0);
  });

  test('a sample reads the newest matching entries', async () => {
    const { body } = await get('/api/platform/logs/fields?from=2h&tenantId=tenant-a&sample=1');
    expect(body).toMatchObject({
      sampled: 1,
      complete: false,
      fields: [
        { path: '@cart', entries: 1 },
        { path: '@cart.total', entries: 1 },
      ],
    });
  });

  test('a tenant key sees the paths of its own entries only', async () => {
    for (const query of ['', '&tenantId=tenant-b', `&q=${encodeURIComponent('_exists_:@secret')}`]) {
      const { body } = await get(`/api/platform/logs/fields?from=2h${query}`, TENANT_A_KEY);
      expect(
        body.fields.map((field: any) => field.path),
        query,
      ).not.toContain('@secret');
    }
    expect(
      (await get('/api/platform/logs/fields?from=2h', TENANT_B_KEY)).body.fields.map((field: any) => field.path),
    ).toContain('@secret');
  });
});

describe('GET /api/platform/logs/:id/context', () => {
  test('the entries of the same tenant around one, oldest first on each side', async () => {
    const { status, body } = await get(`/api/platform/logs/${e3.id}/context?before=2&after=2`);
    expect(status).toBe(200);
    expect(body.entry).toEqual(e3);
    expect(body.by).toBe('tenant');
    expect(ids(body.before)).toEqual(ids([e1, e2]));
    expect(ids(body.after)).toEqual(ids([e4, e5]));
    expect(body.stats.durationMs).toBeGreaterThanOrEqual(0);
  });

  test('by service and by request', async () => {
    expect(ids((await get(`/api/platform/logs/${e4.id}/context?by=service&before=5&after=5`)).body.before)).toEqual(
      ids([e1, e2]),
    );
    expect(ids((await get(`/api/platform/logs/${e4.id}/context?by=service&before=5&after=5`)).body.after)).toEqual(
      ids([e6, e8]),
    );
    expect(ids((await get(`/api/platform/logs/${e4.id}/context?by=request&before=1&after=50`)).body.after)).toEqual(
      ids([e5, e6, e8]),
    );
    expect(ids((await get(`/api/platform/logs/${e4.id}/context?by=request&before=1&after=50`)).body.before)).toEqual(
      ids([e2]),
    );
  });

  test('entries at the same instant are split by id, never repeated or lost', async () => {
    const tied = Array.from({ length: 5 }, (_, i) =>
      makeEntry({ id: idAt(at(100), 900 + i), timestamp: at(100), tenantId: 'tenant-ties' }),
    );
    await insertEntries(stores.pool, tied);
    const { body } = await get(`/api/platform/logs/${tied[2].id}/context?before=10&after=10`);
    expect(ids(body.before)).toEqual(ids(tied.slice(0, 2)));
    expect(ids(body.after)).toEqual(ids(tied.slice(3)));
  });

  test('a tenant key: its own entries only, and another tenant’s entry is not found', async () => {
    const own = await get(`/api/platform/logs/${e4.id}/context?by=request&before=10&after=10`, TENANT_A_KEY);
    expect(ids(own.body.after)).toEqual(ids([e5, e8]));
    const byService = await get(`/api/platform/logs/${e4.id}/context?by=service&before=10&after=10`, TENANT_A_KEY);
    expect(ids(byService.body.after)).toEqual(ids([e8]));
    expect((await get(`/api/platform/logs/${e6.id}/context`, TENANT_A_KEY)).status).toBe(404);
    expect((await get(`/api/platform/logs/${e7.id}/context`, TENANT_B_KEY)).status).toBe(200);
  });

  test('parameters are checked', async () => {
    expect((await get(`/api/platform/logs/${e1.id}/context?by=user`)).body.parameter).toBe('by');
    expect((await get(`/api/platform/logs/${e1.id}/context?before=501`)).body.parameter).toBe('before');
    expect((await get(`/api/platform/logs/${e1.id}/context?around=5`)).body.parameter).toBe('around');
    expect((await get('/api/platform/logs/not-an-id/context')).status).toBe(404);
  });
});

describe('query statistics', () => {
  test('every query route says how many partitions it reads and how long it took', async () => {
    for (const path of [
      '/api/platform/logs?from=2h',
      '/api/platform/logs/histogram?from=2h',
      '/api/platform/logs/aggregates?from=2h',
    ]) {
      const { body } = await get(path);
      expect(body.stats, path).toEqual({ partitionsScanned: expect.any(Number), durationMs: expect.any(Number) });
    }
    const all = (await get('/api/platform/logs?from=2h')).body.stats.partitionsScanned;
    const errors = (await get('/api/platform/logs?from=2h&level=error')).body.stats.partitionsScanned;
    const inQ = (await get(`/api/platform/logs?from=2h&q=${encodeURIComponent('level:error payment')}`)).body.stats
      .partitionsScanned;
    expect(errors).toBeLessThan(all);
    expect(inQ).toBe(errors);
    expect((await get('/api/platform/logs?from=2h&q=level%3A%3Eerror')).body.stats.partitionsScanned).toBe(0);
  });
});
