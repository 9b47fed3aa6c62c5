import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { describe, expect, test } from 'vitest';
import { createLogger } from '../src/factory.js';
import { readmeExample, runPackageScript } from './support/package-script.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();

async function rowsOf(tenantId: string): Promise<{ id: string; message: string }[]> {
  const { rows } = await stores.pool.query(
    `SELECT id::text, message FROM platform_logs WHERE tenant_id = $1 ORDER BY message`,
    [tenantId],
  );
  return rows;
}

async function streamEntries(streamKey: string): Promise<{ id: string; message: string }[]> {
  const redis = createClient({ url: stores.redisUrl });
  await redis.connect();
  try {
    return ((await redis.xRange(streamKey, '-', '+')) ?? []).map((m) => JSON.parse(m.message.entry));
  } finally {
    await redis.quit();
  }
}

/** A plain pino service logging three lines for `tenant` through the given transport options, then exiting. */
const plainPino = (transport: unknown, tenant: string) => `
import pino from 'pino';
const log = pino({ base: { tenantId: ${JSON.stringify(tenant)} } }, pino.transport(${JSON.stringify(transport)}));
for (let i = 0; i < 3; i++) log.info({ i }, 'line ' + i);
`;

describe('the platform target: both stores in one worker', () => {
  test('a plain pino line without an id gets one id, kept by PostgreSQL and Redis alike', async () => {
    const streamKey = `${stores.redisPrefix}one-id:stream`;
    const target = {
      target: 'platform-logging/transports/platform',
      options: {
        postgres: { connectionString: stores.databaseUrl },
        redis: { url: stores.redisUrl, streamKey, channel: `${stores.redisPrefix}one-id:events` },
      },
    };
    const run = await runPackageScript(plainPino(target, 'one-id'));
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const stored = await rowsOf('one-id');
    expect(stored.map((row) => row.message)).toEqual(['line 0', 'line 1', 'line 2']);
    const streamed = await streamEntries(streamKey);
    expect(streamed.map((entry) => entry.id).sort()).toEqual(stored.map((row) => row.id).sort());
  });

  test('a store whose options cannot work is reported and leaves the other store alone', async () => {
    const target = {
      target: 'platform-logging/transports/platform',
      options: { postgres: { connectionString: stores.databaseUrl }, redis: { url: 'localhost:6379' } },
    };
    const run = await runPackageScript(plainPino(target, 'bad-redis'));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      'platform-logging redis-stream: not writing to this store: options.redis.url must be a redis:// or rediss:// URL, got "localhost:6379"',
    );
    expect((await rowsOf('bad-redis')).map((row) => row.message)).toEqual(['line 0', 'line 1', 'line 2']);
  });

  test("the README's plain pino example stores its entry when REDIS_URL is unset", async () => {
    const run = await runPackageScript(readmeExample('**Plain pino with the transports**'), {
      DATABASE_URL: stores.databaseUrl,
    });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const { rows } = await stores.pool.query(`SELECT service, data FROM platform_logs WHERE message = 'order placed'`);
    expect(rows).toEqual([
      { service: 'storefront', data: expect.objectContaining({ orderId: 'o_1', password: '[REDACTED]' }) },
    ]);
  });

  test('the single-store targets side by side: a redis-stream target without a url no longer ends the postgres one', async () => {
    const targets = {
      targets: [
        { target: 'platform-logging/transports/postgres', options: { connectionString: stores.databaseUrl } },
        { target: 'platform-logging/transports/redis-stream', options: { url: undefined } },
      ],
    };
    const run = await runPackageScript(plainPino(targets, 'no-redis-url'));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('platform-logging redis-stream: not writing to this store: options.url is missing');
    expect((await rowsOf('no-redis-url')).map((row) => row.message)).toEqual(['line 0', 'line 1', 'line 2']);
  });
});

describe('createLogger', () => {
  test('refuses store settings that cannot work, naming the variable or option', () => {
    const make =
      (options: object, env: NodeJS.ProcessEnv = {}) =>
      () =>
        createLogger({ service: 'admin', env, config: { console: 'off' }, ...options });
    expect(make({}, { DATABASE_URL: stores.databaseUrl, REDIS_URL: 'localhost:6379' })).toThrow(
      'REDIS_URL must be a redis:// or rediss:// URL, got "localhost:6379"',
    );
    expect(make({}, { DATABASE_URL: 'db.internal:5432/logs' })).toThrow(
      'DATABASE_URL must be a postgres:// or postgresql:// or socket:// URL, got "db.internal:5432/logs"',
    );
    expect(make({}, { DATABASE_URL: 'user:hunter2@db/logs' })).toThrow('got "user:***@db/logs"');
    expect(make({ transports: { redis: {} } })).toThrow('transports.redis.url is missing');
    expect(make({ transports: { postgres: { connectionString: stores.databaseUrl, batchSize: 0 } } })).toThrow(
      'transports.postgres.batchSize must be a whole number from 1 up, got 0',
    );
  });

  test('keeps the console and PostgreSQL going while Redis is unreachable', async () => {
    const script = `
import { createLogger } from 'platform-logging';
const logger = createLogger({ service: 'admin', tenantId: 'console-kept' });
logger.info('still on the console');
await logger.close();
`;
    const run = await runPackageScript(script, {
      APP_ENV: 'development',
      DATABASE_URL: stores.databaseUrl,
      REDIS_URL: 'redis://127.0.0.1:1',
      LOG_BATCH_SIZE: '1',
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('still on the console');
    expect((await rowsOf('console-kept')).map((row) => row.message)).toEqual(['still on the console']);
  });
});

describe('store errors', () => {
  const logThenClose = (transports: object) => `
import { createLogger } from 'platform-logging';
const logger = createLogger({ service: 'admin', tenantId: 'store-errors', transports: ${JSON.stringify(transports)} });
logger.error('at once', new Error('first thing'));
await logger.close();
`;

  test('a healthy Redis prints nothing at start: the first write waits for the connection', async () => {
    const streamKey = `${stores.redisPrefix}healthy:stream`;
    const run = await runPackageScript(
      logThenClose({
        redis: { url: stores.redisUrl, streamKey, channel: `${stores.redisPrefix}healthy:events` },
        postgres: { connectionString: stores.databaseUrl },
      }),
      // a spool of its own: the tests before left entries for their unreachable stores, which a start would send
      { APP_ENV: 'test', LOG_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'platform-logs-healthy-spool-')) },
    );
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect((await streamEntries(streamKey)).map((entry) => entry.message)).toEqual(['at once']);
  });

  test('an unreachable store is named by host and port, with the cause', async () => {
    const run = await runPackageScript(
      logThenClose({
        redis: { url: 'redis://127.0.0.1:1', closeTimeoutMs: 300 },
        postgres: { connectionString: 'postgres://postgres@127.0.0.1:1/test', closeTimeoutMs: 300 },
      }),
      { APP_ENV: 'test' },
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      'platform-logging redis-stream: store unavailable (Redis 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1)',
    );
    expect(run.stderr).toContain(
      'platform-logging postgres: store unavailable (PostgreSQL 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1)',
    );
  });
});
