import { join } from 'node:path';
import { createClient } from 'redis';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../src/factory.js';
import { useTestStores } from './support/stores.js';
import { TcpProxy } from './support/tcp-proxy.js';

const stores = useTestStores();

describe('createLogger with the platform transports', () => {
  it('writes every entry to PostgreSQL and the Redis stream by the time close() resolves', async () => {
    const logger = createLogger({
      service: 'orchestrator',
      env: {},
      config: { console: 'off', buffer: { flushIntervalMs: 60_000 } },
      transports: {
        postgres: { connectionString: stores.databaseUrl },
        redis: { url: stores.redisUrl, streamKey: stores.streamKey, channel: stores.channel },
      },
    });
    const request = logger.child({ tenantId: 'tenant_1', requestId: 'req_1' });
    for (let i = 0; i < 120; i++) request.debug('step', { i });
    request.error('step failed', new Error('boom'));
    await logger.close();

    const { rows } = await stores.pool.query<{ level: string; tenant_id: string; n: string }>(
      `SELECT level, tenant_id, count(*) AS n FROM platform_logs GROUP BY level, tenant_id ORDER BY level`,
    );
    expect(rows).toEqual([
      { level: 'debug', tenant_id: 'tenant_1', n: '120' },
      { level: 'error', tenant_id: 'tenant_1', n: '1' },
    ]);

    const redis = createClient({ url: stores.redisUrl });
    await redis.connect();
    try {
      expect(await redis.xLen(stores.streamKey)).toBe(121);
    } finally {
      await redis.quit();
    }
  });

  it('close() resolves, within the exit timeout of a store that is down, to a report per store, and says on stderr what it spooled', async () => {
    const proxy = await new TcpProxy(Number(new URL(stores.databaseUrl).port || 5432)).start();
    proxy.pause();
    const stderr = vi.spyOn(process.stderr, 'write');
    try {
      const logger = createLogger({
        service: 'admin',
        env: {},
        config: { console: 'off' },
        transports: {
          postgres: { connectionString: proxy.url(stores.databaseUrl) },
          redis: {
            url: stores.redisUrl,
            streamKey: `${stores.redisPrefix}report:stream`,
            channel: `${stores.redisPrefix}report:events`,
          },
        },
      });
      for (let i = 0; i < 30; i++) logger.info('while postgres is down', { i });
      const started = Date.now();
      const report = await logger.close();
      // the exit timeout (2 s) plus room for a busy machine; bench/reliability measures the figure
      expect(Date.now() - started).toBeLessThan(6_000);
      const spoolDir = join(stores.spoolDir, 'admin', 'postgres');
      const none = { debug: 0, info: 0, warn: 0, error: 0 };
      expect(report).toEqual({
        postgres: { written: 0, spooled: 30, dropped: 0, droppedByLevel: none, dropReasons: {}, spoolDir },
        'redis-stream': {
          written: 30,
          spooled: 0,
          dropped: 0,
          droppedByLevel: none,
          dropReasons: {},
          spoolDir: join(stores.spoolDir, 'admin', 'redis-stream'),
        },
      });
      const lines = stderr.mock.calls
        .map(([text]) => String(text))
        .filter((text) => text.startsWith('platform-logging:'));
      expect(lines).toEqual([
        `platform-logging: postgres wrote 0, spooled 30 to ${spoolDir}, dropped 0; redis-stream wrote 30, spooled 0, dropped 0\n`,
      ]);
    } finally {
      stderr.mockRestore();
      await proxy.stop();
    }
  });
});
