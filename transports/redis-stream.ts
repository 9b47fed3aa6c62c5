import { createClient } from 'redis';
import { DEFAULT_CHANNEL, DEFAULT_STREAM_KEY, type RedisStreamTransportOptions } from '../src/transport-targets.js';
import type { StoredLogEntry } from '../src/types.js';
import { batchingTransport } from './batching-transport.js';

export const DEFAULT_STREAM_MAX_LEN = 10_000;

/** What the transport publishes on the channel after each batch. */
export interface StreamNotice {
  count: number;
  lastStreamId: string;
}

/**
 * pino transport into a Redis stream: per batch, one pipeline of XADD (MAXLEN ~ maxLen,
 * field `entry` = the stored entry as JSON), then a PUBLISH of a StreamNotice. The client
 * queues nothing while disconnected (commands fail at once and the batcher retries), so
 * memory stays within the batcher's bound. A retry after a half-done pipeline can repeat
 * entries in the stream: readers recognize them by entry id.
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

  async function write(entries: StoredLogEntry[]): Promise<void> {
    const pipeline = client.multi();
    for (const entry of entries) {
      pipeline.xAdd(streamKey, '*', { entry: JSON.stringify(entry) }, { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: maxLen } });
    }
    const ids = (await pipeline.execAsPipeline()) as unknown as string[];
    const notice: StreamNotice = { count: entries.length, lastStreamId: ids[ids.length - 1] };
    // The entries are in the stream: a lost notice only delays readers until their next read.
    await client.publish(channel, JSON.stringify(notice)).catch(() => {});
  }

  async function close(): Promise<void> {
    // close() lets pending replies arrive; a client still (re)connecting has none
    if (client.isReady) await client.close();
    else client.destroy();
  }

  return batchingTransport('redis-stream', options, { write, close });
}
