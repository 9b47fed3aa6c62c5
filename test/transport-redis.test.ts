import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { StoredLogEntry } from '../src/types.js';
import { createStreamAppender, type StreamNotice } from '../transports/redis-append.js';
import { normalizeEntry } from '../transports/normalize-entry.js';
import { closeTransport, openTransport, send, waitFor, wireEntry } from './fixtures/transport-harness.js';
import { useTestStores } from './support/stores.js';
import { TcpProxy } from './support/tcp-proxy.js';

const stores = useTestStores({ migrate: false });
let redis: ReturnType<typeof createClient>;
let subscriber: ReturnType<typeof createClient>;

beforeAll(async () => {
  redis = createClient({ url: stores.redisUrl });
  subscriber = redis.duplicate();
  await Promise.all([redis.connect(), subscriber.connect()]);
});
afterAll(async () => {
  await Promise.all([redis.quit(), subscriber.quit()]);
});

async function streamEntries(key: string): Promise<{ id: string; entry: StoredLogEntry }[]> {
  const messages = (await redis.xRange(key, '-', '+')) ?? [];
  return messages.map((m) => ({ id: m.id, entry: JSON.parse(m.message.entry) }));
}

describe('redis-stream transport', () => {
  test('an entry reaches the stream and its notice the channel within the flush bound', async () => {
    const streamKey = `${stores.redisPrefix}delivery:stream`;
    const channel = `${stores.redisPrefix}delivery:events`;
    const notices: StreamNotice[] = [];
    await subscriber.subscribe(channel, (message) => notices.push(JSON.parse(message)));
    const stream = openTransport({ redis: { url: stores.redisUrl, streamKey, channel, flushIntervalMs: 1_000 } });
    try {
      const entry = wireEntry({ level: 'warn', message: 'disk 91% full' });
      const sentAt = Date.now();
      send(stream, [entry]);
      await waitFor(
        async () => notices.length,
        (n) => n > 0,
        5_000,
      );
      // sent by the flush timer (a warn waits for it), not at close; how long after it is the machine's business
      expect(Date.now() - sentAt).toBeGreaterThanOrEqual(900);

      const stored = await streamEntries(streamKey);
      expect(stored).toHaveLength(1);
      expect(stored[0].entry).toMatchObject({ ...entry, messageTemplate: expect.any(String) });
      expect(stored[0].entry.errorSignature).toMatch(/^[0-9a-f]{16}$/);
      expect(notices).toEqual([{ count: 1, lastStreamId: stored[0].id }]);
    } finally {
      await closeTransport(stream);
      await subscriber.unsubscribe(channel);
    }
  });

  test('one notice per batch, and the stream is trimmed near maxLen', async () => {
    const streamKey = `${stores.redisPrefix}trim:stream`;
    const channel = `${stores.redisPrefix}trim:events`;
    const notices: StreamNotice[] = [];
    await subscriber.subscribe(channel, (message) => notices.push(JSON.parse(message)));
    const stream = openTransport({ redis: { url: stores.redisUrl, streamKey, channel, maxLen: 100, batchSize: 50 } });
    const entries = Array.from({ length: 500 }, (_, i) => wireEntry({ message: `entry ${i}` }));
    send(stream, entries);
    await closeTransport(stream);
    await waitFor(
      async () => notices.reduce((sum, n) => sum + n.count, 0),
      (n) => n === 500,
      3_000,
    );
    await subscriber.unsubscribe(channel);

    expect(notices.reduce((sum, n) => sum + n.count, 0)).toBe(500);
    const length = await redis.xLen(streamKey);
    // MAXLEN ~ trims whole stream nodes (100 entries each by default), never below maxLen
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThanOrEqual(200);
    const stored = await streamEntries(streamKey);
    expect(stored[stored.length - 1].entry.id).toBe(entries[499].id);
    expect(stored[stored.length - 1].id).toBe(notices[notices.length - 1].lastStreamId);
  });

  test('a batch whose reply was lost after Redis ran it is retried without adding its entries twice', async () => {
    const target = {
      streamKey: `${stores.redisPrefix}lost-reply:stream`,
      channel: `${stores.redisPrefix}lost-reply:events`,
      maxLen: 10_000,
    };
    const proxy = await new TcpProxy(Number(new URL(stores.redisUrl).port || 6379)).start();
    const client = createClient({
      url: proxy.url(stores.redisUrl),
      disableOfflineQueue: true,
      socket: { reconnectStrategy: () => 50 },
    });
    client.on('error', () => {});
    await client.connect();
    const notices: StreamNotice[] = [];
    await subscriber.subscribe(target.channel, (message) => notices.push(JSON.parse(message)));
    try {
      const append = createStreamAppender(client, target);
      const first = Array.from({ length: 30 }, (_, i) => normalizeEntry({ message: `first ${i}` }));
      await append(first.slice(0, 10));

      proxy.dropReplies = true;
      const lost = append(first.slice(10));
      await waitFor(
        () => redis.xLen(target.streamKey),
        (n) => n === 30,
        3_000,
      );
      proxy.pause(); // the connection breaks before the reply comes back
      await expect(lost).rejects.toThrow();
      proxy.dropReplies = false;
      proxy.resume();
      await waitFor(
        async () => client.isReady,
        (ready) => ready,
        3_000,
      );

      // the retry holds the lost batch and new entries, as the batcher would send it
      const later = Array.from({ length: 5 }, (_, i) => normalizeEntry({ message: `later ${i}` }));
      expect(await append([...first.slice(10), ...later])).toBe(5);

      const ids = (await streamEntries(target.streamKey)).map(({ entry }) => entry.id);
      expect(ids).toEqual([...first, ...later].map((entry) => entry.id));
      await waitFor(
        async () => notices.length,
        (n) => n === 3,
        2_000,
      );
      expect(notices.map((notice) => notice.count)).toEqual([10, 20, 5]);
    } finally {
      await subscriber.unsubscribe(target.channel);
      client.destroy();
      await proxy.stop();
    }
  });

  test('entries sent again from a spool by later processes are added once: by the marker of an attempt that ran, else by their id', async () => {
    const target = {
      streamKey: `${stores.redisPrefix}respool:stream`,
      channel: `${stores.redisPrefix}respool:events`,
      maxLen: 10_000,
    };
    const sent = Array.from({ length: 20 }, (_, i) => normalizeEntry({ message: `spooled ${i}` }));
    // the first process: a batch that ran, though (say) its reply was lost; all 20 spooled with what the appender keeps
    const first = createStreamAppender(redis, target);
    await first(sent.slice(0, 10));
    const kept = sent.map((entry) => first.redelivery.save(entry));
    // each later process reads the spool back: new objects, restored from the records
    const sendAgain = () => {
      const next = createStreamAppender(redis, target);
      const copies = sent.map((entry, i) => {
        const copy = JSON.parse(JSON.stringify(entry)) as StoredLogEntry;
        next.redelivery.restore(copy, JSON.parse(JSON.stringify(kept[i] ?? null)));
        return copy;
      });
      return next(copies);
    };
    expect(await sendAgain()).toBe(10);
    expect(await sendAgain()).toBe(0); // a crash while sending the spool: it is sent once more
    const ids = (await streamEntries(target.streamKey)).map(({ entry }) => entry.id);
    expect(ids).toEqual(sent.map((entry) => entry.id));
  });
});
