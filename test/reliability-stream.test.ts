import type { IncomingMessage } from 'node:http';
import { createClient } from 'redis';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RedisClient } from '../server/stores.js';
import { PLATFORM_KEY, TENANT_A_KEY, TEST_KEYS, makeEntry } from './server-fixtures.js';
import { addToStream } from './stream-fixtures.js';
import { LiveClient } from './support/live-client.js';
import { startLogServer, type LogServer } from './support/log-server.js';
import { startService } from './support/service-process.js';
import { compareIds, storedIds } from './support/stored-ids.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();
let redis: RedisClient;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();

beforeAll(async () => {
  redis = createClient({ url: stores.redisUrl });
  await redis.connect();
});
afterAll(async () => {
  await redis?.close();
});

const serverOn = (port?: number, limits?: Parameters<typeof startLogServer>[0]['limits']) =>
  startLogServer({
    pool: stores.pool,
    redisUrl: stores.redisUrl,
    streamKey: stores.streamKey,
    keys: TEST_KEYS,
    port,
    limits,
  });

describe('the live stream through server restarts and bad clients', () => {
  test('clients connected while the server restarts reconnect and resume: no gap, no duplicate', async () => {
    const tenant = 'tenant-a';
    let server: LogServer = await serverOn();
    const clients = await Promise.all([
      new LiveClient(server.wsUrl, PLATFORM_KEY, { tenantId: tenant }).start(),
      new LiveClient(server.wsUrl, TENANT_A_KEY).start(),
      new LiveClient(server.wsUrl, PLATFORM_KEY, { tenantId: tenant, level: ['info'] }).start(),
    ]);
    try {
      const service = startService(stores, tenant, { mode: 'steady', rate: 200, durationMs: 5_000 });
      await service.started;
      await sleep(1_500);
      await server.stop();
      const downSince = Date.now();
      await sleep(1_000);
      server = await serverOn(server.port);
      const downMs = Date.now() - downSince;
      const result = await service.finished;
      expect(result.code, result.stderr).toBe(0);
      const logged = result.loggedIds;
      for (const client of clients)
        await client.until(() => client.entries.length >= logged.length, 15_000, 'every entry after the restart');
      await sleep(200); // a duplicate would arrive now

      console.log(
        'reliability server restart',
        JSON.stringify({
          logged: logged.length,
          downMs,
          receivedPerClient: clients.map((c) => c.entries.length),
          reconnects: clients.map((c) => c.reconnects),
        }),
      );
      for (const client of clients) {
        expect(client.reconnects).toBeGreaterThanOrEqual(1);
        expect(client.ids()).toEqual(logged);
        expect(client.gaps).toEqual([]);
      }
      const { inPostgres } = await storedIds(stores, tenant);
      expect(compareIds(logged, inPostgres)).toEqual({ missing: 0, duplicates: 0, unexpected: 0 });
    } finally {
      for (const client of clients) client.stop();
      await server.stop();
    }
  });

  test('a client that never reads and a flood of 200 clients do not hold back a normal client', {
    timeout: 120_000,
  }, async () => {
    const server = await serverOn(undefined, { maxClientsPerKey: 1_000, slowClientTimeoutMs: 60_000 });
    const normal = await new LiveClient(
      server.wsUrl,
      PLATFORM_KEY,
      { tenantId: 'probe' },
      { reconnect: false },
    ).start();
    const others: LiveClient[] = [];
    const bulkText = 'x'.repeat(20_000);

    /** 300 probe entries over 3 s (with 20 KB entries of another tenant in between); their delivery latency to `normal`. */
    const publish = async (phase: string) => {
      const probes: string[] = [];
      for (let i = 0; i < 300; i++) {
        const probe = makeEntry({
          tenantId: 'probe',
          message: `${phase} probe ${i}`,
          timestamp: new Date().toISOString(),
          data: { sentAt: now() },
        });
        const bulk = Array.from({ length: 3 }, () => makeEntry({ tenantId: 'bulk', message: bulkText }));
        probes.push(probe.id);
        await addToStream(redis, stores.streamKey, [probe, ...bulk]);
        await sleep(10);
      }
      await normal.until(() => probes.every((id) => normal.ids().includes(id)), 20_000, `the ${phase} probes`);
      const byId = new Map(normal.entries.map((entry) => [entry.id, entry]));
      const latencies = probes.map((id) => byId.get(id)!.receivedAt - byId.get(id)!.sentAt!).sort((a, b) => a - b);
      const at = (q: number) => Math.round(latencies[Math.ceil(q * latencies.length) - 1] * 10) / 10;
      return { probes, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: at(1) };
    };

    try {
      const alone = await publish('alone');

      const slow = await new LiveClient(server.wsUrl, PLATFORM_KEY, {}, { reconnect: false }).start();
      others.push(slow);
      (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
      for (let i = 0; i < 200; i++)
        others.push(
          await new LiveClient(server.wsUrl, PLATFORM_KEY, { tenantId: 'probe' }, { reconnect: false }).start(),
        );
      const crowded = await publish('crowded');
      const flood = others.slice(1);
      await Promise.all(
        flood.map((client) =>
          client.until(() => client.entries.length === crowded.probes.length, 20_000, 'the probes'),
        ),
      );

      (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
      await slow.until(() => slow.gaps.some((gap) => gap.reason === 'slow-client'), 20_000, 'the slow-client notice');
      const figures = {
        alone: { p50Ms: alone.p50Ms, p95Ms: alone.p95Ms, maxMs: alone.maxMs },
        withSlowClientAndFlood: { p50Ms: crowded.p50Ms, p95Ms: crowded.p95Ms, maxMs: crowded.maxMs },
        floodReceived: flood.reduce((sum, client) => sum + client.entries.length, 0),
        slowClientMissed: slow.gaps.reduce((sum, gap) => sum + (gap.missed ?? 0), 0),
      };
      console.log('reliability slow client and flood', JSON.stringify(figures));

      expect(normal.ids()).toEqual([...alone.probes, ...crowded.probes]);
      for (const client of flood) expect(client.ids()).toEqual(crowded.probes);
      expect(figures.slowClientMissed).toBeGreaterThan(0);
      expect(server.hub.clientCount()).toBe(202);
    } finally {
      normal.stop();
      for (const client of others) client.stop();
      await server.stop();
    }
  });

  test('past the streams allowed per key: 429 with Retry-After, on WebSocket and SSE', async () => {
    const server = await serverOn(undefined, { maxClientsPerKey: 1 });
    const first = await new LiveClient(server.wsUrl, TENANT_A_KEY, {}, { reconnect: false }).start();
    try {
      const refused = await new Promise<IncomingMessage>((resolve, reject) => {
        const ws = new WebSocket(server.wsUrl, { headers: { authorization: `Bearer ${TENANT_A_KEY}` } });
        ws.once('unexpected-response', (_request, response) => resolve(response));
        ws.once('open', () => reject(new Error('a second stream was let in')));
        ws.once('error', () => {});
      });
      expect(refused.statusCode).toBe(429);

      const sse = await fetch(`${server.baseUrl}/api/platform/logs/stream/sse`, {
        headers: { authorization: `Bearer ${TENANT_A_KEY}` },
      });
      expect(sse.status).toBe(429);
      expect(Number(sse.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await sse.json()) as { error: string }).error).toMatch(/already has 1 open streams/);
    } finally {
      first.stop();
      await server.stop();
    }
  });
});
