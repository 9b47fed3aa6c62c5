import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/factory.js';
import { useTestStores } from './support/stores.js';

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
});
