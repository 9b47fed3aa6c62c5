/**
 * The reliability tests at a larger scale, printed as tables:
 * - outage: a service process logs steadily through createLogger while PostgreSQL, then
 *   Redis, is unreachable (through a TCP proxy), then back; logged vs stored and the
 *   service's event-loop delay.
 * - exports: another key's query latency while 20 exports are read at about 1 KB/s, beside
 *   the same queries with no export running, and beside exports on the queries' pool with no
 *   limits, as the server ran them before exports had a budget of their own.
 *
 *   npm run build:lib && npx tsx bench/reliability.ts [--outage-seconds 30] [--rate 200] [--only outage,exports]
 *
 * Works in its own schema and Redis keys, removed at the end.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createClient } from 'redis';
import { loadServerSettings } from '../server/settings.js';
import { migrate } from '../server/store/migrate.js';
import { ensurePartitionsAhead } from '../server/store/partitions.js';
import { openStores } from '../server/stores.js';
import { TENANT_A_KEY, TENANT_B_KEY, TEST_KEYS, insertEntries, makeEntry } from '../test/server-fixtures.js';
import { startLogServer } from '../test/support/log-server.js';
import { startService } from '../test/support/service-process.js';
import { openExport, spacedRequests, timedGet, type OpenExport } from '../test/support/slow-client.js';
import { compareIds, storedIds } from '../test/support/stored-ids.js';
import { TcpProxy } from '../test/support/tcp-proxy.js';
import { percentile } from './stats.js';

const { values } = parseArgs({
  options: { 'outage-seconds': { type: 'string', default: '30' }, rate: { type: 'string', default: '200' }, only: { type: 'string', default: 'outage,exports' } },
});
const only = new Set(values.only.split(','));
const outageMs = Number(values['outage-seconds']) * 1000;
const rate = Number(values.rate);
const baseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const id = randomBytes(5).toString('hex');
const schema = `bench_reliability_${id}`;
const prefix = `bench:${id}:`;
const url = new URL(baseUrl);
url.searchParams.set('options', `-c search_path=${schema}`);
const databaseUrl = url.toString();
const admin = new pg.Pool({ connectionString: baseUrl, max: 1 });
await admin.query(`CREATE SCHEMA ${schema}`);
const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
const postgresProxy = await new TcpProxy(Number(url.port || 5432)).start();
const redisProxy = await new TcpProxy(Number(new URL(redisUrl).port || 6379)).start();

/** Logged vs stored while each store is down for the outage. */
async function outageRows(): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const store of ['postgres', 'redis'] as const) {
    const proxy = store === 'postgres' ? postgresProxy : redisProxy;
    const stores = {
      pool,
      databaseUrl: store === 'postgres' ? postgresProxy.url(databaseUrl) : databaseUrl,
      redisUrl: store === 'redis' ? redisProxy.url(redisUrl) : redisUrl,
      streamKey: `${prefix}stream`,
      channel: `${prefix}events`,
    };
    const tenant = `outage-${store}`;
    const service = startService(stores, tenant, { mode: 'steady', rate, durationMs: outageMs + 5_000 });
    await service.started;
    await sleep(2_000);
    proxy.pause();
    await sleep(outageMs);
    proxy.resume();
    const result = await service.finished;
    const stored = await storedIds({ pool, redisUrl, streamKey: stores.streamKey }, tenant);
    rows.push({
      store,
      outageS: outageMs / 1000,
      logged: result.loggedIds.length,
      inPostgres: stored.inPostgres.length,
      inStream: stored.inStream.length,
      missingPg: compareIds(result.loggedIds, stored.inPostgres).missing,
      missingStream: compareIds(result.loggedIds, stored.inStream).missing,
      loopP50Ms: result.eventLoop?.p50Ms,
      loopP99Ms: result.eventLoop?.p99Ms,
      loopMaxMs: result.eventLoop?.maxMs,
    });
  }
  return rows;
}

const EXPORTS = 20;
const EXPORT_ROWS = 100_000;

/** Exports of tenant A read at about 1 KB/s, while tenant B queries 50 times over 5 s and healthz is asked 10 times. */
async function exportRows(): Promise<Record<string, unknown>[]> {
  // Over 100 MB of NDJSON per export: far more than the sockets on the way hold, so every export waits for its reader.
  await pool.query(
    `INSERT INTO platform_logs (id, "timestamp", level, tenant_id, service, message, environment)
     SELECT gen_random_uuid(), now() - i * interval '10 milliseconds', 'info', 'tenant-a', 'storefront', repeat(md5(i::text) || ' ', 25), 'bench'
     FROM generate_series(1, $1) AS i`,
    [EXPORT_ROWS],
  );
  await insertEntries(pool, Array.from({ length: 1_000 }, (_, i) => makeEntry({ tenantId: 'tenant-b', timestamp: new Date(Date.now() - i * 60_000).toISOString() })));
  const settings = loadServerSettings({}); // the defaults
  const named = new URL(databaseUrl);
  named.searchParams.set('application_name', schema);
  const stores = await openStores({
    databaseUrl: named.toString(),
    dataDir: '/nonexistent',
    statementTimeoutMs: settings.statementTimeoutMs,
    exportPoolSize: settings.exportLimits.maxConcurrent,
  });
  const unlimited = { maxConcurrent: EXPORTS, maxConcurrentPerKey: EXPORTS };
  const runs = [
    { run: 'no export', exports: 0, exportPool: stores.exportPool, exportLimits: settings.exportLimits },
    { run: `${EXPORTS} slow exports, export budget`, exports: EXPORTS, exportPool: stores.exportPool, exportLimits: settings.exportLimits },
    { run: `${EXPORTS} slow exports, one pool, no limits (before)`, exports: EXPORTS, exportPool: stores.pool, exportLimits: unlimited },
  ];
  const rows: Record<string, unknown>[] = [];
  try {
    for (const { run, exports, exportPool, exportLimits } of runs) {
      const server = await startLogServer({ pool: stores.pool, exportPool, exportLimits, redisUrl, streamKey: `${prefix}stream`, keys: TEST_KEYS });
      const opened: OpenExport[] = [];
      try {
        opened.push(...(await Promise.all(Array.from({ length: exports }, () => openExport(server.baseUrl, TENANT_A_KEY)))));
        for (const exported of opened) if (exported.status === 200) exported.readSlowly(1024);
        await sleep(2_000); // the sockets fill and PostgreSQL waits for the readers
        const [queries, health] = await Promise.all([
          spacedRequests(50, 100, () => timedGet(server.baseUrl, '?from=30d&limit=100', TENANT_B_KEY)),
          spacedRequests(10, 500, () => timedGet(server.baseUrl, '/healthz')),
        ]);
        const ms = queries.map((answer) => answer.ms).sort((a, b) => a - b);
        const count = (status: number) => opened.filter((exported) => exported.status === status).length;
        rows.push({
          run,
          exportsRunning: count(200),
          exports429: count(429),
          exports503: count(503),
          queries: queries.length,
          queriesNot200: queries.filter((answer) => answer.status !== 200).length,
          p50Ms: Math.round(percentile(ms, 50)),
          p95Ms: Math.round(percentile(ms, 95)),
          maxMs: Math.round(ms[ms.length - 1]),
          healthzOk: `${health.filter((answer) => answer.status === 200).length}/${health.length}`,
          goal: 'p95 < 500 ms',
        });
      } finally {
        for (const exported of opened) exported.close();
        await server.stop();
      }
      while ((await pool.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'COPY %' AND state = 'active'`, [schema])).rowCount) await sleep(100);
    }
  } finally {
    await stores.close();
  }
  return rows;
}

try {
  await migrate(pool);
  await ensurePartitionsAhead(pool);
  if (only.has('outage')) console.table(await outageRows());
  if (only.has('exports')) console.table(await exportRows());
} finally {
  await Promise.all([postgresProxy.stop(), redisProxy.stop()]);
  await pool.end();
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
  const redis = createClient({ url: redisUrl });
  await redis.connect();
  await redis.del([`${prefix}stream`]);
  await redis.close();
}
