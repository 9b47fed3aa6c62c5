import type { EntryOptions, PostgresTransportOptions, RedisStreamTransportOptions } from '../src/transport-targets.js';
import { storesTransport, type Store } from './batching-transport.js';
import { openPostgres } from './postgres.js';
import { openRedisStream } from './redis-stream.js';

export interface PlatformTargetOptions extends EntryOptions {
  /** PostgreSQL; default from env DATABASE_URL when set; false for none. */
  postgres?: PostgresTransportOptions | false;
  /** The Redis stream; default from env REDIS_URL when set; false for none. */
  redis?: RedisStreamTransportOptions | false;
}

/**
 * pino transport into both platform stores, in one worker: each line is parsed and
 * normalized once, and the entry goes to one batcher per store, so both keep the same
 * entry, and a store that cannot work (a malformed URL, an outage) leaves the other alone.
 * Load it by path: `pino.transport({ target: 'platform-logging/transports/platform', options })`.
 */
export default async function platformTransport(options: PlatformTargetOptions = {}) {
  const env = process.env;
  const stores: Store[] = [];
  const postgres = options.postgres ?? (env.DATABASE_URL ? { connectionString: env.DATABASE_URL } : false);
  if (postgres) {
    const url = options.postgres ? 'options.postgres.connectionString' : 'DATABASE_URL';
    stores.push({
      name: 'postgres',
      options: postgres,
      open: () => openPostgres(postgres, { url, options: 'options.postgres.' }),
    });
  }
  const redis = options.redis ?? (env.REDIS_URL ? { url: env.REDIS_URL } : false);
  if (redis) {
    const url = options.redis ? 'options.redis.url' : 'REDIS_URL';
    stores.push({
      name: 'redis-stream',
      options: redis,
      open: () => openRedisStream(redis, { url, options: 'options.redis.' }),
    });
  }
  return storesTransport(options, stores);
}
