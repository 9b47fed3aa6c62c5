import { createClient } from 'redis';
import { DEFAULT_CHANNEL, DEFAULT_STREAM_KEY, checkRedisOptions, type RedisStreamTransportOptions, type StoreOptionNames } from '../src/transport-targets.js';
import type { StoredLogEntry } from '../src/types.js';
import { storesTransport, type StoreWriter } from './batching-transport.js';
import { createStreamAppender } from './redis-append.js';

export const DEFAULT_STREAM_MAX_LEN = 10_000;

/**
 * The Redis stream store: per batch, one script that XADDs each entry (MAXLEN ~ maxLen,
 * field `entry` = the stored entry as JSON) and PUBLISHes a StreamNotice, at most once per
 * entry however often the batch is retried (see createStreamAppender). The client queues
 * nothing while disconnected (commands fail at once and the batcher retries), so memory
 * stays within the batcher's bound.
 */
export function openRedisStream(options: RedisStreamTransportOptions, names: StoreOptionNames): StoreWriter {
  checkRedisOptions(options, names);
  const streamKey = options.streamKey ?? DEFAULT_STREAM_KEY;
  const channel = options.channel ?? DEFAULT_CHANNEL;
  const maxLen = options.maxLen ?? DEFAULT_STREAM_MAX_LEN;
  const client = createClient({
    url: options.url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 5_000, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 5_000) },
  });
  client.on('error', () => {});
  client.connect().catch(() => {});

  const append = createStreamAppender(client, { streamKey, channel, maxLen });
  async function write(entries: StoredLogEntry[]): Promise<void> {
    await append(entries);
  }

  async function close(): Promise<void> {
    // close() lets pending replies arrive; a client still (re)connecting has none
    if (client.isReady) await client.close();
    else client.destroy();
  }

  return { write, close };
}

/**
 * pino transport into a Redis stream alone (see openRedisStream).
 * Load it by path: `pino.transport({ target: 'platform-logging/transports/redis-stream', options })`.
 */
export default async function redisStreamTransport(options: RedisStreamTransportOptions) {
  return storesTransport(options ?? {}, [{ name: 'redis-stream', options: options ?? {}, open: () => openRedisStream(options, { url: 'options.url', options: 'options.' }) }]);
}
