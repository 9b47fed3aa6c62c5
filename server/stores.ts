import pg from 'pg';
import { createClient } from 'redis';
import { startEmbeddedPostgres } from './embedded-postgres.js';

function connectRedis(url: string) {
  return createClient({ url });
}

/** A Redis client as this package opens it (RESP3, no modules). */
export type RedisClient = ReturnType<typeof connectRedis>;

/** Where a server keeps its own state in Redis: rate limits and used stream tickets. */
export const SERVER_REDIS_PREFIX = 'platform:logs:server:';

export interface Stores {
  /** Queries, health, the live stream, retention and migrations; statements time out (migrations lift it). */
  pool: pg.Pool;
  /** Exports only, whose COPY lasts as long as its reader is slow: never the queries' connections. */
  exportPool: pg.Pool;
  /** One connection for health checks, which must answer while the queries' pool is busy. */
  healthPool: pg.Pool;
  /** The same two on the read replica (DATABASE_READ_URL), when there is one. */
  replica?: { query: pg.Pool; export: pg.Pool };
  /** The connection string transports and other processes use. */
  databaseUrl: string;
  redis?: RedisClient;
  redisUrl?: string;
  /** One line saying which stores are in use, passwords hidden. */
  description: string;
  close(): Promise<void>;
}

export interface StoresOptions {
  databaseUrl?: string;
  /** A read replica of databaseUrl; it needs databaseUrl. */
  databaseReadUrl?: string;
  redisUrl?: string;
  /** Where the embedded PostgreSQL keeps its data when there is no databaseUrl. */
  dataDir: string;
  /** statement_timeout of `pool` (LOG_STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs: number;
  /** Connections of `exportPool`: as many as exports may run at once (LOG_EXPORT_MAX_CONCURRENT). */
  exportPoolSize: number;
  onRedisError?: (error: Error) => void;
  onEmbeddedLog?: (line: string) => void;
}

/** A URL with its password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * PostgreSQL from `databaseUrl`, or an embedded PostgreSQL in `dataDir` when there is none
 * (DESIGN decision 9); Redis from `redisUrl` when set. Without Redis the live stream runs
 * through PostgreSQL.
 */
export async function openStores(options: StoresOptions): Promise<Stores> {
  const embedded = options.databaseUrl
    ? undefined
    : await startEmbeddedPostgres({ dataDir: options.dataDir, onLog: options.onEmbeddedLog });
  const databaseUrl = options.databaseUrl ?? embedded!.connectionString;
  const queryPool = (connectionString: string) =>
    new pg.Pool({
      connectionString,
      max: 10,
      connectionTimeoutMillis: 5_000,
      statement_timeout: options.statementTimeoutMs,
    });
  // No statement timeout: it would count the time a COPY waits for its reader; the idle cut-off bounds that.
  const exportPoolOf = (connectionString: string) =>
    new pg.Pool({ connectionString, max: options.exportPoolSize, connectionTimeoutMillis: 5_000 });
  const pool = queryPool(databaseUrl);
  const exportPool = exportPoolOf(databaseUrl);
  const healthPool = new pg.Pool({
    connectionString: databaseUrl,
    max: 1,
    connectionTimeoutMillis: 2_000,
    statement_timeout: 2_000,
  });
  const replica =
    options.databaseReadUrl && options.databaseUrl
      ? { query: queryPool(options.databaseReadUrl), export: exportPoolOf(options.databaseReadUrl) }
      : undefined;
  const pools = [pool, exportPool, healthPool, ...(replica ? [replica.query, replica.export] : [])];
  for (const each of pools) each.on('error', () => {}); // an idle client losing its connection is replaced on next use

  let redis: RedisClient | undefined;
  if (options.redisUrl) {
    redis = connectRedis(options.redisUrl);
    redis.on('error', (error: Error) => options.onRedisError?.(error));
    try {
      await redis.connect();
    } catch (error) {
      await Promise.all(pools.map((each) => each.end()));
      await embedded?.stop();
      throw new Error(`Redis at ${redactUrl(options.redisUrl)} does not answer: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  const postgresLine =
    (embedded ? `embedded PostgreSQL at ${embedded.dataDir}` : `PostgreSQL ${redactUrl(databaseUrl)}`) +
    (replica ? `, reads from ${redactUrl(options.databaseReadUrl!)}` : '');
  const redisLine = options.redisUrl
    ? `Redis ${redactUrl(options.redisUrl)}`
    : 'no Redis: live stream through PostgreSQL';

  return {
    pool,
    exportPool,
    healthPool,
    replica,
    databaseUrl,
    redis,
    redisUrl: options.redisUrl,
    description: `stores: ${postgresLine}, ${redisLine}`,
    async close() {
      await redis?.quit().catch(() => redis?.destroy());
      await Promise.all(pools.map((each) => each.end()));
      await embedded?.stop();
    },
  };
}
