import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createRetentionInngest } from '../server/retention/index.js';
import { PLATFORM_KEY, TENANT_A_KEY, TENANT_B_KEY, TEST_KEYS, insertEntries, makeEntry } from './server-fixtures.js';
import { hostileRequests, type HostileRequest } from './support/hostile-requests.js';
import { startLogServer, type LogServer } from './support/log-server.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();
let server: LogServer;

const REQUESTS = 10_000;
const SEED = 20_240_501;
const REQUEST_TIMEOUT_MS = 5_000;
const CONCURRENCY = 25;
const UI_DIR = fileURLToPath(new URL('../dist/ui/', import.meta.url));

const HOUR = 3_600_000;
const SEEDED_AT = Date.now();
const seededTime = (i: number) => SEEDED_AT - (i % 30) * HOUR - i * 1000;
/** A UUIDv7 of the entry's own time, as the logger makes; the generator probes some of them. */
const seededId = (i: number) => {
  const ms = seededTime(i).toString(16).padStart(12, '0');
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7000-8000-${String(i).padStart(12, '0')}`;
};

beforeAll(async () => {
  const seeded = Array.from({ length: 300 }, (_, i) => {
    const level = (['debug', 'info', 'warn', 'error'] as const)[i % 4];
    return makeEntry({
      id: seededId(i),
      tenantId: ['tenant-a', 'tenant-b', '_platform'][i % 3],
      level,
      timestamp: new Date(seededTime(i)).toISOString(),
      message: `seeded ${level} ${i} payment for order ${i * 7}`,
      errorSignature: level === 'warn' || level === 'error' ? `sig-${i % 5}` : null,
      messageTemplate: level === 'warn' || level === 'error' ? 'seeded <level> <n> payment for order <n>' : null,
    });
  });
  await insertEntries(stores.pool, seeded);
  // Production mode, with the Inngest API on a closed local port: nothing leaves the machine.
  vi.stubEnv('INNGEST_SIGNING_KEY', 'signkey-test-0123456789abcdef0123456789abcdef');
  vi.stubEnv('INNGEST_BASE_URL', 'http://127.0.0.1:1');
  vi.stubEnv('INNGEST_DEV', '0');
  const inngest = createRetentionInngest({ pool: stores.pool });
  server = await startLogServer({
    pool: stores.pool,
    redisUrl: stores.redisUrl,
    streamKey: stores.streamKey,
    keys: TEST_KEYS,
    inngest: inngest.handler,
    uiDir: UI_DIR,
  });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await server?.stop();
});

/** Rows, a checksum of every row, and the tables: what any write or drop would change. */
async function databaseState() {
  const { rows } = await stores.pool.query<{ n: number; checksum: string; tables: string }>(
    `SELECT (SELECT count(*)::int FROM platform_logs) AS n,
            (SELECT md5(coalesce(string_agg(l::text, '|' ORDER BY id), '')) FROM platform_logs l) AS checksum,
            (SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = current_schema()) AS tables`,
  );
  return rows[0];
}

type Outcome = { status: number } | { hang: string };

function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * An Upgrade request goes, as on the real server, through Node's upgrade event: sent raw
 * over a socket, answered by the status line (or a switch to WebSocket, then closed).
 */
function sendUpgrade(request: HostileRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect(server.port, '127.0.0.1');
    let received = '';
    const done = (outcome: Outcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done({ hang: 'no answer' }), REQUEST_TIMEOUT_MS);
    socket.on('connect', () => {
      const headers = Object.entries({ host: '127.0.0.1', ...request.headers }).map(
        ([name, value]) => `${name}: ${value}\r\n`,
      );
      socket.write(
        Buffer.from(
          `${request.method} ${request.path} HTTP/1.1\r\n${headers.join('')}\r\n${request.body ?? ''}`,
          'latin1',
        ),
      );
    });
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received);
      if (status) done({ status: Number(status[1]) });
    });
    socket.on('error', () => {});
    socket.on('close', () => done({ hang: `closed without an answer: ${JSON.stringify(received.slice(0, 100))}` }));
  });
}

async function send(request: HostileRequest): Promise<Outcome> {
  if (request.headers.upgrade !== undefined) return sendUpgrade(request);
  try {
    const response = await within(
      REQUEST_TIMEOUT_MS,
      Promise.resolve(
        server.app.request(request.path, { method: request.method, headers: request.headers, body: request.body }),
      ),
      'no answer',
    );
    if (response.headers.get('content-type')?.startsWith('text/event-stream')) await response.body?.cancel();
    else await within(REQUEST_TIMEOUT_MS, response.arrayBuffer(), 'body never ended');
    return { status: response.status };
  } catch (error) {
    return { hang: (error as Error).message };
  }
}

describe('hostile requests against every route', () => {
  test(`${REQUESTS.toLocaleString('en')} malformed and hostile requests: no 5xx, no hang, the database unchanged`, async () => {
    const before = await databaseState();
    const requests = hostileRequests(REQUESTS, SEED, {
      valid: [PLATFORM_KEY, TENANT_A_KEY, TENANT_B_KEY],
      ids: Array.from({ length: 6 }, (_, i) => seededId(i)),
    });
    const byClass: Record<string, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, hang: 0 };
    const byRoute: Record<string, Record<string, number>> = {};
    const failures: string[] = [];
    for (let i = 0; i < requests.length; i += CONCURRENCY) {
      const batch = requests.slice(i, i + CONCURRENCY);
      const outcomes = await Promise.all(batch.map(send));
      outcomes.forEach((outcome, j) => {
        const request = batch[j];
        const kind = 'hang' in outcome ? 'hang' : `${Math.floor(outcome.status / 100)}xx`;
        byClass[kind]++;
        const route = (byRoute[request.route] ??= {});
        route[kind] = (route[kind] ?? 0) + 1;
        if (kind === '5xx' || kind === 'hang') {
          failures.push(
            `${request.method} ${request.path.slice(0, 300)} ${JSON.stringify(Object.keys(request.headers))} -> ${JSON.stringify(outcome)}`,
          );
        }
      });
    }
    const after = await databaseState();
    console.log(
      'reliability api fuzz',
      JSON.stringify({ requests: requests.length, seed: SEED, ...byClass, rows: after.n }),
    );
    console.log('reliability api fuzz by route', JSON.stringify(byRoute));

    expect(failures.slice(0, 20)).toEqual([]);
    expect(byClass['5xx'] + byClass.hang).toBe(0);
    expect(byClass['2xx']).toBeGreaterThan(REQUESTS / 20); // the fuzz reaches the routes, not only their guards
    expect(after).toEqual(before);
    expect(before.n).toBe(300);
    // every route was exercised
    expect(Object.keys(byRoute).sort()).toEqual(
      [
        'aggregates',
        'by-id',
        'export',
        'healthz',
        'histogram',
        'inngest',
        'openapi',
        'query',
        'sse',
        'stream',
        'ticket',
        'traversal',
        'whoami',
      ].sort(),
    );
  }, 120_000);
});
