import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { createRateLimiter } from '../server/rate-limit.js';
import { PLATFORM_KEY, TENANT_A_KEY, TEST_KEYS } from './server-fixtures.js';
import { startLogServer, type LogServer } from './support/log-server.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();
const LIMIT = 20;
let server: LogServer;

beforeAll(async () => {
  server = await startLogServer({
    pool: stores.pool,
    redisUrl: stores.redisUrl,
    streamKey: stores.streamKey,
    keys: TEST_KEYS,
    rateLimitPerMinute: LIMIT,
  });
});
afterAll(async () => server?.stop());

const api = (path: string, authorization?: string, init: RequestInit = {}) =>
  fetch(`${server.baseUrl}/api/platform/logs${path}`, {
    ...init,
    headers: authorization === undefined ? {} : { authorization },
  });

/** Every way of writing one key that the Authorization header's grammar allows. */
const spellings = (key: string) => [
  `Bearer ${key}`,
  `bearer ${key}`,
  `BEARER ${key}`,
  `Bearer  ${key}`,
  `Bearer\t${key}`,
  `bEaReR ${key} `,
];

async function openWebSocket(headers: Record<string, string>, query = ''): Promise<number> {
  const ws = new WebSocket(`${server.wsUrl}${query}`, { headers });
  const status = await new Promise<number>((resolve) => {
    ws.once('open', () => resolve(101));
    ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    ws.once('error', () => resolve(0));
  });
  ws.terminate();
  return status;
}

describe('rate limits count principals, not header spellings', () => {
  test('every spelling of a key, and its stream opens, draw on one bucket; another key is not touched', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const spelling = spellings(TENANT_A_KEY)[i % 6];
      if (i % 4 === 0) statuses.push((await api('/stream/sse', spelling)).status);
      else if (i % 4 === 1) statuses.push(await openWebSocket({ authorization: spelling }));
      else if (i % 4 === 2) statuses.push((await api('/stream/ticket', spelling, { method: 'POST' })).status);
      else statuses.push((await api('/whoami', spelling)).status);
    }
    expect(statuses.every((status) => status === 200 || status === 101)).toBe(true);
    // the bucket is empty, whatever the spelling and whatever the route
    for (const spelling of spellings(TENANT_A_KEY)) expect((await api('/whoami', spelling)).status).toBe(429);
    expect((await api('/stream/sse?resumeFrom=0-0', `Bearer ${TENANT_A_KEY}`)).status).toBe(429);
    expect(await openWebSocket({ authorization: `bearer ${TENANT_A_KEY}` })).toBe(429);
    expect((await api('/stream/ticket', `Bearer ${TENANT_A_KEY}`, { method: 'POST' })).status).toBe(429);
    expect((await api('/whoami', `Bearer ${PLATFORM_KEY}`)).status).toBe(200);
  });

  test('requests without a valid key are limited per client address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 5; i++)
      statuses.push((await api('/whoami', i % 2 ? `Bearer wrong-key-${i}-0123456789` : undefined)).status);
    expect(statuses.slice(0, LIMIT).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(LIMIT)).toEqual(Array(5).fill(429));
    expect(await openWebSocket({})).toBe(429);
  });

  test('buckets are bounded: a flood of names keeps at most maxBuckets', () => {
    const limiter = createRateLimiter({ perMinute: 1, maxBuckets: 100 });
    for (let i = 0; i < 3_000; i++) limiter.take(`address:10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size()).toBe(100);
    expect(limiter.take('address:10.0.11.183')).toEqual({ ok: false, retryAfterSeconds: 60 });
  });

  test("a flood of addresses never resets a key's bucket", () => {
    const limiter = createRateLimiter({ perMinute: 1, maxBuckets: 100 });
    expect(limiter.take('key:k1').ok).toBe(true);
    for (let i = 0; i < 3_000; i++) limiter.take(`address:10.1.${i >> 8}.${i & 255}`);
    expect(limiter.take('key:k1').ok).toBe(false);
  });
});
