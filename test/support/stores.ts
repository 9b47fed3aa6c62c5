import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, beforeAll, inject } from 'vitest';
import { migrate } from '../../server/store/migrate.js';
import { ensurePartitionsAhead } from '../../server/store/partitions.js';
import { LOG_LEVELS } from '../../src/types.js';

export interface TestStores {
  /** A connection string whose search_path is this file's own schema. */
  databaseUrl: string;
  redisUrl: string;
  /** This file's own schema, migrated, with partitions made ahead. */
  schema: string;
  /** This file's own Redis key prefix; every key a test writes must start with it. */
  redisPrefix: string;
  /** A pool on this file's schema. */
  pool: pg.Pool;
  /** The Redis stream key and notice channel under this file's prefix. */
  streamKey: string;
  channel: string;
  /** This file's own spool folder (LOG_SPOOL_DIR), so that no file sends what another left behind. */
  spoolDir: string;
}

function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

/**
 * Gives the calling test file its own PostgreSQL schema (migrated, partitions ahead) and
 * its own Redis key prefix and spool folder (set as LOG_SPOOL_DIR for the transports and
 * services it starts), and removes them after the file. Call at the top of a file;
 * the returned object is filled in before the first test runs.
 */
export function useTestStores(options: { migrate?: boolean } = {}): TestStores {
  const id = randomBytes(5).toString('hex');
  const stores = {
    schema: `test_${id}`,
    redisPrefix: `test:${id}:`,
    streamKey: `test:${id}:platform:logs:stream`,
    channel: `test:${id}:platform:logs:events`,
  } as TestStores;
  const baseUrl = inject('databaseUrl');
  stores.redisUrl = inject('redisUrl');
  stores.databaseUrl = withSearchPath(baseUrl, stores.schema);
  stores.spoolDir = mkdtempSync(join(tmpdir(), 'test-spool-'));
  process.env.LOG_SPOOL_DIR = stores.spoolDir;

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${stores.schema}`);
    await admin.end();
    stores.pool = new pg.Pool({ connectionString: stores.databaseUrl, max: 4 });
    if (options.migrate !== false) {
      await migrate(stores.pool);
      await ensurePartitionsAhead(stores.pool);
    }
  });

  afterAll(async () => {
    await stores.pool?.end();
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    // a level at a time: the schema's hundreds of partitions at once would fill PostgreSQL's shared lock table
    for (const level of LOG_LEVELS)
      await admin.query(`DROP TABLE IF EXISTS ${stores.schema}.platform_logs_${level} CASCADE`);
    await admin.query(`DROP SCHEMA IF EXISTS ${stores.schema} CASCADE`);
    await admin.end();
    const redis = createClient({ url: stores.redisUrl });
    await redis.connect();
    const keys: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: `${stores.redisPrefix}*`, COUNT: 500 })) keys.push(...batch);
    if (keys.length > 0) await redis.del(keys);
    await redis.quit();
    rmSync(stores.spoolDir, { recursive: true, force: true });
  });

  return stores;
}
