import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { createClient } from 'redis';
import { createApp } from '../server/app.js';
import { createAuth, type ApiKey } from '../server/auth.js';
import type { StoredLogEntry } from '../src/types.js';
import { ENTRY_COLUMNS, ENTRY_FIELDS } from '../src/entry-fields.js';

export const PLATFORM_KEY = 'platform-key-0123456789';
export const TENANT_A_KEY = 'tenant-a-key-0123456789';
export const TENANT_B_KEY = 'tenant-b-key-0123456789';
export const TEST_KEYS: ApiKey[] = [
  { key: PLATFORM_KEY, principal: { scope: 'platform' } },
  { key: TENANT_A_KEY, principal: { scope: 'tenant', tenantId: 'tenant-a' } },
  { key: TENANT_B_KEY, principal: { scope: 'tenant', tenantId: 'tenant-b' } },
];

export function bearer(key: string): { headers: { authorization: string } } {
  return { headers: { authorization: `Bearer ${key}` } };
}

/** An entry with every field set to something plausible, then the overrides. */
export function makeEntry(overrides: Partial<StoredLogEntry> = {}): StoredLogEntry {
  return {
    id: randomUUID(),
    timestamp: new Date(Date.now() - 60_000).toISOString(),
    level: 'info',
    tenantId: 'tenant-a',
    tenantSlug: 'acme',
    userId: 'user-1',
    sessionId: 'session-1',
    impersonatorId: null,
    requestId: 'req-1',
    traceId: 'trace-1',
    spanId: 'span-1',
    service: 'storefront',
    action: 'checkout.start',
    file: 'src/checkout.ts',
    line: 42,
    function: 'startCheckout',
    message: 'checkout started',
    data: { cart: { items: 2 }, note: 'a "quoted", comma\nnewline' },
    errorType: null,
    errorCode: null,
    errorStack: null,
    environment: 'test',
    version: '1.2.3',
    region: 'eu-west-1',
    errorSignature: null,
    messageTemplate: null,
    ...overrides,
  };
}

/** Inserts the entries as the postgres transport would store them. */
export async function insertEntries(pool: pg.Pool, entries: StoredLogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await pool.query(
    `INSERT INTO platform_logs (${ENTRY_COLUMNS})
     SELECT ${ENTRY_FIELDS.map(({ field, sqlType }) => `(e->>'${field}')::${sqlType}`).join(', ')}
     FROM jsonb_array_elements($1::jsonb) AS e`,
    [JSON.stringify(entries)],
  );
}

/** The app as `npm start` builds it, on the test file's stores. */
export async function createTestApp(
  stores: { pool: pg.Pool; redisUrl: string; redisPrefix: string },
  overrides: { rateLimitPerMinute?: number; exportMaxRows?: number; uiDir?: string } = {},
) {
  const redis = createClient({ url: stores.redisUrl });
  await redis.connect();
  const app = createApp({
    pool: stores.pool,
    redis,
    auth: createAuth(TEST_KEYS),
    redisKeyPrefix: `${stores.redisPrefix}server:`,
    exportMaxRows: overrides.exportMaxRows ?? 100_000,
    rateLimitPerMinute: overrides.rateLimitPerMinute ?? 100_000,
    uiDir: overrides.uiDir ?? '/nonexistent-ui',
  });
  return { app, close: () => redis.quit() };
}
