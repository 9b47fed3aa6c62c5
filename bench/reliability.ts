/**
 * The outage test at a larger scale: a service process logs steadily through createLogger
 * while PostgreSQL, then Redis, is unreachable (through a TCP proxy), then back; prints
 * logged vs stored and the service's event-loop delay.
 *
 *   npm run build:lib && npx tsx bench/reliability.ts [--outage-seconds 30] [--rate 200]
 *
 * Works in its own schema and Redis keys, removed at the end.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createClient } from 'redis';
import { migrate } from '../server/store/migrate.js';
import { ensurePartitionsAhead } from '../server/store/partitions.js';
import { startService } from '../test/support/service-process.js';
import { compareIds, storedIds } from '../test/support/stored-ids.js';
import { TcpProxy } from '../test/support/tcp-proxy.js';

const { values } = parseArgs({ options: { 'outage-seconds': { type: 'string', default: '30' }, rate: { type: 'string', default: '200' } } });
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

const rows: Record<string, unknown>[] = [];
try {
  await migrate(pool);
  await ensurePartitionsAhead(pool);
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
  console.table(rows);
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
