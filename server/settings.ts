import { environmentSetting, positiveIntSetting } from '../src/config.js';
import type { Environment } from '../src/types.js';
import { DEFAULT_EXPORT_LIMITS, type ExportLimits } from './budget.js';

export interface ServerSettings {
  environment: Environment;
  port: number;
  host: string;
  databaseUrl?: string;
  /** DATABASE_READ_URL: a streaming standby that queries, histogram, aggregates and export read from. */
  databaseReadUrl?: string;
  /** A replica further behind than this is not read from (LOG_READ_MAX_LAG_MS). */
  readMaxLagMs: number;
  redisUrl?: string;
  /** Data folder of the embedded PostgreSQL, used when there is no DATABASE_URL. */
  dataDir: string;
  exportMaxRows: number;
  exportLimits: ExportLimits;
  /** statement_timeout of every query connection. */
  statementTimeoutMs: number;
  rateLimitPerMinute: number;
  apiKeys?: string;
  /** LOG_SERVER_SECRET: what stream positions are sealed with; without it, a secret kept in the database. */
  serverSecret?: string;
}

const MIN_SECRET_LENGTH = 32;

/** The server's settings from the environment; a malformed value is an error naming it. */
export function loadServerSettings(env: NodeJS.ProcessEnv = process.env): ServerSettings {
  const environment = environmentSetting(env);
  return {
    environment,
    port: positiveIntSetting('PORT', env.PORT, 65_535) ?? 4000,
    // Only a development machine keeps the server to itself by default.
    host: env.HOST || (environment === 'development' ? '127.0.0.1' : '0.0.0.0'),
    databaseUrl: env.DATABASE_URL || undefined,
    databaseReadUrl: readUrl(env.DATABASE_READ_URL, env.DATABASE_URL),
    readMaxLagMs: positiveIntSetting('LOG_READ_MAX_LAG_MS', env.LOG_READ_MAX_LAG_MS) ?? 10_000,
    redisUrl: env.REDIS_URL || undefined,
    dataDir: env.LOG_DATA_DIR || '.data/postgres',
    exportMaxRows: positiveIntSetting('LOG_EXPORT_MAX_ROWS', env.LOG_EXPORT_MAX_ROWS) ?? 1_000_000,
    exportLimits: {
      maxConcurrent:
        positiveIntSetting('LOG_EXPORT_MAX_CONCURRENT', env.LOG_EXPORT_MAX_CONCURRENT) ??
        DEFAULT_EXPORT_LIMITS.maxConcurrent,
      maxConcurrentPerKey:
        positiveIntSetting('LOG_EXPORT_MAX_CONCURRENT_PER_KEY', env.LOG_EXPORT_MAX_CONCURRENT_PER_KEY) ??
        DEFAULT_EXPORT_LIMITS.maxConcurrentPerKey,
      idleTimeoutMs:
        positiveIntSetting('LOG_EXPORT_IDLE_TIMEOUT_MS', env.LOG_EXPORT_IDLE_TIMEOUT_MS) ??
        DEFAULT_EXPORT_LIMITS.idleTimeoutMs,
    },
    statementTimeoutMs: positiveIntSetting('LOG_STATEMENT_TIMEOUT_MS', env.LOG_STATEMENT_TIMEOUT_MS) ?? 30_000,
    rateLimitPerMinute: positiveIntSetting('LOG_RATE_LIMIT_PER_MINUTE', env.LOG_RATE_LIMIT_PER_MINUTE) ?? 600,
    apiKeys: env.LOG_API_KEYS,
    serverSecret: serverSecret(env.LOG_SERVER_SECRET),
  };
}

function readUrl(value: string | undefined, primary: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!primary)
    throw new Error('DATABASE_READ_URL needs DATABASE_URL: the replica is read from, the primary written to');
  return value;
}

function serverSecret(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (value.length < MIN_SECRET_LENGTH)
    throw new Error(`LOG_SERVER_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
  return value;
}
