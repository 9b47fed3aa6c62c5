import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisClient } from '../server/stores.js';
import { PLATFORM_KEY, TENANT_A_KEY, TENANT_B_KEY, insertEntries, makeEntry } from './server-fixtures.js';
import {
  STREAM_PATH,
  TestEventSource,
  TestSocket,
  addToStream,
  startStreamServer,
  type StreamServer,
} from './stream-fixtures.js';
import { useTestStores } from './support/stores.js';

// Stream positions are sealed (DESIGN decision 6): they say nothing of other tenants' entries.
const stores = useTestStores();
let redis: RedisClient;
let viaRedis: StreamServer;
let viaPostgres: StreamServer;
const opened: TestSocket[] = [];

beforeAll(async () => {
  redis = createClient({ url: stores.redisUrl });
  await redis.connect();
  viaRedis = await startStreamServer({ pool: stores.pool, redis, streamKey: stores.streamKey });
  viaPostgres = await startStreamServer({
    pool: stores.pool,
    notifyChannel: `${stores.schema}_logs`,
    pollIntervalMs: 100,
  });
});

afterAll(async () => {
  for (const socket of opened) socket.close();
  await viaRedis?.close();
  await viaPostgres?.close();
  await redis?.quit();
});

async function open(server: StreamServer, key: string): Promise<TestSocket> {
  const socket = await TestSocket.open(server.wsUrl(), { authorization: `Bearer ${key}` });
  opened.push(socket);
  return socket;
}

/** Everything a client could read out of a position: its text and the bytes it decodes to. */
function readable(position: string): string {
  return `${position} ${Buffer.from(position, 'base64url').toString('latin1')} ${Buffer.from(position, 'base64').toString('latin1')}`;
}

describe('sealed stream positions', () => {
  it('with Redis: a tenant’s positions hold no stream id, so neither other tenants’ entries nor their count shows', async () => {
    const tenantA = await open(viaRedis, TENANT_A_KEY);
    const subscribed = await tenantA.subscribe();
    const own = [
      makeEntry({ tenantId: 'tenant-a', message: 'own 1' }),
      makeEntry({ tenantId: 'tenant-a', message: 'own 2' }),
    ];
    const foreign = Array.from({ length: 7 }, (_, i) => makeEntry({ tenantId: 'tenant-b', message: `foreign ${i}` }));
    const ids = await addToStream(redis, stores.streamKey, [own[0], ...foreign, own[1]]);
    await tenantA.until((s) => s.entries().length === 2);

    const positions = [subscribed.streamId!, ...tenantA.entries().map((message) => message.streamId!)];
    for (const position of positions) {
      expect(position).not.toMatch(/^\d+-\d+$/);
      for (const id of ids) expect(readable(position)).not.toContain(id);
      for (const id of ids) expect(readable(position)).not.toContain(id.split('-')[0]);
    }
    // every position is as long as any other: not even the length of what it holds shows
    expect(new Set(positions.map((position) => position.length)).size).toBe(1);
    // the same entry sealed twice differs: equal positions do not even show
    const again = await open(viaRedis, TENANT_A_KEY);
    await again.subscribe({}, positions[0]);
    await again.until((s) => s.entries().length === 2);
    expect(again.entries().map((message) => message.streamId)).not.toEqual(
      tenantA.entries().map((message) => message.streamId),
    );
    expect(again.entryIds()).toEqual(own.map((entry) => entry.id));
  });

  it('without Redis: the first position does not name the newest entry of another tenant', async () => {
    const foreign = makeEntry({ tenantId: 'tenant-b', message: 'newest of another tenant' });
    await insertEntries(stores.pool, [foreign]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const tenantA = await open(viaPostgres, TENANT_A_KEY);
    const { streamId } = await tenantA.subscribe();
    expect(streamId).toBeTruthy();
    expect(readable(streamId!)).not.toContain(foreign.id);
    expect(readable(streamId!)).not.toContain(String(Date.parse(foreign.timestamp)));
  });

  it('a position given to one key is refused for another, over WebSocket and SSE', async () => {
    const tenantA = await open(viaRedis, TENANT_A_KEY);
    const position = (await tenantA.subscribe()).streamId!;
    for (const key of [TENANT_B_KEY, PLATFORM_KEY]) {
      const other = await open(viaRedis, key);
      expect(await other.subscribe({}, position)).toMatchObject({
        type: 'error',
        error: expect.stringContaining('resumeFrom'),
      });
      const sse = await TestEventSource.open(`${viaRedis.baseUrl}${STREAM_PATH}/sse?resumeFrom=${position}`, {
        authorization: `Bearer ${key}`,
      });
      expect(sse.response.status).toBe(400);
      expect(await sse.response.json()).toMatchObject({ parameter: 'resumeFrom' });
      const lastEventId = await TestEventSource.open(`${viaRedis.baseUrl}${STREAM_PATH}/sse`, {
        authorization: `Bearer ${key}`,
        'last-event-id': position,
      });
      expect(lastEventId.response.status).toBe(400);
    }
    // a raw stream id is no position either
    const raw = await open(viaRedis, TENANT_A_KEY);
    const [id] = await addToStream(redis, stores.streamKey, [makeEntry({ tenantId: 'tenant-a' })]);
    expect(await raw.subscribe({}, id)).toMatchObject({ type: 'error', error: expect.stringContaining('resumeFrom') });
  });
});
