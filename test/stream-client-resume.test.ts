import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RedisClient } from '../server/stores.js';
import { DEFAULT_STREAM_LIMITS } from '../server/stream/hub.js';
import { createRedisSource } from '../server/stream/redis-source.js';
import { createPositionSeal } from '../server/stream/position-seal.js';
import { StreamClient, deliveryOf } from '../server/stream/stream-client.js';
import type { StoredLogEntry } from '../src/types.js';
import { makeEntry } from './server-fixtures.js';
import { addToStream } from './stream-fixtures.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores({ migrate: false });
let redis: RedisClient;

beforeAll(async () => {
  redis = createClient({ url: stores.redisUrl });
  await redis.connect();
});
afterAll(async () => {
  await redis.quit();
});

test('a resumed client gets each entry once when the live reader hands over entries the replay already sent', async () => {
  const streamKey = `${stores.redisPrefix}resume:stream`;
  const entries = Array.from({ length: 12 }, (_, i) => makeEntry({ message: `entry ${i}` }));
  const streamIds = await addToStream(redis, streamKey, entries.slice(0, 10));
  const sent: string[] = [];
  const sink = { send: (message: string) => sent.push(message), pendingBytes: () => 0, terminate() {} };
  const source = createRedisSource({ redis, streamKey });
  const seal = createPositionSeal(randomBytes(32), 'key-1');
  const client = new StreamClient({ scope: 'platform' }, 'platform', seal, sink, source, DEFAULT_STREAM_LIMITS);

  // the client last saw entry 3; the replay sends 4 to 9
  await client.subscribe(
    { filters: {}, resumeFrom: { position: streamIds[3], sealed: seal.seal(streamIds[3]) } },
    streamIds[3],
  );
  // the hub's reader was behind the replay: it hands over 4 to 9, then what came since
  const live = [...streamIds, ...(await addToStream(redis, streamKey, entries.slice(10)))];
  for (let i = 4; i < entries.length; i++) {
    const item = { streamId: live[i], entry: entries[i] as StoredLogEntry };
    client.offer(item.streamId, deliveryOf(seal, item.streamId, JSON.stringify(item.entry)));
  }

  const received = sent.map((message) => JSON.parse(message)).filter((message) => message.type === 'entry');
  expect(received.map((message) => message.entry.message)).toEqual(entries.slice(4).map((entry) => entry.message));
});
