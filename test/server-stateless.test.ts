import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { PLATFORM_KEY, TENANT_A_KEY, TEST_KEYS, makeEntry } from './server-fixtures.js';
import { addToStream } from './stream-fixtures.js';
import { startLogServer, type LogServer } from './support/log-server.js';
import { useTestStores } from './support/stores.js';

// Two server processes' worth of servers on one database and one Redis, as behind a load balancer.
const stores = useTestStores();
const LIMIT = 10;
let one: LogServer;
let two: LogServer;

beforeAll(async () => {
  const options = {
    pool: stores.pool,
    redisUrl: stores.redisUrl,
    streamKey: stores.streamKey,
    keys: TEST_KEYS,
    rateLimitPerMinute: LIMIT,
  };
  [one, two] = await Promise.all([startLogServer(options), startLogServer(options)]);
});
afterAll(async () => {
  await Promise.all([one?.stop(), two?.stop()]);
});

async function ticketFrom(server: LogServer, key: string): Promise<string> {
  const response = await fetch(`${server.baseUrl}/api/platform/logs/stream/ticket`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { ticket: string }).ticket;
}

/** Opens a WebSocket; resolves with the socket, or the status the upgrade was refused with. */
function openStream(
  server: LogServer,
  query: string,
  headers: Record<string, string> = {},
): Promise<WebSocket | number> {
  const ws = new WebSocket(`${server.wsUrl}${query}`, { headers });
  return new Promise((resolve) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
  });
}

async function nextMessage(ws: WebSocket): Promise<{ type: string; streamId?: string; entry?: { id: string } }> {
  const [data] = await once(ws, 'message');
  return JSON.parse(String(data));
}

describe('servers behind a load balancer behave as one', () => {
  test('a ticket from one server opens a stream on another, exactly once', async () => {
    const ticket = await ticketFrom(one, TENANT_A_KEY);
    const opened = await openStream(two, `?ticket=${encodeURIComponent(ticket)}`);
    expect(opened).toBeInstanceOf(WebSocket);
    (opened as WebSocket).close();
    expect(await openStream(one, `?ticket=${encodeURIComponent(ticket)}`)).toBe(401);
    expect(await openStream(two, `?ticket=${encodeURIComponent(ticket)}`)).toBe(401);
  });

  test('a position from one server resumes on another', async () => {
    const first = (await openStream(one, '', { authorization: `Bearer ${PLATFORM_KEY}` })) as WebSocket;
    first.send(JSON.stringify({ type: 'subscribe' }));
    const { streamId } = await nextMessage(first);
    first.close();
    const missed = makeEntry({ tenantId: 'tenant-a', message: 'logged between the two connections' });
    await addToStream(one.redis, stores.streamKey, [missed]);
    const second = (await openStream(two, '', { authorization: `Bearer ${PLATFORM_KEY}` })) as WebSocket;
    second.send(JSON.stringify({ type: 'subscribe', resumeFrom: streamId }));
    expect(await nextMessage(second)).toEqual({ type: 'subscribed', streamId });
    expect((await nextMessage(second)).entry?.id).toBe(missed.id);
    second.close();
  });

  test('a key has one rate limit across the servers', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 2; i++) {
      const server = i % 2 ? two : one;
      statuses.push(
        (
          await fetch(`${server.baseUrl}/api/platform/logs/whoami`, {
            headers: { authorization: `Bearer ${PLATFORM_KEY}` },
          })
        ).status,
      );
    }
    // the stream tests above spent a few requests of the same key
    expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(LIMIT);
    expect(statuses.slice(-2)).toEqual([429, 429]);
  });
});
