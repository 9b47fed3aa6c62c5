import { createClient } from 'redis';
import {
  DEFAULT_CHANNEL,
  DEFAULT_STREAM_KEY,
  checkRedisOptions,
  type RedisStreamTransportOptions,
  type StoreOptionNames,
} from '../src/transport-targets.js';
import type { StoredLogEntry } from '../src/types.js';
import { storesTransport, type StoreWriter } from './batching-transport.js';
import { createStreamAppender } from './redis-append.js';

export const DEFAULT_STREAM_MAX_LEN = 10_000;
/** How long a write waits for the client to (re)connect before it fails and the batcher retries. */
const CONNECT_WAIT_MS = 5_000;

/**
 * The Redis stream store: per batch, one script that XADDs each entry (MAXLEN ~ maxLen,
 * field `entry` = the stored entry as JSON) and PUBLISHes a StreamNotice, at most once per
 * entry however often the batch is retried (see createStreamAppender). The client queues
 * nothing while disconnected, so memory stays within the batcher's bound; a write waits
 * (bounded) for the connection instead, so the first batch does not fail while the client
 * is still connecting. Errors name the server and the cause.
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
  const { hostname, port } = new URL(options.url);
  const server = `Redis ${hostname}:${port || 6379}`;
  let lastError: Error | undefined;
  client.on('error', (error: Error) => (lastError = error));
  client.connect().catch(() => {});

  /** Resolves once the client is ready; rejects at its next connection error or past the wait. */
  function connected(): Promise<void> {
    if (client.isReady) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const settle = (error?: Error) => {
        clearTimeout(timer);
        client.off('ready', settle);
        client.off('error', settle);
        if (error === undefined) resolve();
        else reject(new Error(`${server}: ${error.message}`, { cause: error }));
      };
      const timer = setTimeout(
        () => settle(lastError ?? new Error(`not connected within ${CONNECT_WAIT_MS} ms`)),
        CONNECT_WAIT_MS,
      );
      // a close() meanwhile must not wait for it
      timer.unref();
      client.once('ready', settle);
      client.once('error', settle);
    });
  }

  const append = createStreamAppender(client, { streamKey, channel, maxLen });
  async function write(entries: StoredLogEntry[]): Promise<void> {
    await connected();
    try {
      await append(entries);
    } catch (error) {
      throw new Error(`${server}: ${(error as Error)?.message ?? error}`, { cause: error });
    }
  }

  async function close(): Promise<void> {
    // close() lets pending replies arrive; a client still (re)connecting has none
    if (client.isReady) await client.close();
    else client.destroy();
  }

  return { write, close, redelivery: append.redelivery };
}

/**
 * pino transport into a Redis stream alone (see openRedisStream).
 * Load it by path: `pino.transport({ target: 'platform-logging/transports/redis-stream', options })`.
 */
export default async function redisStreamTransport(options: RedisStreamTransportOptions) {
  return storesTransport(options ?? {}, [
    {
      name: 'redis-stream',
      options: options ?? {},
      open: () => openRedisStream(options, { url: 'options.url', options: 'options.' }),
    },
  ]);
}
