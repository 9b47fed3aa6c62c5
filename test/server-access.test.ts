import type { Hono } from 'hono';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApp } from '../server/app.js';
import { createAuth, parseApiKeys, loadApiKeys } from '../server/auth.js';
import {
  PLATFORM_KEY,
  TENANT_A_KEY,
  TEST_KEYS,
  bearer,
  createTestApp,
  insertEntries,
  makeEntry,
} from './server-fixtures.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();
let app: Hono<any>;
let close: () => Promise<unknown>;

const secretOfB = makeEntry({
  tenantId: 'tenant-b',
  tenantSlug: 'bolt',
  message: 'tenant b secret payment failed',
  level: 'error',
  errorSignature: 'shared-sig',
});
const ofA = makeEntry({
  tenantId: 'tenant-a',
  message: 'tenant a payment failed',
  level: 'error',
  errorSignature: 'shared-sig',
});

beforeAll(async () => {
  await insertEntries(stores.pool, [secretOfB, ofA]);
  ({ app, close } = await createTestApp(stores));
});
afterAll(async () => close?.());

const ROUTES = [
  '/api/platform/logs',
  '/api/platform/logs/whoami',
  '/api/platform/logs/histogram',
  '/api/platform/logs/export',
  '/api/platform/logs/aggregates',
  `/api/platform/logs/${secretOfB.id}`,
];

describe('keys', () => {
  test.each(ROUTES)('%s needs a valid key', async (path) => {
    for (const init of [
      {},
      bearer('wrong-key-0123456789'),
      { headers: { authorization: PLATFORM_KEY } },
      { headers: { authorization: `Basic ${PLATFORM_KEY}` } },
    ]) {
      const response = await app.request(path, init);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect((await (response.json() as Promise<any>)).error).toMatch(/key/);
    }
    const allowed = await app.request(path, bearer(PLATFORM_KEY));
    expect(allowed.status).toBe(200);
    await allowed.arrayBuffer();
  });

  test('a ticket is issued for a key, redeemed once, and expires after 30 s', async () => {
    const response = await app.request('/api/platform/logs/stream/ticket', { method: 'POST', ...bearer(TENANT_A_KEY) });
    expect(response.status).toBe(200);
    const { ticket, expiresAt } = await (response.json() as Promise<any>);
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());

    let now = 1_000_000;
    const auth = createAuth(TEST_KEYS, { now: () => now });
    const tenantA = auth.resolveKey(`Bearer ${TENANT_A_KEY}`)!;
    const issued = auth.issueTicket(tenantA);
    expect(await auth.redeemTicket(issued.ticket)).toEqual(tenantA);
    expect(await auth.redeemTicket(issued.ticket)).toBeNull();
    const late = auth.issueTicket(auth.resolveKey(`Bearer ${PLATFORM_KEY}`)!);
    now += 30_001;
    expect(await auth.redeemTicket(late.ticket)).toBeNull();
    expect(await auth.redeemTicket(ticket)).toBeNull(); // another server's ticket
  });

  test('LOG_API_KEYS is parsed strictly; production without keys refuses to start', () => {
    expect(parseApiKeys(' k1-0123456789abcdef:platform , k2-0123456789abcdef:tenant:t-1 ')).toEqual([
      { key: 'k1-0123456789abcdef', principal: { scope: 'platform' } },
      { key: 'k2-0123456789abcdef', principal: { scope: 'tenant', tenantId: 't-1' } },
    ]);
    expect(() => parseApiKeys('k1-0123456789abcdef:tenant')).toThrow(/entry 1/);
    expect(() => parseApiKeys('short:platform')).toThrow(/16 characters/);
    expect(() => parseApiKeys('k1-0123456789abcdef:admin')).toThrow(/platform or/);
    expect(() => loadApiKeys(undefined, 'production')).toThrow(/LOG_API_KEYS/);
    const dev = loadApiKeys('', 'development');
    expect(dev.generatedKey).toMatch(/^dev_/);
    expect(createAuth(dev.keys).resolveKey(`Bearer ${dev.generatedKey}`)?.principal).toEqual({ scope: 'platform' });
  });
});

describe('a tenant key sees only its tenant', () => {
  const asA = (path: string) => app.request(path, bearer(TENANT_A_KEY));

  test('query, whatever filter it sends', async () => {
    for (const query of ['', '?tenantId=tenant-b', '?tenantSlug=bolt', '?q=secret', '?errorSignature=shared-sig']) {
      const body = await ((await asA(`/api/platform/logs${query}`)).json() as Promise<any>);
      expect(body.entries.every((entry: { tenantId: string }) => entry.tenantId === 'tenant-a')).toBe(true);
      expect(JSON.stringify(body)).not.toContain('tenant b secret');
    }
    const own = await ((await asA('/api/platform/logs?errorSignature=shared-sig')).json() as Promise<any>);
    expect(own.entries.map((e: { id: string }) => e.id)).toEqual([ofA.id]);
  });

  test("by id: another tenant's entry is not found", async () => {
    expect((await asA(`/api/platform/logs/${secretOfB.id}`)).status).toBe(404);
    expect((await asA(`/api/platform/logs/${ofA.id}`)).status).toBe(200);
    expect((await app.request(`/api/platform/logs/${secretOfB.id}`, bearer(PLATFORM_KEY))).status).toBe(200);
  });

  test('export', async () => {
    for (const query of ['?format=ndjson', '?format=csv&tenantId=tenant-b', '?q=secret']) {
      const response = await asA(`/api/platform/logs/export${query}`);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).not.toContain('tenant-b');
    }
    expect(await (await asA('/api/platform/logs/export')).text()).toContain(ofA.id);
  });

  test('aggregates', async () => {
    for (const query of ['', '?tenantId=tenant-b', '?errorSignature=shared-sig']) {
      const body = await ((await asA(`/api/platform/logs/aggregates${query}`)).json() as Promise<any>);
      expect(JSON.stringify(body)).not.toContain('tenant-b');
      for (const group of body.groups) expect(group.tenants).toBe(1);
    }
    const own = await ((await asA('/api/platform/logs/aggregates')).json() as Promise<any>);
    expect(own.groups.map((g: { signature: string; count: number }) => [g.signature, g.count])).toEqual([
      ['shared-sig', 1],
    ]);
    const all = await ((
      await app.request('/api/platform/logs/aggregates', bearer(PLATFORM_KEY))
    ).json() as Promise<any>);
    expect(all.groups.map((g: { signature: string; count: number }) => [g.signature, g.count])).toEqual([
      ['shared-sig', 2],
    ]);
  });

  test('histogram', async () => {
    const count = async (response: Response) => {
      const body = await (response.json() as Promise<any>);
      return body.buckets.reduce((sum: number, b: { counts: Record<string, number> }) => sum + b.counts.error, 0);
    };
    expect(await count(await asA('/api/platform/logs/histogram?tenantId=tenant-b'))).toBe(0);
    expect(await count(await asA('/api/platform/logs/histogram?errorSignature=shared-sig'))).toBe(1);
    expect(
      await count(await app.request('/api/platform/logs/histogram?errorSignature=shared-sig', bearer(PLATFORM_KEY))),
    ).toBe(2);
  });
});

describe('rate limit', () => {
  test('past the limit: 429 JSON with Retry-After, per key', async () => {
    const limited = await createTestApp(stores, { rateLimitPerMinute: 3 });
    try {
      for (let i = 0; i < 3; i++)
        expect((await limited.app.request('/api/platform/logs/whoami', bearer(PLATFORM_KEY))).status).toBe(200);
      const refused = await limited.app.request('/api/platform/logs/whoami', bearer(PLATFORM_KEY));
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await (refused.json() as Promise<any>)).error).toMatch(/rate limit/);
      expect((await limited.app.request('/api/platform/logs/whoami', bearer(TENANT_A_KEY))).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('store faults', () => {
  test('PostgreSQL down: 503 JSON without internals, and healthz says so', async () => {
    const deadPool = new pg.Pool({
      connectionString: 'postgres://postgres@127.0.0.1:1/postgres',
      connectionTimeoutMillis: 1000,
    });
    const down = createApp({
      pool: deadPool,
      auth: createAuth(TEST_KEYS),
      exportMaxRows: 10,
      rateLimitPerMinute: 100,
      uiDir: '/none',
    });
    try {
      for (const path of ['/api/platform/logs', '/api/platform/logs/export', '/api/platform/logs/histogram']) {
        const response = await down.request(path, bearer(PLATFORM_KEY));
        expect(response.status).toBe(503);
        const body = await (response.json() as Promise<any>);
        expect(body.error).toMatch(/unavailable/);
        expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|at /);
      }
      const health = await down.request('/api/platform/logs/healthz');
      expect(health.status).toBe(503);
      expect(await (health.json() as Promise<any>)).toEqual({ postgres: 'down', redis: 'not configured' });
    } finally {
      await deadPool.end();
    }
  });
});
