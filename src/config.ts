import { ENVIRONMENTS, PINO_LEVELS, isLevelName, type Environment, type LevelName, type LogLevel } from './types.js';

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
  minLevel: LevelName;
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

function environmentName(value: string | undefined): Environment | undefined {
  const normalized = value?.trim().toLowerCase();
  if (normalized === 'prod') return 'production';
  if (normalized === 'dev') return 'development';
  return (ENVIRONMENTS as readonly string[]).includes(normalized ?? '') ? (normalized as Environment) : undefined;
}

/** An environment name (or prod, dev); anything else is development. */
export function resolveEnvironment(value: string | undefined): Environment {
  return environmentName(value) ?? 'development';
}

/**
 * The environment: APP_ENV, where a value that names no environment is an error; else
 * NODE_ENV, which other tools set too, read as resolveEnvironment does; else development.
 */
export function environmentSetting(env: NodeJS.ProcessEnv): Environment {
  if (!env.APP_ENV) return resolveEnvironment(env.NODE_ENV);
  const environment = environmentName(env.APP_ENV);
  if (environment === undefined)
    throw new Error(`APP_ENV must be one of ${ENVIRONMENTS.join(', ')} (or dev, prod), got "${env.APP_ENV}"`);
  return environment;
}

const MAX_TEXT_SETTING = 200;

/** A free-text setting (a version, a region): trimmed; undefined when empty; an error when it holds control characters or is too long. */
export function textSetting(name: string, value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (trimmed.length > MAX_TEXT_SETTING || /[\x00-\x1f\x7f]/.test(trimmed)) {
    throw new Error(
      `${name} must be printable text of at most ${MAX_TEXT_SETTING} characters, got ${JSON.stringify(value)}`,
    );
  }
  return trimmed;
}

/** A whole-number setting from 1 to `max`; undefined when unset or empty, an error naming it when malformed. */
export function positiveIntSetting(
  name: string,
  value: string | undefined,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > max)
    throw new Error(`${name} must be a whole number from 1 to ${max}, got "${value}"`);
  return n;
}

/** A level name, any case; an error naming the setting and the names it takes otherwise. */
export function parseLevel(name: string, value: unknown): LevelName {
  const normalized = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (!isLevelName(normalized))
    throw new Error(`${name} must be one of ${PINO_LEVELS.join(', ')} or silent, got ${JSON.stringify(value)}`);
  return normalized;
}

function consoleMode(raw: string | undefined): ConsoleMode | undefined {
  const value = raw?.trim().toLowerCase();
  if (!value) return undefined;
  if (value === 'pretty' || value === 'json' || value === 'off') return value;
  throw new Error(`LOG_CONSOLE must be pretty, json or off, got "${raw}"`);
}

function callerLocationMode(raw: string | undefined): CallerLocationMode | undefined {
  const value = raw?.trim().toLowerCase();
  if (!value) return undefined;
  if (value === 'all' || value === 'true') return 'all';
  if (value === 'off' || value === 'false') return 'off';
  if (value === 'errors') return 'errors';
  throw new Error(`LOG_CALLER_LOCATION must be all, errors or off, got "${raw}"`);
}

export type LoggingConfigOverrides = Partial<Omit<LoggingConfig, 'buffer' | 'retentionDays'>> & {
  buffer?: Partial<BufferRules>;
  retentionDays?: Partial<RetentionDays>;
};

/**
 * The logging configuration for an environment: the environment's defaults, then the
 * environment variables, then explicit overrides. Trace and debug entries are never kept in
 * production.
 */
export function loadConfig(
  overrides: LoggingConfigOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): LoggingConfig {
  // Every variable is read, overridden or not, so that a malformed one is always an error.
  const environment = pick(overrides.environment, environmentSetting(env), 'development');
  const defaults = PER_ENVIRONMENT[environment];
  let minLevel = pick(
    overrides.minLevel,
    env.LOG_LEVEL ? parseLevel('LOG_LEVEL', env.LOG_LEVEL) : undefined,
    defaults.minLevel,
  );
  if (environment === 'production' && (minLevel === 'debug' || minLevel === 'trace')) minLevel = 'info';
  const days = (level: LogLevel) => {
    const name = `LOG_RETENTION_${level.toUpperCase()}_DAYS`;
    return pick(overrides.retentionDays?.[level], positiveIntSetting(name, env[name]), DEFAULT_RETENTION_DAYS[level]);
  };

  return {
    environment,
    minLevel,
    console: pick(overrides.console, consoleMode(env.LOG_CONSOLE), defaults.console),
    retentionDays: { error: days('error'), warn: days('warn'), info: days('info'), debug: days('debug') },
    maxRetentionDays: pick(
      overrides.maxRetentionDays,
      positiveIntSetting('LOG_MAX_RETENTION_DAYS', env.LOG_MAX_RETENTION_DAYS),
      90,
    ),
    buffer: {
      batchSize: pick(
        overrides.buffer?.batchSize,
        positiveIntSetting('LOG_BATCH_SIZE', env.LOG_BATCH_SIZE),
        DEFAULT_BUFFER.batchSize,
      ),
      flushIntervalMs: pick(
        overrides.buffer?.flushIntervalMs,
        positiveIntSetting('LOG_FLUSH_INTERVAL_MS', env.LOG_FLUSH_INTERVAL_MS),
        DEFAULT_BUFFER.flushIntervalMs,
      ),
      flushImmediatelyAt: overrides.buffer?.flushImmediatelyAt ?? DEFAULT_BUFFER.flushImmediatelyAt,
      maxBufferedBytes: pick(
        overrides.buffer?.maxBufferedBytes,
        positiveIntSetting('LOG_MAX_BUFFERED_BYTES', env.LOG_MAX_BUFFERED_BYTES),
        DEFAULT_BUFFER.maxBufferedBytes,
      ),
      spoolDir: pick(overrides.buffer?.spoolDir, env.LOG_SPOOL_DIR || undefined, undefined),
      spoolMaxBytes: pick(
        overrides.buffer?.spoolMaxBytes,
        positiveIntSetting('LOG_SPOOL_MAX_BYTES', env.LOG_SPOOL_MAX_BYTES),
        DEFAULT_BUFFER.spoolMaxBytes,
      ),
      exitTimeoutMs: pick(
        overrides.buffer?.exitTimeoutMs,
        positiveIntSetting('LOG_EXIT_TIMEOUT_MS', env.LOG_EXIT_TIMEOUT_MS),
        DEFAULT_BUFFER.exitTimeoutMs,
      ),
    },
    maxStringLength: pick(
      overrides.maxStringLength,
      positiveIntSetting('LOG_MAX_STRING_LENGTH', env.LOG_MAX_STRING_LENGTH),
      32_768,
    ),
    callerLocation: pick(overrides.callerLocation, callerLocationMode(env.LOG_CALLER_LOCATION), 'all'),
  };
}

/** The override, else the variable's value, else the default. */
function pick<T>(override: T | undefined, fromEnv: T | undefined, fallback: T): T {
  return override ?? fromEnv ?? fallback;
}
