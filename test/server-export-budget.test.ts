import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ExportLimits } from '../server/budget.js';
import { openStores } from '../server/stores.js';
import { PLATFORM_KEY, TENANT_A_KEY, TENANT_B_KEY, TEST_KEYS, insertEntries, makeEntry } from './server-fixtures.js';
import { startLogServer } from './support/log-server.js';
import { openExport, spacedRequests, timedGet, type OpenExport } from './support/slow-client.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();
const ROWS = 100_000;
const IDLE_TIMEOUT_MS = 1_500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A server on stores opened as the server opens them, named so that their backends can be told apart. */
async function serve(name: string, exportLimits: ExportLimits) {
  const url = new URL(stores.databaseUrl);
  url.searchParams.set('application_name', name);
  const opened = await openStores({
    databaseUrl: url.toString(),
    dataDir: '/nonexistent',
    statementTimeoutMs: 30_000,
    exportPoolSize: exportLimits.maxConcurrent,
  });
  const server = await startLogServer({
    pool: opened.pool,
    exportPool: opened.exportPool,
    exportLimits,
    redisUrl: stores.redisUrl,
    streamKey: stores.streamKey,
    keys: TEST_KEYS,
  });
  return { stores: opened, server };
}

type Served = Awaited<ReturnType<typeof serve>>;
let busy: Served;
let idle: Served;

beforeAll(async () => {
  // Over 100 MB of NDJSON per export: far more than the sockets between PostgreSQL, the server and a client hold.
  await stores.pool.query(
    `INSERT INTO platform_logs (id, "timestamp", level, tenant_id, service, message, environment)
     SELECT gen_random_uuid(), now() - i * interval '10 milliseconds', 'info', 'tenant-a', 'storefront', repeat(md5(i::text) || ' ', 25), 'test'
     FROM generate_series(1, $1) AS i`,
    [ROWS],
  );
  await insertEntries(
    stores.pool,
    Array.from({ length: 20 }, () => makeEntry({ tenantId: 'tenant-b' })),
  );
  busy = await serve('export-budget-busy', { maxConcurrent: 4, maxConcurrentPerKey: 3, idleTimeoutMs: 60_000 });
  idle = await serve('export-budget-idle', {
    maxConcurrent: 1,
    maxConcurrentPerKey: 1,
    idleTimeoutMs: IDLE_TIMEOUT_MS,
  });
}, 120_000);

afterAll(async () => {
  for (const served of [busy, idle]) {
    await served?.server.stop();
    await served?.stores.close();
  }
});

/** The PostgreSQL backends running an export COPY for the named stores, and what each waits on. */
async function exportBackends(name: string) {
  const { rows } = await stores.pool.query<{ wait_event: string | null }>(
    `SELECT wait_event FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'COPY %' AND state = 'active'`,
    [name],
  );
  return rows;
}

async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

describe('exports have a budget of their own', () => {
  test("20 slow exports: the rest get 429 at once; another key's queries and healthz answer at once throughout", {
    timeout: 90_000,
  }, async () => {
    const opened: OpenExport[] = [];
    try {
      opened.push(
        ...(await Promise.all(Array.from({ length: 20 }, () => openExport(busy.server.baseUrl, TENANT_A_KEY)))),
      );
      // the platform key takes the last export slot of the server; one more is refused on the total
      opened.push(
        ...(await Promise.all(Array.from({ length: 2 }, () => openExport(busy.server.baseUrl, PLATFORM_KEY)))),
      );
      const admitted = opened.filter((exported) => exported.status === 200);
      for (const exported of admitted) exported.readSlowly(1024);
      // the admitted ones are held up by their readers, each on a connection of its own
      await until(async () => {
        const backends = await exportBackends('export-budget-busy');
        return backends.length === admitted.length && backends.every((backend) => backend.wait_event === 'ClientWrite')
          ? true
          : undefined;
      }, 'every admitted export waits for its reader');

      // 50 queries of another key and 10 health checks over 5 seconds, beside the slow exports
      const [answered, health] = await Promise.all([
        spacedRequests(50, 100, () => timedGet(busy.server.baseUrl, '?from=30d&limit=50', TENANT_B_KEY)),
        spacedRequests(10, 500, () => timedGet(busy.server.baseUrl, '/healthz')),
      ]);
      expect(answered.map(({ status }) => status)).toEqual(Array(50).fill(200));
      expect(JSON.parse(answered[0].body).entries).toHaveLength(20);
      expect(health.map(({ status, body }) => [status, JSON.parse(body)])).toEqual(
        Array(10).fill([200, { postgres: 'ok', redis: 'ok' }]),
      );

      expect(
        opened
          .slice(0, 20)
          .map((exported) => exported.status)
          .sort(),
      ).toEqual([...Array(3).fill(200), ...Array(17).fill(429)]);
      expect(
        opened
          .slice(20)
          .map((exported) => exported.status)
          .sort(),
      ).toEqual([200, 429]);
      for (const exported of opened.filter(({ status }) => status === 429)) {
        expect(Number(exported.headers['retry-after'])).toBeGreaterThan(0);
        expect(JSON.parse(await exported.text())).toEqual({ error: expect.any(String) });
      }

      // still held: the queries ran beside them, not after them
      expect(await exportBackends('export-budget-busy')).toHaveLength(4);
      expect(busy.stores.exportPool.totalCount).toBe(4);
    } finally {
      for (const exported of opened) exported.close();
    }
    await until(
      async () => ((await exportBackends('export-budget-busy')).length === 0 ? true : undefined),
      'the closed exports have ended',
    );
    await until(
      async () => (busy.stores.exportPool.totalCount === busy.stores.exportPool.idleCount ? true : undefined),
      'the export pool has its connections back',
    );
  });

  test('an export whose reader stops is cut off after the idle timeout; its connection and its slot come back', {
    timeout: 60_000,
  }, async () => {
    const stalled = await openExport(idle.server.baseUrl, TENANT_A_KEY);
    expect(stalled.status).toBe(200);
    const started = Date.now();
    await until(
      async () => ((await exportBackends('export-budget-idle')).length === 1 ? true : undefined),
      'the export runs',
    );
    await until(
      async () => ((await exportBackends('export-budget-idle')).length === 0 ? true : undefined),
      'the stalled export is cut off',
      15_000,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - 100);
    await until(async () => (idle.stores.exportPool.totalCount === 0 ? true : undefined), 'its connection is closed');

    // the client that reads again finds the download cut short, not ended
    await expect(stalled.text()).rejects.toThrow();

    // the key's only slot is free again
    const next = await openExport(idle.server.baseUrl, TENANT_A_KEY, 'limit=3');
    expect(next.status).toBe(200);
    expect((await next.text()).trimEnd().split('\n')).toHaveLength(3);
  });

  test('in process, without a socket to close, the idle export errors its body and closes its connection', async () => {
    const response = await idle.server.app.request('/api/platform/logs/export?from=30d', {
      headers: { authorization: `Bearer ${TENANT_A_KEY}` },
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    await reader.read();
    await until(
      async () => ((await exportBackends('export-budget-idle')).length === 0 ? true : undefined),
      'the stalled export is cut off',
      15_000,
    );
    await expect(reader.read()).rejects.toThrow(`the client took nothing for ${IDLE_TIMEOUT_MS} ms`);
    expect(idle.stores.exportPool.totalCount).toBe(0);
  });

  test('query connections time out their statements; export connections do not', async () => {
    expect((await busy.stores.pool.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe('30s');
    expect((await busy.stores.exportPool.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe('0');
  });
});
