import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RedisClient } from '../server/stores.js';
import { READER_CONNECTION_NAME } from '../server/stream/redis-source.js';
import { createLogger } from '../src/factory.js';
import type { StoredLogEntry } from '../src/types.js';
import { PLATFORM_KEY, TENANT_A_KEY, TENANT_B_KEY, makeEntry } from './server-fixtures.js';
import {
  STREAM_PATH,
  TestSocket,
  UpgradeRefused,
  addToStream,
  startStreamServer,
  type StreamServer,
} from './stream-fixtures.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();
let redis: RedisClient;
let server: StreamServer;
const opened: TestSocket[] = [];

async function open(key = PLATFORM_KEY, target = server): Promise<TestSocket> {
  const socket = await TestSocket.open(target.wsUrl(), { authorization: `Bearer ${key}` });
  opened.push(socket);
  return socket;
}

function ids(entries: StoredLogEntry[]): string[] {
  return entries.map((entry) => entry.id);
}

/** The kinds of message received, heartbeats left out. */
function kinds(socket: TestSocket): string[] {
  return socket.messages.map((message) => message.type).filter((type) => type !== 'heartbeat');
}

/** Cuts the hub's blocking reader connection, as a network fault or a Redis restart would. */
async function cutReaderConnection(): Promise<void> {
  const clients = (await redis.sendCommand(['CLIENT', 'LIST'])) as string;
  const readers = clients
    .split('\n')
    .filter((line) => line.includes(` name=${READER_CONNECTION_NAME} `) && line.includes(' cmd=xread'));
  expect(readers.length).toBeGreaterThan(0);
  for (const line of readers) await redis.sendCommand(['CLIENT', 'KILL', 'ID', /\bid=(\d+)/.exec(line)![1]]);
}

beforeAll(async () => {
  redis = createClient({ url: stores.redisUrl });
  await redis.connect();
  server = await startStreamServer({
    pool: stores.pool,
    redis,
    streamKey: stores.streamKey,
    limits: { heartbeatMs: 250, maxBufferedBytes: 64 * 1024, slowClientTimeoutMs: 60_000 },
  });
});

afterEach(() => {
  for (const socket of opened.splice(0)) socket.close();
});

afterAll(async () => {
  await server?.close();
  await redis?.quit();
});

describe('live stream over WebSocket, from the Redis stream', () => {
  it('delivers new entries to each client through its own filters', async () => {
    const all = await open();
    const levels = await open();
    const tenant = await open();
    const services = await open();
    const search = await open();
    expect((await all.subscribe()).type).toBe('subscribed');
    await levels.subscribe({ level: ['warn', 'error'] });
    await tenant.subscribe({ tenantId: 'tenant-b' });
    await services.subscribe({ service: ['admin', 'mcp-server'] });
    await search.subscribe({ q: 'Payment "card declined"' });

    const entries = [
      makeEntry({ level: 'info', tenantId: 'tenant-a', service: 'storefront', message: 'checkout started' }),
      makeEntry({
        level: 'error',
        tenantId: 'tenant-b',
        service: 'admin',
        message: 'Payment failed: card declined by issuer',
      }),
      makeEntry({
        level: 'warn',
        tenantId: 'tenant-a',
        service: 'mcp-server',
        message: 'payment retry, card was declined',
      }),
      makeEntry({ level: 'debug', tenantId: 'tenant-b', service: 'storefront', message: 'PAYMENT: card declined' }),
      makeEntry({
        level: 'info',
        tenantId: 'tenant-c',
        service: 'orchestrator',
        message: 'paymentservice card declined',
      }),
    ];
    // Matches every filter: once a client has it, it has had every earlier entry it was sent.
    const last = makeEntry({
      level: 'error',
      tenantId: 'tenant-b',
      service: 'admin',
      message: 'payment card declined again',
    });
    await addToStream(redis, stores.streamKey, [...entries, last]);
    for (const socket of [all, levels, tenant, services, search])
      await socket.until((s) => s.entryIds().includes(last.id));

    expect(all.entryIds()).toEqual(ids([...entries, last]));
    expect(levels.entryIds()).toEqual(ids([entries[1], entries[2], last]));
    expect(tenant.entryIds()).toEqual(ids([entries[1], entries[3], last]));
    expect(services.entryIds()).toEqual(ids([entries[1], entries[2], last]));
    expect(search.entryIds()).toEqual(ids([entries[1], entries[3], last]));
    expect(all.entries()[0].entry).toEqual(entries[0]);
  });

  it('delivers what a service logs through the platform Redis transport', async () => {
    const socket = await open();
    await socket.subscribe({ tenantId: 'tenant-logged', level: ['error'] });
    const logger = createLogger({
      service: 'storefront',
      environment: 'test',
      tenantId: 'tenant-logged',
      transports: { redis: { url: stores.redisUrl, streamKey: stores.streamKey, channel: stores.channel } },
    });
    try {
      logger.info('not an error');
      logger.error('payment failed for order 42', new TypeError('card declined'));
      await socket.until((s) => s.entries().length === 1);
    } finally {
      await logger.close();
    }
    expect(socket.entries()[0].entry).toMatchObject({
      level: 'error',
      tenantId: 'tenant-logged',
      service: 'storefront',
      message: 'payment failed for order 42',
      errorType: 'TypeError',
      errorSignature: expect.any(String),
    });
  });

  it('never shows a tenant key the entries of another tenant, whatever it asks for', async () => {
    const asksAll = await open(TENANT_A_KEY);
    await asksAll.subscribe();
    const asksOther = await open(TENANT_A_KEY);
    await asksOther.subscribe({ tenantId: 'tenant-b' });
    const own = makeEntry({ tenantId: 'tenant-a' });
    await addToStream(redis, stores.streamKey, [
      makeEntry({ tenantId: 'tenant-b' }),
      makeEntry({ tenantId: '_platform' }),
      own,
    ]);
    await asksAll.until((s) => s.entryIds().includes(own.id));
    expect(asksAll.entryIds()).toEqual([own.id]);
    // another tenant asked for: nothing, as over HTTP
    expect(asksOther.entryIds()).toEqual([]);
  });

  it('resumes after a reconnect without a gap or a duplicate while entries keep coming', async () => {
    const written = Array.from({ length: 1500 }, (_, i) =>
      makeEntry({ tenantId: 'tenant-resume', message: `resume ${i}` }),
    );
    const first = await open();
    await first.subscribe({ tenantId: 'tenant-resume' });
    const writing = (async () => {
      for (let i = 0; i < written.length; i += 3) await addToStream(redis, stores.streamKey, written.slice(i, i + 3));
    })();
    await first.until((s) => s.entries().length >= 30);
    first.close();
    const beforeDisconnect = first.entries();
    const lastSeen = beforeDisconnect[beforeDisconnect.length - 1].streamId!;

    const second = await open();
    const subscribed = await second.subscribe({ tenantId: 'tenant-resume' }, lastSeen);
    expect(subscribed).toEqual({ type: 'subscribed', streamId: lastSeen });
    await writing;
    await second.until((s) => s.entryIds().includes(written[written.length - 1].id));

    expect([...first.entryIds(), ...second.entryIds()]).toEqual(ids(written));
    expect(second.messages.some((message) => message.type === 'gap')).toBe(false);
  });

  it('says entries were trimmed when the resume point is older than the stream keeps', async () => {
    const [early] = await addToStream(redis, stores.streamKey, [makeEntry({ tenantId: 'tenant-trim' })]);
    const later = Array.from({ length: 20 }, (_, i) => makeEntry({ tenantId: 'tenant-trim', message: `later ${i}` }));
    await addToStream(redis, stores.streamKey, later);
    await redis.xTrim(stores.streamKey, 'MAXLEN', 5);

    const socket = await open();
    await socket.subscribe({ tenantId: 'tenant-trim' }, server.sealPosition(PLATFORM_KEY, early));
    await socket.until((s) => s.entries().length === 5);
    expect(kinds(socket)).toEqual(['subscribed', 'gap', 'entry', 'entry', 'entry', 'entry', 'entry']);
    expect(socket.messages.find((message) => message.type === 'gap')).toEqual({ type: 'gap', reason: 'trimmed' });
    expect(socket.entryIds()).toEqual(ids(later.slice(-5)));
  });

  it('says entries were trimmed when the stream was trimmed to nothing, or is gone, since the resume point', async () => {
    const [early] = await addToStream(redis, stores.streamKey, [makeEntry({ tenantId: 'tenant-emptied' })]);
    await addToStream(redis, stores.streamKey, [makeEntry({ tenantId: 'tenant-emptied' })]);
    await redis.xTrim(stores.streamKey, 'MAXLEN', 0);

    const emptied = await open();
    await emptied.subscribe({ tenantId: 'tenant-emptied' }, server.sealPosition(PLATFORM_KEY, early));
    await emptied.until((s) => s.messages.some((message) => message.type === 'gap'));
    expect(emptied.messages.find((message) => message.type === 'gap')).toEqual({ type: 'gap', reason: 'trimmed' });

    await redis.del(stores.streamKey);
    const vanished = await open();
    await vanished.subscribe({ tenantId: 'tenant-emptied' }, server.sealPosition(PLATFORM_KEY, early));
    await vanished.until((s) => s.messages.some((message) => message.type === 'gap'));
    expect(vanished.messages.find((message) => message.type === 'gap')).toEqual({ type: 'gap', reason: 'trimmed' });
  });

  it('drops entries for a client that does not read, without holding back the others, and says how many', async () => {
    const fast = await open();
    const slow = await open();
    await fast.subscribe({ tenantId: 'tenant-slow' });
    await slow.subscribe({ tenantId: 'tenant-slow' });
    const slowSocket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    slowSocket.pause();

    // About 20 MB: more than the kernel buffers of a paused loopback socket hold.
    const written = Array.from({ length: 2500 }, (_, i) =>
      makeEntry({ tenantId: 'tenant-slow', message: `bulk ${i} ${'x'.repeat(8000)}` }),
    );
    for (let i = 0; i < written.length; i += 250) await addToStream(redis, stores.streamKey, written.slice(i, i + 250));
    await fast.until((s) => s.entries().length === written.length, 20_000);
    expect(fast.entryIds()).toEqual(ids(written));

    slowSocket.resume();
    await slow.until((s) => s.messages.some((message) => message.type === 'gap'), 20_000);
    const afterDrain = makeEntry({ tenantId: 'tenant-slow', message: 'after the drain' });
    await addToStream(redis, stores.streamKey, [afterDrain]);
    await slow.until((s) => s.entryIds().includes(afterDrain.id));

    const gaps = slow.messages.filter((message) => message.type === 'gap');
    expect(gaps).toHaveLength(1);
    expect(gaps[0].reason).toBe('slow-client');
    const delivered = slow.entryIds().filter((id) => id !== afterDrain.id);
    expect(gaps[0].missed).toBeGreaterThan(0);
    expect(delivered.length + gaps[0].missed!).toBe(written.length);
    // what it did get came in order, with nothing twice
    expect(delivered).toEqual(ids(written).filter((id) => delivered.includes(id)));
    expect(slow.entryIds().at(-1)).toBe(afterDrain.id);
    expect(slow.messages.indexOf(gaps[0])).toBeLessThan(slow.messages.findIndex((m) => m.entry?.id === afterDrain.id));
  });

  it('disconnects a client that stays stuck past the timeout', async () => {
    const strict = await startStreamServer({
      pool: stores.pool,
      redis,
      streamKey: stores.streamKey,
      limits: { maxBufferedBytes: 16 * 1024, slowClientTimeoutMs: 500 },
    });
    try {
      const stuck = await open(PLATFORM_KEY, strict);
      await stuck.subscribe({ tenantId: 'tenant-stuck' });
      (stuck.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const bulk = Array.from({ length: 1500 }, () =>
        makeEntry({ tenantId: 'tenant-stuck', message: 'x'.repeat(8000) }),
      );
      for (let i = 0; i < bulk.length; i += 250) await addToStream(redis, stores.streamKey, bulk.slice(i, i + 250));
      await expect.poll(() => strict.hub.clientCount(), { timeout: 15_000 }).toBe(0);
    } finally {
      await strict.close();
    }
  });

  it('goes on from the last id it read when its Redis connection drops, missing nothing', async () => {
    const socket = await open();
    await socket.subscribe({ tenantId: 'tenant-outage' });
    await cutReaderConnection();
    const written = Array.from({ length: 3 }, () => makeEntry({ tenantId: 'tenant-outage' }));
    await addToStream(redis, stores.streamKey, written);
    await socket.until((s) => s.entries().length === 3);
    expect(socket.entryIds()).toEqual(ids(written));
    expect(socket.messages.some((message) => message.type === 'gap')).toBe(false);
  });

  it('says the store was unavailable when entries were trimmed before it could read them', async () => {
    const socket = await open();
    await socket.subscribe({ tenantId: 'tenant-trimmed-outage' });
    await cutReaderConnection();
    const written = Array.from({ length: 20 }, () => makeEntry({ tenantId: 'tenant-trimmed-outage' }));
    await addToStream(redis, stores.streamKey, written);
    await redis.xTrim(stores.streamKey, 'MAXLEN', 2);
    await socket.until((s) => s.entries().length === 2);
    expect(kinds(socket)).toEqual(['subscribed', 'gap', 'entry', 'entry']);
    expect(socket.messages.find((message) => message.type === 'gap')).toEqual({
      type: 'gap',
      reason: 'store-unavailable',
    });
    expect(socket.entryIds()).toEqual(ids(written.slice(-2)));
  });

  it('sends heartbeats', async () => {
    const socket = await open();
    await socket.subscribe();
    await socket.until((s) => s.messages.some((message) => message.type === 'heartbeat'));
    const heartbeat = socket.messages.find((message) => message.type === 'heartbeat') as { at?: string };
    expect(Number.isNaN(Date.parse(heartbeat.at!))).toBe(false);
  });

  it('answers an invalid subscription with an error and keeps the connection', async () => {
    const socket = await open();
    expect(await socket.subscribe({ level: ['fatal'] })).toMatchObject({
      type: 'error',
      error: expect.stringContaining('level'),
    });
    socket.send('not json');
    await socket.until((s) => s.messages.filter((m) => m.type === 'error').length === 2);
    expect(await socket.subscribe({}, 'not-a-stream-id')).toMatchObject({
      type: 'error',
      error: expect.stringContaining('resumeFrom'),
    });
    expect((await socket.subscribe({ level: ['error'] })).type).toBe('subscribed');
  });
});

describe('stream access', () => {
  it('refuses an upgrade without a key or ticket, or with a wrong key, with 401', async () => {
    await expect(TestSocket.open(server.wsUrl())).rejects.toMatchObject({ status: 401 });
    await expect(
      TestSocket.open(server.wsUrl(), { authorization: 'Bearer not-a-key-0123456789' }),
    ).rejects.toMatchObject({ status: 401 });
    await expect(TestSocket.open(server.wsUrl('?ticket=made-up'))).rejects.toBeInstanceOf(UpgradeRefused);
    const sse = await fetch(`${server.baseUrl}${STREAM_PATH}/sse`);
    expect(sse.status).toBe(401);
    expect(await sse.json()).toEqual({ error: expect.any(String) });
  });

  it('opens a stream with a ticket only once', async () => {
    const response = await fetch(`${server.baseUrl}${STREAM_PATH}/ticket`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TENANT_B_KEY}` },
    });
    const { ticket } = (await response.json()) as { ticket: string };
    const socket = await TestSocket.open(server.wsUrl(`?ticket=${encodeURIComponent(ticket)}`));
    opened.push(socket);
    await socket.subscribe();
    const own = makeEntry({ tenantId: 'tenant-b' });
    await addToStream(redis, stores.streamKey, [makeEntry({ tenantId: 'tenant-a' }), own]);
    await socket.until((s) => s.entryIds().includes(own.id));
    expect(socket.entryIds()).toEqual([own.id]); // the ticket carries the tenant key's scope

    await expect(TestSocket.open(server.wsUrl(`?ticket=${encodeURIComponent(ticket)}`))).rejects.toMatchObject({
      status: 401,
    });
  });

  it('limits the streams open per key with 429', async () => {
    const limited = await startStreamServer({
      pool: stores.pool,
      redis,
      streamKey: stores.streamKey,
      limits: { maxClientsPerKey: 2 },
    });
    try {
      await open(TENANT_A_KEY, limited);
      await open(TENANT_A_KEY, limited);
      await expect(open(TENANT_A_KEY, limited)).rejects.toMatchObject({ status: 429 });
      const sse = await fetch(`${limited.baseUrl}${STREAM_PATH}/sse`, {
        headers: { authorization: `Bearer ${TENANT_A_KEY}` },
      });
      expect(sse.status).toBe(429);
      await open(TENANT_B_KEY, limited);
    } finally {
      await limited.close();
    }
  });

  it('a stopped hub takes no new stream, so none is left open with nobody feeding it', async () => {
    const stopping = await startStreamServer({ pool: stores.pool, redis, streamKey: stores.streamKey });
    try {
      await stopping.hub.stop();
      await expect(open(PLATFORM_KEY, stopping)).rejects.toMatchObject({ status: 429 });
      const sse = await fetch(`${stopping.baseUrl}${STREAM_PATH}/sse`, {
        headers: { authorization: `Bearer ${PLATFORM_KEY}` },
      });
      expect(sse.status).toBe(429);
      expect(await sse.json()).toEqual({ error: expect.stringContaining('shutting down') });
    } finally {
      await stopping.close();
    }
  });
});
