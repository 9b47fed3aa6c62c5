import { connect } from 'node:net';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RedisClient } from '../server/stores.js';
import { PLATFORM_KEY, TENANT_A_KEY, makeEntry } from './server-fixtures.js';
import { STREAM_PATH, TestEventSource, addToStream, startStreamServer, type StreamServer } from './stream-fixtures.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();
let redis: RedisClient;
let server: StreamServer;
const opened: TestEventSource[] = [];

async function open(query: string, headers: Record<string, string> = { authorization: `Bearer ${PLATFORM_KEY}` }) {
  const source = await TestEventSource.open(`${server.baseUrl}${STREAM_PATH}/sse${query}`, headers);
  opened.push(source);
  return source;
}

beforeAll(async () => {
  redis = createClient({ url: stores.redisUrl });
  await redis.connect();
  server = await startStreamServer({ pool: stores.pool, redis, streamKey: stores.streamKey });
});

afterEach(() => {
  for (const source of opened.splice(0)) source.close();
});

afterAll(async () => {
  await server?.close();
  await redis?.quit();
});

describe('live stream over Server-Sent Events', () => {
  it('sends entries as events with their stream id, filtered, and resumes from Last-Event-ID', async () => {
    const query = '?tenantId=tenant-sse&level=warn,ERROR';
    const first = await open(query);
    expect(first.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await first.until((s) => s.messages.some((m) => m.type === 'subscribed'));

    const entries = [
      makeEntry({ tenantId: 'tenant-sse', level: 'warn' }),
      makeEntry({ tenantId: 'tenant-sse', level: 'info' }),
      makeEntry({ tenantId: 'tenant-other', level: 'error' }),
      makeEntry({ tenantId: 'tenant-sse', level: 'error' }),
      makeEntry({ tenantId: 'tenant-sse', level: 'error' }),
    ];
    await addToStream(redis, stores.streamKey, entries);
    await first.until((s) => s.entries().length === 3);
    expect(first.entryIds()).toEqual([entries[0].id, entries[3].id, entries[4].id]);
    const entryEventIds = first.ids.filter((_, i) => first.messages[i].type === 'entry');
    expect(entryEventIds).toEqual(first.entries().map((m) => m.streamId));
    first.close();

    const missed = makeEntry({ tenantId: 'tenant-sse', level: 'warn' });
    await addToStream(redis, stores.streamKey, [missed]);
    const second = await open(query, { authorization: `Bearer ${PLATFORM_KEY}`, 'last-event-id': entryEventIds[1]! });
    await second.until((s) => s.entryIds().includes(missed.id));
    expect(second.entryIds()).toEqual([entries[4].id, missed.id]);
    expect(second.messages[0]).toEqual({ type: 'subscribed', streamId: entryEventIds[1] });
  });

  it('confines a tenant key to its tenant', async () => {
    const source = await open('', { authorization: `Bearer ${TENANT_A_KEY}` });
    const asksOther = await open('?tenantId=tenant-b', { authorization: `Bearer ${TENANT_A_KEY}` });
    for (const opened of [source, asksOther])
      await opened.until((s) => s.messages.some((m) => m.type === 'subscribed'));
    const own = makeEntry({ tenantId: 'tenant-a' });
    await addToStream(redis, stores.streamKey, [makeEntry({ tenantId: 'tenant-b' }), own]);
    await source.until((s) => s.entryIds().includes(own.id));
    expect(source.entryIds()).toEqual([own.id]);
    // another tenant asked for: nothing, as over HTTP
    expect(asksOther.entryIds()).toEqual([]);
  });

  it('cuts off a client that stops reading for longer than the timeout', async () => {
    const strict = await startStreamServer({
      pool: stores.pool,
      redis,
      streamKey: stores.streamKey,
      limits: { maxBufferedBytes: 256 * 1024, slowClientTimeoutMs: 500 },
    });
    try {
      // The response is never read: it backs up through the socket buffers to the server's queue.
      const { port } = new URL(strict.baseUrl);
      const socket = connect(Number(port), '127.0.0.1');
      socket.pause();
      socket.on('error', () => {});
      socket.write(
        `GET ${STREAM_PATH}/sse?tenantId=tenant-stuck HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${PLATFORM_KEY}\r\n\r\n`,
      );
      await expect.poll(() => strict.hub.clientCount()).toBe(1);
      // A steady flow, so that the socket buffers fill before the server's own queue does.
      for (let batch = 0; batch < 500 && strict.hub.clientCount() > 0; batch++) {
        await addToStream(
          redis,
          stores.streamKey,
          Array.from({ length: 40 }, () => makeEntry({ tenantId: 'tenant-stuck', message: 'x'.repeat(8000) })),
        );
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await expect.poll(() => strict.hub.clientCount(), { timeout: 15_000 }).toBe(0);
      socket.destroy();
    } finally {
      await strict.close();
    }
  });

  it('filters with the query language: fields, data paths and words, confined to the key', async () => {
    const q = encodeURIComponent('level:>=warn @order.total:>100 -@order.tags:test (payments OR tenantId:tenant-b)');
    const platform = await open(`?q=${q}`);
    const tenant = await open(`?q=${q}`, { authorization: `Bearer ${TENANT_A_KEY}` });
    for (const source of [platform, tenant]) await source.until((s) => s.messages.some((m) => m.type === 'subscribed'));
    const order = (total: number, tags: string[] = []) => ({ order: { total, tags } });
    const wanted = makeEntry({
      level: 'error',
      message: 'POST https://api.payments.example.com failed',
      data: order(150),
    });
    const otherTenant = makeEntry({
      tenantId: 'tenant-b',
      level: 'warn',
      message: 'refund',
      data: order(101, ['vip']),
    });
    const entries = [
      makeEntry({ level: 'info', message: 'payments ok', data: order(150) }),
      makeEntry({ level: 'error', message: 'payments failed', data: order(99) }),
      makeEntry({ level: 'error', message: 'payments failed', data: order(150, ['test']) }),
      makeEntry({ level: 'error', message: 'payment failed', data: order(150) }),
      wanted,
      otherTenant,
    ];
    await addToStream(redis, stores.streamKey, entries);
    await platform.until((s) => s.entryIds().includes(otherTenant.id));
    await tenant.until((s) => s.entryIds().includes(wanted.id));
    expect(platform.entryIds()).toEqual([wanted.id, otherTenant.id]);
    await addToStream(redis, stores.streamKey, [
      makeEntry({ tenantId: 'tenant-a', message: 'marker', level: 'error', data: order(500) }),
      { ...wanted, id: crypto.randomUUID() },
    ]);
    await tenant.until((s) => s.entryIds().length === 2);
    expect(tenant.entryIds()[0]).toBe(wanted.id);
  });

  it('answers a query with a syntax error with 400 naming q, the position and what was expected', async () => {
    const source = await open(`?q=${encodeURIComponent('service:(admin OR')}`);
    expect(source.response.status).toBe(400);
    expect(await source.response.json()).toEqual({
      error: expect.stringMatching(/at position 15/),
      parameter: 'q',
      position: 15,
      expected: 'a term',
    });
  });

  it('answers invalid parameters with 400 and the parameter at fault', async () => {
    for (const [query, parameter] of [
      ['?level=fatal', 'level'],
      ['?resumeFrom=not-an-id', 'resumeFrom'],
      ['?tenant=x', 'tenant'],
    ]) {
      const source = await open(query);
      expect(source.response.status).toBe(400);
      expect(await source.response.json()).toEqual({ error: expect.any(String), parameter });
    }
  });
});
