import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { AuthEnv } from '../server/auth.js';
import { createRequestLog } from '../server/http/request-log.js';
import { SERVER_SERVICE, startServer } from '../server/server.js';
import { loadServerSettings } from '../server/settings.js';
import type { RedisClient } from '../server/stores.js';
import { createLogger } from '../src/factory.js';
import { SERVICE_NAMES, type StoredLogEntry } from '../src/types.js';
import { PLATFORM_KEY, TEST_KEYS, bearer } from './server-fixtures.js';
import { freePort } from './support/free-port.js';
import { captureLogger } from './support/log-lines.js';
import { startLogServer, type LogServer } from './support/log-server.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();
const UI_DIR = fileURLToPath(new URL('../dist/ui/', import.meta.url));
let redis: RedisClient;

beforeAll(async () => {
  redis = createClient({ url: stores.redisUrl });
  await redis.connect();
});
afterAll(async () => {
  await redis?.close();
});

type OwnEntry = Pick<StoredLogEntry, 'level' | 'service' | 'action' | 'message'> & { data: Record<string, any> };

async function storedSince(since: Date): Promise<OwnEntry[]> {
  const { rows } = await stores.pool.query<OwnEntry>(
    `SELECT level, service, action, message, data FROM platform_logs WHERE "timestamp" >= $1 ORDER BY "timestamp", id`,
    [since],
  );
  return rows;
}

async function streamedSince(since: Date): Promise<OwnEntry[]> {
  const items = (await redis.xRange(stores.streamKey, String(since.getTime()), '+')) ?? [];
  return items.map(({ message }) => JSON.parse(message.entry) as OwnEntry);
}

/**
 * Runs `requests` against the whole server with its own logger writing to this file's
 * PostgreSQL schema and Redis stream, stops the server, closes the logger, and returns
 * what the server wrote in both stores.
 */
async function ownEntriesOf(
  requests: (server: LogServer) => Promise<void>,
  rateLimitPerMinute?: number,
): Promise<{ stored: OwnEntry[]; streamed: OwnEntry[] }> {
  const since = new Date();
  const logger = createLogger({
    service: SERVER_SERVICE,
    env: {},
    config: { console: 'off' },
    transports: {
      postgres: { connectionString: stores.databaseUrl },
      redis: { url: stores.redisUrl, streamKey: stores.streamKey, channel: stores.channel },
    },
  });
  const server = await startLogServer({
    pool: stores.pool,
    redisUrl: stores.redisUrl,
    streamKey: stores.streamKey,
    keys: TEST_KEYS,
    uiDir: UI_DIR,
    logger,
    rateLimitPerMinute,
  });
  try {
    await requests(server);
  } finally {
    await server.stop();
    await logger.close();
  }
  return { stored: await storedSince(since), streamed: await streamedSince(since) };
}

/** Sends every request, `concurrency` at a time, and counts the answers by status. */
async function sendAll(
  baseUrl: string,
  requests: { path: string; init?: RequestInit }[],
  concurrency = 50,
): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests.length) {
        const { path, init } = requests[next++];
        const response = await fetch(baseUrl + path, init);
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    }),
  );
  return statuses;
}

const LONG_SEGMENT = 'x'.repeat(400);

/** Unknown paths (some with secrets in the query string, one very long) and wrong keys. */
const NOISE = Array.from({ length: 3_000 }, (_, i) => {
  if (i % 3 === 0) return { path: `/api/wp-login-${i}.php?user=admin&token=secret-${i}` };
  if (i % 3 === 1) return { path: '/api/platform/logs?level=error', init: bearer(`wrong-key-${i}-0123456789`) };
  return { path: `/${LONG_SEGMENT}/${i}/.env`, init: { method: i % 2 ? 'GET' : 'POST' } };
});

describe("the server's own request log", () => {
  test('3,000 requests to unknown paths and with wrong keys write one summary per status; keyed requests stay one entry each', {
    timeout: 120_000,
  }, async () => {
    let statuses = new Map<number, number>();
    const { stored, streamed } = await ownEntriesOf(async (server) => {
      statuses = await sendAll(server.baseUrl, NOISE);
      expect((await fetch(`${server.baseUrl}/api/platform/logs/whoami`, bearer(PLATFORM_KEY))).status).toBe(200);
      expect((await fetch(`${server.baseUrl}/api/platform/logs?limit=many`, bearer(PLATFORM_KEY))).status).toBe(400);
    });
    expect(Object.fromEntries(statuses)).toEqual({ 401: 1_000, 404: 2_000 });

    expect(stored.length).toBeLessThanOrEqual(5);
    expect(stored.map((entry) => entry.message).sort()).toEqual([
      '1000 requests answered 401 in the last minute',
      '2000 requests answered 404 in the last minute',
      'GET /api/platform/logs 400',
      'GET /api/platform/logs/whoami 200',
    ]);
    expect(streamed.map((entry) => entry.message).sort()).toEqual(stored.map((entry) => entry.message).sort());
    for (const entry of stored) expect(entry.service).toBe(SERVER_SERVICE);

    const summary404 = stored.find((entry) => entry.data.status === 404)!;
    expect(summary404).toMatchObject({
      level: 'warn',
      action: 'http.request.summary',
      data: { status: 404, count: 2_000 },
    });
    const examples: string[] = summary404.data.examples;
    expect(examples.length).toBeGreaterThan(0);
    expect(examples.length).toBeLessThanOrEqual(5);
    for (const example of examples) {
      expect(example).toMatch(/^(GET|POST) \//);
      expect(example).not.toContain('?');
      expect(example).not.toContain('secret');
      expect(example.length).toBeLessThanOrEqual(120);
    }
    expect(stored.find((entry) => entry.data.status === 401)!.data).toMatchObject({
      count: 1_000,
      examples: ['GET /api/platform/logs'],
    });
  });

  test('a key past its rate limit writes one summary of its 429s, not an entry per request', async () => {
    const { stored } = await ownEntriesOf(async (server) => {
      const statuses = await sendAll(
        server.baseUrl,
        Array.from({ length: 300 }, () => ({ path: '/api/platform/logs/whoami', init: bearer(PLATFORM_KEY) })),
      );
      expect(statuses.get(429)).toBeGreaterThanOrEqual(290);
    }, 10);
    expect(stored.map((entry) => entry.message).sort()).toEqual([
      expect.stringMatching(/^\d+ requests answered 429 in the last minute$/),
      ...Array(10).fill('GET /api/platform/logs/whoami 200'),
    ]);
  });

  test('the UI declares its icon and /favicon.ico is not a 404; requests without a key are counted, not logged one by one', async () => {
    const { stored } = await ownEntriesOf(async (server) => {
      const page = await fetch(server.baseUrl);
      expect(page.headers.get('content-security-policy')).toContain("img-src 'self' data:");
      expect(await page.text()).toMatch(/<link rel="icon" [^>]*href="data:image\/svg\+xml,/);
      const favicon = await fetch(`${server.baseUrl}/favicon.ico`);
      expect(favicon.status).toBe(204);
    });
    expect(stored.map((entry) => entry.message).sort()).toEqual([
      '1 request answered 200 in the last minute',
      '1 request answered 204 in the last minute',
    ]);
    expect(stored.filter((entry) => entry.level !== 'info')).toEqual([]);
  });

  test('a server started as `npm start` logs its requests under its own service and writes the last counts when it stops', async () => {
    const since = new Date();
    const port = await freePort();
    const env = {
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: stores.databaseUrl,
      LOG_API_KEYS: `${PLATFORM_KEY}:platform`,
      LOG_CONSOLE: 'off',
    };
    const server = await startServer(loadServerSettings(env), env);
    try {
      expect((await fetch(`${server.url}/api/platform/logs/whoami`, bearer(PLATFORM_KEY))).status).toBe(200);
      expect((await fetch(`${server.url}/api/nothing-here`)).status).toBe(404);
    } finally {
      await server.stop();
    }
    const entries = await storedSince(since);
    expect(entries.find((entry) => entry.action === 'http.request')).toMatchObject({
      service: SERVER_SERVICE,
      message: 'GET /api/platform/logs/whoami 200',
    });
    expect(entries.find((entry) => entry.action === 'http.request.summary')).toMatchObject({
      service: SERVER_SERVICE,
      message: '1 request answered 404 in the last minute',
      data: { status: 404, count: 1, examples: ['GET /api/nothing-here'] },
    });
    expect(SERVICE_NAMES).not.toContain(SERVER_SERVICE);
  });

  test('counts are written once a minute, then start again from nothing', async () => {
    vi.useFakeTimers();
    try {
      const { logger, entries } = captureLogger({ service: SERVER_SERVICE });
      const requestLog = createRequestLog(logger);
      const app = new Hono<AuthEnv>().use('*', requestLog.middleware);
      for (let i = 0; i < 3; i++) await app.request('/missing');
      expect(entries()).toEqual([]);
      vi.advanceTimersByTime(60_000);
      expect(entries().map((entry) => entry.message)).toEqual(['3 requests answered 404 in the last minute']);
      vi.advanceTimersByTime(60_000);
      requestLog.close();
      expect(entries()).toHaveLength(1);
      await logger.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
