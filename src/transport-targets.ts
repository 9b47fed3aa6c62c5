import type { TransportTargetOptions } from 'pino';
import { packageRoot } from './package-root.js';
import type { BufferRules } from './config.js';
import type { LogLevel } from './types.js';

/** Batching options shared by both transports; unset ones come from loadConfig() (env). */
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

export interface PostgresTransportOptions extends BatchingOptions {
  /** A PostgreSQL connection string; its search_path selects the schema. */
  connectionString: string;
  /** The channel on which each committed batch is announced (NOTIFY, payload: rows added). Default `platform_logs`. */
  notifyChannel?: string;
}

export interface RedisStreamTransportOptions extends BatchingOptions {
  url: string;
  /** Default `platform:logs:stream`. */
  streamKey?: string;
  /** Default `platform:logs:events`. */
  channel?: string;
  /** Approximate stream length kept (XADD MAXLEN ~). Default 10,000. */
  maxLen?: number;
}

export interface PlatformTransportOptions {
  postgres?: PostgresTransportOptions;
  redis?: RedisStreamTransportOptions;
  /** Lowest level the transports receive. */
  level?: LogLevel;
}

/** The compiled transport module that a pino worker thread loads. */
export function transportModulePath(name: 'postgres' | 'redis-stream' | 'pretty-console'): string {
  return new URL(`dist/transports/${name}.js`, packageRoot).pathname;
}

/** pino transport targets for the platform stores that are configured. */
export function platformTransportTargets(options: PlatformTransportOptions): TransportTargetOptions[] {
  const targets: TransportTargetOptions[] = [];
  if (options.postgres) targets.push({ target: transportModulePath('postgres'), options: options.postgres, level: options.level });
  if (options.redis) targets.push({ target: transportModulePath('redis-stream'), options: options.redis, level: options.level });
  return targets;
}
