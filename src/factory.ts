import { Writable } from 'node:stream';
import pino, { type DestinationStream, type StreamEntry, type TransportTargetOptions } from 'pino';
import { loadConfig, type BufferRules, type CallerLocationMode, type LoggingConfig, type LoggingConfigOverrides } from './config.js';
import { offerDefaultLogger } from './context.js';
import { flushOnExit } from './flush-on-exit.js';
import { LEVEL_VALUES, PlatformLogger, type LoggerCore } from './logger.js';
import { LogOutputs, type SyncStream, type WorkerStream } from './outputs.js';
import { createKeyRules, type RedactOptions } from './redact.js';
import { createDataSanitizer } from './safe-data.js';
import { timestampField } from './timestamp.js';
import { createReportBuffer } from './transport-report.js';
import { platformTransportTargets, transportModulePath, type PlatformTransportOptions } from './transport-targets.js';
import type { Environment, LogContext } from './types.js';

export interface CreateLoggerOptions extends LogContext {
  /** The service's name, on every entry. */
  service: string;
  environment?: Environment;
  /** Default: env APP_VERSION, else npm_package_version. */
  version?: string | null;
  /** Default: env APP_REGION. */
  region?: string | null;
  /** Overrides of the configuration loaded from the environment (see loadConfig). */
  config?: LoggingConfigOverrides;
  /**
   * The platform stores to write to, or false for none. Default: PostgreSQL from env
   * DATABASE_URL and the Redis stream from env REDIS_URL, each when set.
   */
  transports?: PlatformTransportOptions | false;
  /** More pino transport targets, e.g. { target: 'pino/file', options: { destination } }. */
  targets?: TransportTargetOptions[];
  /** A stream that receives every entry as one JSON line, e.g. for tests or tools. */
  destination?: DestinationStream | NodeJS.WritableStream;
  /**
   * Caller file, line and function: on every entry (true, 'all'), on warn and error entries
   * only ('errors'), or on none (false, 'off'). Default env LOG_CALLER_LOCATION, else 'all'.
   */
  callerLocation?: boolean | CallerLocationMode;
  /** Secret redaction in data. Default on; env LOG_REDACT_KEYS adds comma-separated keys. */
  redact?: RedactOptions;
  /** The environment variables to read; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** The platform transports configured by the environment, when options do not say. */
function transportsFromEnv(env: NodeJS.ProcessEnv): PlatformTransportOptions {
  return {
    postgres: env.DATABASE_URL ? { connectionString: env.DATABASE_URL } : undefined,
    redis: env.REDIS_URL ? { url: env.REDIS_URL } : undefined,
  };
}

/**
 * Transport targets for the stores, with the configuration's buffer rules and the service's
 * spool unless a store overrides them, each with a buffer for its close report (in `reports`).
 */
function storeTargets(transports: PlatformTransportOptions, config: LoggingConfig, service: string, reports: Record<string, SharedArrayBuffer>): TransportTargetOptions[] {
  const buffer: BufferRules & { service: string } = { ...config.buffer, service };
  return platformTransportTargets({
    level: transports.level ?? config.minLevel,
    postgres: transports.postgres && { ...buffer, ...transports.postgres, report: (reports.postgres = createReportBuffer()) },
    redis: transports.redis && { ...buffer, ...transports.redis, report: (reports['redis-stream'] = createReportBuffer()) },
  });
}

function prettyTarget(config: LoggingConfig): TransportTargetOptions {
  return {
    target: transportModulePath('pretty-console'),
    level: config.minLevel,
    options: { colorize: Boolean(process.stdout.isTTY) },
  };
}

/** The lowest level value whose entries carry the caller's location. */
function callerLocationFrom(mode: boolean | CallerLocationMode): number {
  if (mode === true || mode === 'all') return LEVEL_VALUES.debug;
  if (mode === 'errors') return LEVEL_VALUES.warn;
  return Infinity;
}

const discard = (): Writable => new Writable({ write: (_chunk, _encoding, done) => done() });

/**
 * Makes the service's root logger: configuration from the environment and options, the
 * platform transports (worker threads), the console per configuration, and an optional
 * destination stream. The first logger made becomes getLogger()'s default. With worker
 * transports, an unhandled SIGTERM or SIGINT ends the process through process.exit, so
 * that what the transports hold is written first (see flushOnExit).
 */
export function createLogger(options: CreateLoggerOptions): PlatformLogger {
  if (typeof options?.service !== 'string' || options.service.trim() === '') throw new Error('createLogger: options.service must name the service');
  const env = options.env ?? process.env;
  const config = loadConfig({ ...options.config, ...(options.environment ? { environment: options.environment } : {}) }, env);

  const targets: TransportTargetOptions[] = [];
  const reports: Record<string, SharedArrayBuffer> = {};
  const transports = options.transports ?? transportsFromEnv(env);
  if (transports !== false) targets.push(...storeTargets(transports, config, options.service, reports));
  for (const target of options.targets ?? []) targets.push({ level: config.minLevel, ...target });
  if (config.console === 'pretty') targets.push(prettyTarget(config));

  const streams: StreamEntry[] = [];
  const workers: WorkerStream[] = [];
  const syncStreams: SyncStream[] = [];
  if (targets.length > 0) {
    const worker = pino.transport({ targets });
    // A failing transport must not take the service down: report it as a process warning.
    worker.on('error', (err: Error) => process.emitWarning(`platform-logging transport failed: ${err.message}`));
    workers.push(worker as unknown as WorkerStream);
    streams.push({ level: config.minLevel, stream: worker });
    flushOnExit();
  }
  if (config.console === 'json') {
    const stdout = pino.destination({ dest: 1, sync: true });
    syncStreams.push(stdout);
    streams.push({ level: config.minLevel, stream: stdout });
  }
  if (options.destination) streams.push({ level: config.minLevel, stream: options.destination });

  // Only PlatformLogger writes through this pino, and it sets the entry's fields before each write.
  const entryFields = { json: timestampField(Date.now()) };
  const root = pino(
    {
      level: config.minLevel,
      base: null,
      messageKey: 'message',
      timestamp: () => entryFields.json,
      formatters: { level: (label) => ({ level: label }) },
    },
    // A worker always sits behind pino.multistream: the workers filter by level names
    // (formatters.level writes labels), which pino would otherwise warn about.
    streams.length === 0 ? discard() : streams.length === 1 && workers.length === 0 ? streams[0].stream : pino.multistream(streams),
  );

  const redactKeys = env.LOG_REDACT_KEYS?.split(',').map((key) => key.trim()).filter(Boolean) ?? [];
  const core: LoggerCore = {
    pino: root,
    entryFields,
    minLevel: config.minLevel,
    callerLocationFrom: callerLocationFrom(options.callerLocation ?? config.callerLocation),
    maxStringLength: config.maxStringLength,
    sanitize: createDataSanitizer(createKeyRules({ ...options.redact, keys: [...redactKeys, ...(options.redact?.keys ?? [])] }), {
      maxStringLength: config.maxStringLength,
    }),
    service: options.service,
    environment: config.environment,
    version: options.version ?? env.APP_VERSION ?? env.npm_package_version ?? null,
    region: options.region ?? env.APP_REGION ?? null,
    outputs: new LogOutputs(workers, syncStreams, reports),
  };
  const context: LogContext = { ...options };
  const logger = new PlatformLogger(core, context);
  offerDefaultLogger(logger);
  return logger;
}
