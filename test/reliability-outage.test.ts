import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PLATFORM_KEY, TEST_KEYS } from './server-fixtures.js';
import { LiveClient } from './support/live-client.js';
import { startLogServer } from './support/log-server.js';
import { startService } from './support/service-process.js';
import { compareIds, storedIds } from './support/stored-ids.js';
import { useTestStores } from './support/stores.js';
import { TcpProxy } from './support/tcp-proxy.js';

const stores = useTestStores();
let postgresProxy: TcpProxy;
let redisProxy: TcpProxy;

const RATE = 200;
const OUTAGE_MS = 8_000;
const BEFORE_MS = 1_000;
const AFTER_MS = 2_000;
/** The no-blocking property: a service's event loop is never held for long by logging. */
const MAX_EVENT_LOOP_DELAY_MS = 250;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  postgresProxy = await new TcpProxy(Number(new URL(stores.databaseUrl).port || 5432)).start();
  redisProxy = await new TcpProxy(Number(new URL(stores.redisUrl).port || 6379)).start();
});
afterAll(async () => {
  await Promise.all([postgresProxy?.stop(), redisProxy?.stop()]);
});

/** A service logging steadily; the proxy is down from BEFORE_MS for OUTAGE_MS. */
async function logThroughOutage(tenant: string, proxy: TcpProxy, urls: { databaseUrl: string; redisUrl: string }) {
  const service = startService({ ...urls, streamKey: stores.streamKey, channel: stores.channel }, tenant, {
    mode: 'steady',
    rate: RATE,
    durationMs: BEFORE_MS + OUTAGE_MS + AFTER_MS,
  });
  try {
    await service.started;
    await sleep(BEFORE_MS);
    proxy.pause();
    await sleep(OUTAGE_MS);
  } finally {
    proxy.resume();
  }
  return service.finished;
}

describe('a service keeps logging while a store is down', () => {
  test(`PostgreSQL unreachable for ${OUTAGE_MS / 1000} s: every entry is stored once it is back, and the service never stalls`, async () => {
    const tenant = 'outage-postgres';
    const result = await logThroughOutage(tenant, postgresProxy, {
      databaseUrl: postgresProxy.url(stores.databaseUrl),
      redisUrl: stores.redisUrl,
    });
    expect(result.code, result.stderr).toBe(0);
    const { inPostgres, inStream } = await storedIds(stores, tenant);
    const figures = {
      logged: result.loggedIds.length,
      stored: inPostgres.length,
      inStream: inStream.length,
      ...result.eventLoop,
    };
    console.log('reliability postgres outage', JSON.stringify(figures));

    expect(result.loggedIds.length).toBe(RATE * ((BEFORE_MS + OUTAGE_MS + AFTER_MS) / 1000));
    expect(compareIds(result.loggedIds, inPostgres)).toEqual({ missing: 0, duplicates: 0, unexpected: 0 });
    expect(compareIds(result.loggedIds, inStream)).toEqual({ missing: 0, duplicates: 0, unexpected: 0 });
    expect(result.stderr).toMatch(/postgres: store unavailable/);
    expect(result.eventLoop!.maxMs).toBeLessThan(MAX_EVENT_LOOP_DELAY_MS);
  });

  test(`Redis unreachable for ${OUTAGE_MS / 1000} s: live clients get every entry once it is back`, async () => {
    const tenant = 'outage-redis';
    const server = await startLogServer({
      pool: stores.pool,
      redisUrl: redisProxy.url(stores.redisUrl),
      streamKey: stores.streamKey,
      keys: TEST_KEYS,
    });
    const clients = await Promise.all(
      [1, 2, 3].map(() => new LiveClient(server.wsUrl, PLATFORM_KEY, { tenantId: tenant }).start()),
    );
    try {
      const result = await logThroughOutage(tenant, redisProxy, {
        databaseUrl: stores.databaseUrl,
        redisUrl: redisProxy.url(stores.redisUrl),
      });
      expect(result.code, result.stderr).toBe(0);
      const logged = result.loggedIds;
      for (const client of clients)
        await client.until(() => client.entries.length >= logged.length, 20_000, 'every entry on the live stream');
      await sleep(200); // a duplicate would arrive now

      const { inPostgres, inStream } = await storedIds(stores, tenant);
      const figures = {
        logged: logged.length,
        stored: inPostgres.length,
        inStream: inStream.length,
        receivedPerClient: clients.map((client) => client.entries.length),
        gaps: clients.map((client) => client.gaps.length),
        ...result.eventLoop,
      };
      console.log('reliability redis outage', JSON.stringify(figures));

      expect(compareIds(logged, inPostgres)).toEqual({ missing: 0, duplicates: 0, unexpected: 0 });
      expect(compareIds(logged, inStream)).toEqual({ missing: 0, duplicates: 0, unexpected: 0 });
      for (const client of clients) {
        expect(client.ids()).toEqual(logged);
        // nothing was trimmed, so the stream resumed where it stopped, without a gap notice
        expect(client.gaps).toEqual([]);
      }
      expect(result.stderr).toMatch(/redis-stream: store unavailable/);
      expect(result.eventLoop!.maxMs).toBeLessThan(MAX_EVENT_LOOP_DELAY_MS);
    } finally {
      for (const client of clients) client.stop();
      await server.stop();
    }
  });
});
