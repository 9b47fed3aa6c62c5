import { createClient } from 'redis';
import { DEFAULT_CHANNEL, DEFAULT_STREAM_KEY, type RedisStreamTransportOptions } from '../src/transport-targets.js';
import type { StoredLogEntry } from '../src/types.js';
import { batchingTransport } from './batching-transport.js';
import { createStreamAppender } from './redis-append.js';

export const DEFAULT_STREAM_MAX_LEN = 10_000;

/**
 * pino transport into a Redis stream: per batch, one script that XADDs each entry (MAXLEN ~
 * maxLen, field `entry` = the stored entry as JSON) and PUBLISHes a StreamNotice, at most
 * once per entry however often the batch is retried (see createStreamAppender). The client
 * queues nothing while disconnected (commands fail at once and the batcher retries), so
 * memory stays within the batcher's bound.
 */
export default async function redisStreamTransport(options: RedisStreamTransportOptions) {
  if (typeof options?.url !== 'string' || options.url === '') {
    throw new Error('platform-logging: the redis-stream transport needs options.url');
  }
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

  return batchingTransport('redis-stream', options, { write, close, redelivery: append.redelivery });
}
