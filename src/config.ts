import { ENVIRONMENTS, isLogLevel, type Environment, type LogLevel } from './types.js';

export type ConsoleMode = 'pretty' | 'json' | 'off';

/** Which entries carry the caller's file, line and function: all, warn and error only, or none. */
export type CallerLocationMode = 'all' | 'errors' | 'off';

export interface BufferRules {
  /** Flush when this many entries are waiting. */
  batchSize: number;
  /** Flush at the latest this long after the first waiting entry. */
  flushIntervalMs: number;
  /** Flush at once when an entry of this level or above arrives. */
  flushImmediatelyAt: LogLevel;
  /** About how many bytes of entries a transport holds in memory per store (see entryBytes); past it entries go to the spool. */
  maxBufferedBytes: number;
  /** The folder under which each service keeps a spool per store (`<spoolDir>/<service>/<store>`); default see spoolDir(). */
  spoolDir?: string;
  /** Most bytes a transport keeps in its spool; past it entries are dropped and counted. */
  spoolMaxBytes: number;
  /** How long closing (an exit, close()) waits for a store that takes no write before it spools what is left. */
  exitTimeoutMs: number;
}

export type RetentionDays = Record<LogLevel, number>;

export interface LoggingConfig {
  environment: Environment;
  minLevel: LogLevel;
  console: ConsoleMode;
  retentionDays: RetentionDays;
  /** Entries older than this are dropped whatever their level. */
  maxRetentionDays: number;
  buffer: BufferRules;
  /** Longest string kept in an entry's message or data; longer ones are cut with a marker. */
  maxStringLength: number;
  callerLocation: CallerLocationMode;
}

export const DEFAULT_RETENTION_DAYS: RetentionDays = { error: 30, warn: 14, info: 7, debug: 1 };

const DEFAULT_BUFFER: BufferRules = {
  batchSize: 50,
  flushIntervalMs: 5_000,
  flushImmediatelyAt: 'error',
  maxBufferedBytes: 64 * 1024 * 1024,
  spoolMaxBytes: 1024 * 1024 * 1024,
  exitTimeoutMs: 2_000,
};

const PER_ENVIRONMENT: Record<Environment, Pick<LoggingConfig, 'minLevel' | 'console'>> = {
  development: { minLevel: 'debug', console: 'pretty' },
  test: { minLevel: 'debug', console: 'off' },
  staging: { minLevel: 'debug', console: 'json' },
  production: { minLevel: 'info', console: 'off' },
};

export function resolveEnvironment(value: string | undefined): Environment {
  const normalized = value?.trim().toLowerCase();
  if (normalized === 'prod') return 'production';
  if (normalized === 'dev') return 'development';
  return (ENVIRONMENTS as readonly string[]).includes(normalized ?? '') ? (normalized as Environment) : 'development';
}

/** A whole-number setting from 1 to `max`; undefined when unset or empty, an error naming it when malformed. */
export function positiveIntSetting(name: string, value: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > max) throw new Error(`${name} must be a whole number from 1 to ${max}, got "${value}"`);
  return n;
}

function level(name: string, value: string | undefined): LogLevel | undefined {
  if (value === undefined || value === '') return undefined;
  const normalized = value.trim().toLowerCase();
  if (!isLogLevel(normalized)) throw new Error(`${name} must be one of debug, info, warn, error, got "${value}"`);
  return normalized;
}

function consoleMode(value: string | undefined): ConsoleMode | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'pretty' || value === 'json' || value === 'off') return value;
  throw new Error(`LOG_CONSOLE must be pretty, json or off, got "${value}"`);
}

function callerLocationMode(value: string | undefined): CallerLocationMode | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'all' || value === 'true') return 'all';
  if (value === 'off' || value === 'false') return 'off';
  if (value === 'errors') return 'errors';
  throw new Error(`LOG_CALLER_LOCATION must be all, errors or off, got "${value}"`);
}

export type LoggingConfigOverrides = Partial<Omit<LoggingConfig, 'buffer' | 'retentionDays'>> & {
  buffer?: Partial<BufferRules>;
  retentionDays?: Partial<RetentionDays>;
};

/**
 * The logging configuration for an environment: the environment's defaults, then the
 * environment variables, then explicit overrides. Debug entries are never kept in production.
 */
export function loadConfig(overrides: LoggingConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): LoggingConfig {
  const environment = overrides.environment ?? resolveEnvironment(env.APP_ENV ?? env.NODE_ENV);
  const defaults = PER_ENVIRONMENT[environment];
  let minLevel = overrides.minLevel ?? level('LOG_LEVEL', env.LOG_LEVEL) ?? defaults.minLevel;
  if (environment === 'production' && minLevel === 'debug') minLevel = 'info';

  return {
    environment,
    minLevel,
    console: overrides.console ?? consoleMode(env.LOG_CONSOLE) ?? defaults.console,
    retentionDays: {
      error: overrides.retentionDays?.error ?? positiveIntSetting('LOG_RETENTION_ERROR_DAYS', env.LOG_RETENTION_ERROR_DAYS) ?? DEFAULT_RETENTION_DAYS.error,
      warn: overrides.retentionDays?.warn ?? positiveIntSetting('LOG_RETENTION_WARN_DAYS', env.LOG_RETENTION_WARN_DAYS) ?? DEFAULT_RETENTION_DAYS.warn,
      info: overrides.retentionDays?.info ?? positiveIntSetting('LOG_RETENTION_INFO_DAYS', env.LOG_RETENTION_INFO_DAYS) ?? DEFAULT_RETENTION_DAYS.info,
      debug: overrides.retentionDays?.debug ?? positiveIntSetting('LOG_RETENTION_DEBUG_DAYS', env.LOG_RETENTION_DEBUG_DAYS) ?? DEFAULT_RETENTION_DAYS.debug,
    },
    maxRetentionDays: overrides.maxRetentionDays ?? positiveIntSetting('LOG_MAX_RETENTION_DAYS', env.LOG_MAX_RETENTION_DAYS) ?? 90,
    buffer: {
      batchSize: overrides.buffer?.batchSize ?? positiveIntSetting('LOG_BATCH_SIZE', env.LOG_BATCH_SIZE) ?? DEFAULT_BUFFER.batchSize,
      flushIntervalMs: overrides.buffer?.flushIntervalMs ?? positiveIntSetting('LOG_FLUSH_INTERVAL_MS', env.LOG_FLUSH_INTERVAL_MS) ?? DEFAULT_BUFFER.flushIntervalMs,
      flushImmediatelyAt: overrides.buffer?.flushImmediatelyAt ?? DEFAULT_BUFFER.flushImmediatelyAt,
      maxBufferedBytes: overrides.buffer?.maxBufferedBytes ?? positiveIntSetting('LOG_MAX_BUFFERED_BYTES', env.LOG_MAX_BUFFERED_BYTES) ?? DEFAULT_BUFFER.maxBufferedBytes,
      spoolDir: overrides.buffer?.spoolDir ?? (env.LOG_SPOOL_DIR || undefined),
      spoolMaxBytes: overrides.buffer?.spoolMaxBytes ?? positiveIntSetting('LOG_SPOOL_MAX_BYTES', env.LOG_SPOOL_MAX_BYTES) ?? DEFAULT_BUFFER.spoolMaxBytes,
      exitTimeoutMs: overrides.buffer?.exitTimeoutMs ?? positiveIntSetting('LOG_EXIT_TIMEOUT_MS', env.LOG_EXIT_TIMEOUT_MS) ?? DEFAULT_BUFFER.exitTimeoutMs,
    },
    maxStringLength: overrides.maxStringLength ?? positiveIntSetting('LOG_MAX_STRING_LENGTH', env.LOG_MAX_STRING_LENGTH) ?? 32_768,
    callerLocation: overrides.callerLocation ?? callerLocationMode(env.LOG_CALLER_LOCATION) ?? 'all',
  };
}
