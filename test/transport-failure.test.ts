import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { LogEntry } from '../src/types.js';
import { entryBytes } from '../transports/entry-size.js';
import { normalizeEntry } from '../transports/normalize-entry.js';
import {
  closeTransport,
  openTransport,
  send,
  sleep,
  waitFor,
  wireEntry,
  type TransportStream,
} from './fixtures/transport-harness.js';
import { useTestStores } from './support/stores.js';
import { TcpProxy } from './support/tcp-proxy.js';

const stores = useTestStores();
let postgresProxy: TcpProxy;
let redisProxy: TcpProxy;

beforeAll(async () => {
  postgresProxy = await new TcpProxy(Number(new URL(stores.databaseUrl).port || 5432)).start();
  redisProxy = await new TcpProxy(Number(new URL(stores.redisUrl).port || 6379)).start();
});
afterAll(async () => {
  await Promise.all([postgresProxy.stop(), redisProxy.stop()]);
});

async function countFor(tenantId: string, level?: string): Promise<number> {
  const { rows } = await stores.pool.query(
    'SELECT count(*)::int AS n FROM platform_logs WHERE tenant_id = $1 AND ($2::text IS NULL OR level = $2)',
    [tenantId, level ?? null],
  );
  return rows[0].n;
}

/** Sends entries in bursts over about a second while measuring the event loop's longest delay. */
async function sendWhileMeasuring(stream: TransportStream, entries: LogEntry[]): Promise<number> {
  const monitor = monitorEventLoopDelay({ resolution: 10 });
  monitor.enable();
  const burst = Math.ceil(entries.length / 10);
  for (let i = 0; i < entries.length; i += burst) {
    send(stream, entries.slice(i, i + burst));
    await sleep(100);
  }
  await sleep(300);
  monitor.disable();
  return monitor.max / 1e6;
}

describe('a store that goes away and comes back', () => {
  test('postgres: nothing is lost within the bound, and logging never stalls meanwhile', async () => {
    const stream = openTransport({
      postgres: { connectionString: postgresProxy.url(stores.databaseUrl), batchSize: 10, flushIntervalMs: 200 },
    });
    try {
      send(
        stream,
        Array.from({ length: 20 }, () => wireEntry({ tenantId: 'outage' })),
      );
      await waitFor(
        () => countFor('outage'),
        (n) => n === 20,
      );
      postgresProxy.pause();
      // more than thread-stream's 4 MB ring buffer: the worker must keep reading while the store is down
      const padding = 'x'.repeat(2_000);
      const whileDown = Array.from({ length: 3_000 }, (_, i) =>
        wireEntry({ tenantId: 'outage', level: i % 100 === 0 ? 'error' : 'info', data: { padding } }),
      );
      const maxDelayMs = await sendWhileMeasuring(stream, whileDown);
      expect(maxDelayMs).toBeLessThan(200);
      expect(await countFor('outage')).toBe(20);
      postgresProxy.resume();
      expect(
        await waitFor(
          () => countFor('outage'),
          (n) => n === 3_020,
          20_000,
        ),
      ).toBe(3_020);
      const { rows } = await stores.pool.query(
        `SELECT count(*)::int AS n FROM platform_logs WHERE message LIKE 'dropped %'`,
      );
      expect(rows[0].n).toBe(0);
    } finally {
      postgresProxy.resume();
      await closeTransport(stream);
    }
  });

  test('postgres: past the memory bound entries wait in the spool, and all are stored once the store is back', async () => {
    postgresProxy.pause();
    const sent = Array.from({ length: 100 }, (_, i) =>
      wireEntry({ tenantId: 'spooled', level: i % 10 === 0 ? 'error' : 'info', message: `entry ${i}` }),
    );
    const maxBufferedBytes = 10 * entryBytes(normalizeEntry({ ...sent[1] }));
    const stream = openTransport({
      postgres: {
        connectionString: postgresProxy.url(stores.databaseUrl),
        batchSize: 10,
        flushIntervalMs: 100,
        maxBufferedBytes,
      },
    });
    try {
      send(stream, sent);
      await sleep(500);
      postgresProxy.resume();
      expect(
        await waitFor(
          () => countFor('spooled'),
          (n) => n === 100,
          20_000,
        ),
      ).toBe(100);
      const { rows } = await stores.pool.query(
        `SELECT count(*)::int AS n FROM platform_logs WHERE message LIKE 'dropped %'`,
      );
      expect(rows[0].n).toBe(0);
    } finally {
      postgresProxy.resume();
      await closeTransport(stream);
    }
  });

  test.each([
    ['spool unwritable', (dir: string) => ({ spoolDir: join(dir, 'not-a-folder') })],
    ['spool full', () => ({ spoolMaxBytes: 1 })],
  ] as const)(
    'postgres, %s: past the memory bound the oldest non-error entries go, counted and reported once the store is back',
    async (reason, spool) => {
      const tenant = `bound-${reason.replace(' ', '-')}`;
      writeFileSync(join(stores.spoolDir, 'not-a-folder'), '');
      const stderr = vi.spyOn(process.stderr, 'write');
      postgresProxy.pause();
      const errors = Array.from({ length: 10 }, (_, i) =>
        wireEntry({ tenantId: tenant, level: 'error', message: `error ${i}` }),
      );
      const infos = Array.from({ length: 90 }, (_, i) => wireEntry({ tenantId: tenant, message: `info ${i}` }));
      // room for the errors and the last 40 infos, not one more
      const bytes = (entries: LogEntry[]) =>
        entries.reduce((sum, entry) => sum + entryBytes(normalizeEntry({ ...entry })), 0);
      const maxBufferedBytes = bytes([...errors, ...infos.slice(50)]) + bytes(infos.slice(49, 50)) - 1;
      const stream = openTransport({
        postgres: {
          connectionString: postgresProxy.url(stores.databaseUrl),
          batchSize: 10,
          flushIntervalMs: 100,
          maxBufferedBytes,
          ...spool(stores.spoolDir),
        },
      });
      try {
        send(stream, [...errors, ...infos]);
        await sleep(500);
        const dropLines = () =>
          stderr.mock.calls
            .map(([text]) => String(text))
            .filter((text) => text.includes('dropping the oldest non-error entries'));
        await waitFor(
          async () => dropLines().length,
          (n) => n > 0,
          2_000,
        );
        expect(dropLines()).toHaveLength(1);
        expect(dropLines()[0]).toContain(reason);
        postgresProxy.resume();
        await waitFor(
          () => countFor(tenant),
          (n) => n === 50,
          20_000,
        );
        const { rows } = await stores.pool.query(`SELECT message FROM platform_logs WHERE tenant_id = $1`, [tenant]);
        expect(rows.map((r) => r.message).sort()).toEqual([...errors, ...infos.slice(50)].map((e) => e.message).sort());
        const report = await waitFor(
          async () =>
            (
              await stores.pool.query(
                `SELECT * FROM platform_logs WHERE message LIKE 'dropped %' AND data->>'reasons' LIKE $1`,
                [`%${reason}%`],
              )
            ).rows,
          (found) => found.length > 0,
          5_000,
        );
        expect(report).toHaveLength(1);
        expect(report[0]).toMatchObject({
          level: 'warn',
          service: 'storefront',
          tenant_id: '_platform',
          message: `dropped 50 log entries (${reason}) while the store was unavailable`,
          data: { dropped: { debug: 0, info: 50, warn: 0, error: 0 }, total: 50, reasons: { [reason]: 50 } },
        });
        if (reason === 'spool unwritable') {
          expect(stderr.mock.calls.map(([text]) => String(text)).join('')).toMatch(
            /spool .*not-a-folder.* cannot be written \(.*\): entries the store cannot take are kept in memory only/,
          );
        }
      } finally {
        postgresProxy.resume();
        stderr.mockRestore();
        await closeTransport(stream);
      }
    },
  );

  test('redis: entries logged while it is down reach the stream once it is back', async () => {
    const streamKey = `${stores.redisPrefix}outage:stream`;
    const stream = openTransport({
      redis: {
        url: redisProxy.url(stores.redisUrl),
        streamKey,
        channel: `${stores.redisPrefix}outage:events`,
        batchSize: 10,
        flushIntervalMs: 100,
      },
    });
    const redis = createClient({ url: stores.redisUrl });
    await redis.connect();
    try {
      send(stream, [wireEntry({ level: 'error' })]);
      await waitFor(
        () => redis.xLen(streamKey),
        (n) => n === 1,
      );
      redisProxy.pause();
      const whileDown = Array.from({ length: 200 }, () => wireEntry());
      const maxDelayMs = await sendWhileMeasuring(stream, whileDown);
      expect(maxDelayMs).toBeLessThan(200);
      expect(await redis.xLen(streamKey)).toBe(1);
      redisProxy.resume();
      await waitFor(
        () => redis.xLen(streamKey),
        (n) => n >= 201,
        20_000,
      );
      const ids = new Set(((await redis.xRange(streamKey, '-', '+')) ?? []).map((m) => JSON.parse(m.message.entry).id));
      for (const entry of whileDown) expect(ids.has(entry.id)).toBe(true);
    } finally {
      redisProxy.resume();
      await redis.quit();
      await closeTransport(stream);
    }
  });
});
