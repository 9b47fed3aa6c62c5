import type { TransportTargetOptions } from 'pino';
import { packageRoot } from './package-root.js';
import type { BufferRules } from './config.js';
import type { RedactOptions } from './redact.js';
import type { PinoLevel } from './types.js';

/**
 * What the transports give an entry whose line lacks it, and how they redact data: plain
 * pino lines get the entry a PlatformLogger writes. Unset ones come from the same
 * variables as createLogger's.
 */
export interface EntryOptions {
  /** The service of lines without one. Default `unknown`. */
  service?: string;
  /** Default env APP_ENV, else NODE_ENV, else `development`. */
  environment?: string;
  /** Default env APP_VERSION, else npm_package_version. */
  version?: string;
  /** Default env APP_REGION. */
  region?: string;
  /** Secret redaction in data: on by default, env LOG_REDACT_KEYS adds comma-separated keys; false for none. */
  redact?: RedactOptions | false;
}

/** Batching options shared by both stores; unset ones come from loadConfig() (env). */
export interface BatchingOptions extends Partial<BufferRules> {
  /** The service whose spool this is: it names the spool's folder. createLogger sets it; default `unknown`. */
  service?: string;
  /** How long closing keeps writing while the store takes writes. Default 8,000 ms (thread-stream ends a worker after 10 s). */
  closeTimeoutMs?: number;
  /** Where the transport leaves its close report for the main thread (createReportBuffer); createLogger sets it. */
  report?: SharedArrayBuffer;
}

/** Where the transports write and the live stream reads, unless configured otherwise. */
export const DEFAULT_STREAM_KEY = 'platform:logs:stream';
export const DEFAULT_CHANNEL = 'platform:logs:events';
/** The PostgreSQL channel on which each committed batch is announced, with the number of rows it added. */
export const DEFAULT_NOTIFY_CHANNEL = 'platform_logs';

export interface PostgresTransportOptions extends BatchingOptions, EntryOptions {
  /** A PostgreSQL connection string; its search_path selects the schema. */
  connectionString: string;
  /** The channel on which each committed batch is announced (NOTIFY, payload: rows added). Default `platform_logs`. */
  notifyChannel?: string;
}

export interface RedisStreamTransportOptions extends BatchingOptions, EntryOptions {
  url: string;
  /** Default `platform:logs:stream`. */
  streamKey?: string;
  /** Default `platform:logs:events`. */
  channel?: string;
  /** Approximate stream length kept (XADD MAXLEN ~). Default 10,000. */
  maxLen?: number;
}

export interface PlatformTransportOptions extends EntryOptions {
  postgres?: PostgresTransportOptions;
  redis?: RedisStreamTransportOptions;
  /** Lowest level the transports receive. */
  level?: PinoLevel;
}

export type TransportModule = 'platform' | 'postgres' | 'redis-stream' | 'pretty-console';

/** The compiled transport module that a pino worker thread loads. */
export function transportModulePath(name: TransportModule): string {
  return new URL(`dist/transports/${name}.js`, packageRoot).pathname;
}

/** The pino transport target for the platform stores that are configured: one worker, one parse per line, none when no store is. */
export function platformTransportTargets(options: PlatformTransportOptions): TransportTargetOptions[] {
  const { level, postgres, redis, ...entry } = options;
  if (!postgres && !redis) return [];
  return [
    {
      target: transportModulePath('platform'),
      options: { ...entry, postgres: postgres ?? false, redis: redis ?? false },
      level,
    },
  ];
}

/** The names that errors about a store's options use: the variable or option path each value came from. */
export interface StoreOptionNames {
  /** e.g. `DATABASE_URL`, `REDIS_URL` or `transports.redis.url`. */
  url: string;
  /** Prefix of the other options, e.g. `transports.redis.`. */
  options: string;
}

/** A connection string with its password hidden, for messages. */
function masked(url: string): string {
  return url.replace(/:[^:@/]*@/, ':***@');
}

function checkUrl(value: unknown, name: string, protocols: readonly string[], example: string): void {
  if (typeof value !== 'string' || value.trim() === '') throw new Error(`${name} is missing: give a ${example} URL`);
  let protocol: string | undefined;
  try {
    protocol = new URL(value).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol === undefined || !protocols.includes(protocol)) {
    throw new Error(`${name} must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL, got "${masked(value)}"`);
  }
}

/** A whole number from 1 up, or unset. */
function checkPositive(options: object, key: string, prefix: string): void {
  const value = (options as Record<string, unknown>)[key];
  if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)) {
    throw new Error(`${prefix}${key} must be a whole number from 1 up, got ${JSON.stringify(value)}`);
  }
}

function checkBatching(options: BatchingOptions, prefix: string): void {
  for (const key of [
    'batchSize',
    'flushIntervalMs',
    'maxBufferedBytes',
    'spoolMaxBytes',
    'closeTimeoutMs',
    'exitTimeoutMs',
  ])
    checkPositive(options, key, prefix);
}

/** Throws, naming the setting, when PostgreSQL store options cannot work. */
export function checkPostgresOptions(options: PostgresTransportOptions, names: StoreOptionNames): void {
  const value = options?.connectionString;
  // pg also takes the folder of a Unix socket
  if (!(typeof value === 'string' && value.startsWith('/')))
    checkUrl(value, names.url, ['postgres:', 'postgresql:', 'socket:'], 'postgres://');
  const channel = options.notifyChannel;
  // PostgreSQL refuses an empty channel name and one longer than 63 bytes
  if (channel !== undefined && (typeof channel !== 'string' || channel === '' || Buffer.byteLength(channel) > 63)) {
    throw new Error(`${names.options}notifyChannel must be 1 to 63 bytes of text, got ${JSON.stringify(channel)}`);
  }
  checkBatching(options, names.options);
}

/** Throws, naming the setting, when Redis stream options cannot work. */
export function checkRedisOptions(options: RedisStreamTransportOptions, names: StoreOptionNames): void {
  checkUrl(options?.url, names.url, ['redis:', 'rediss:'], 'redis://');
  for (const key of ['streamKey', 'channel'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'string' || value === ''))
      throw new Error(`${names.options}${key} must be text, got ${JSON.stringify(value)}`);
  }
  checkPositive(options, 'maxLen', names.options);
  checkBatching(options, names.options);
}
