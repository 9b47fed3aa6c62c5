import { Writable } from 'node:stream';
import pino, {
  type DestinationStream,
  type Level,
  type LoggerOptions,
  type StreamEntry,
  type TransportMultiOptions,
  type TransportSingleOptions,
  type TransportTargetOptions,
} from 'pino';
import {
  loadConfig,
  textSetting,
  type BufferRules,
  type CallerLocationMode,
  type LoggingConfig,
  type LoggingConfigOverrides,
} from './config.js';
import { offerDefaultLogger } from './context.js';
import { flushOnExit } from './flush-on-exit.js';
import { LEVEL_VALUES, PlatformLogger, pinoMixin, type LoggerCore } from './logger.js';
import { LogOutputs, type SyncStream, type WorkerStream } from './outputs.js';
import { createKeyRules, redactKeysFromEnv, type RedactOptions } from './redact.js';
import { createDataSanitizer } from './safe-data.js';
import { createReportBuffer } from './transport-report.js';
import {
  checkPostgresOptions,
  checkRedisOptions,
  platformTransportTargets,
  transportModulePath,
  type EntryOptions,
  type PlatformTransportOptions,
} from './transport-targets.js';
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

interface StoreSettings {
  transports: PlatformTransportOptions;
  /** Where each store's connection string came from, for errors. */
  postgresUrl: string;
  redisUrl: string;
}

/** The platform stores of the options, else of env DATABASE_URL and REDIS_URL (each when set). */
function storeSettings(options: CreateLoggerOptions, env: NodeJS.ProcessEnv): StoreSettings {
  if (options.transports !== undefined && options.transports !== false) {
    return {
      transports: options.transports,
      postgresUrl: 'transports.postgres.connectionString',
      redisUrl: 'transports.redis.url',
    };
  }
  return {
    transports: {
      postgres: env.DATABASE_URL ? { connectionString: env.DATABASE_URL } : undefined,
      redis: env.REDIS_URL ? { url: env.REDIS_URL } : undefined,
    },
    postgresUrl: 'DATABASE_URL',
    redisUrl: 'REDIS_URL',
  };
}

/**
 * The worker of the platform stores, with the configuration's buffer rules and the service's
 * spool unless a store overrides them, each store with a buffer for its close report (in
 * `reports`). Options the stores could not work with are errors here, naming the variable or
 * option, rather than a store that stays silent in its worker.
 */
function storesWorker(
  settings: StoreSettings,
  config: LoggingConfig,
  entry: EntryOptions,
  reports: Record<string, SharedArrayBuffer>,
): WorkerStream | null {
  const { postgres, redis } = settings.transports;
  if (postgres) checkPostgresOptions(postgres, { url: settings.postgresUrl, options: 'transports.postgres.' });
  if (redis) checkRedisOptions(redis, { url: settings.redisUrl, options: 'transports.redis.' });
  const buffer: BufferRules & { service: string } = { ...config.buffer, service: entry.service ?? 'unknown' };
  const [target] = platformTransportTargets({
    ...entry,
    postgres: postgres && { ...buffer, ...postgres, report: (reports.postgres = createReportBuffer()) },
    redis: redis && { ...buffer, ...redis, report: (reports['redis-stream'] = createReportBuffer()) },
  });
  return target === undefined ? null : worker({ target: target.target, options: target.options });
}

/** A pino worker-thread transport whose failure is reported, never thrown at the service. */
function worker(options: TransportSingleOptions | TransportMultiOptions): WorkerStream {
  const stream = pino.transport(options);
  stream.on('error', (err: Error) => process.emitWarning(`platform-logging transport failed: ${err.message}`));
  return stream as unknown as WorkerStream;
}

/** The lowest level value whose entries carry the caller's location. */
function callerLocationFrom(mode: boolean | CallerLocationMode): number {
  if (mode === true || mode === 'all') return LEVEL_VALUES.trace;
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
  if (typeof options?.service !== 'string' || options.service.trim() === '')
    throw new Error('createLogger: options.service must name the service');
  const env = options.env ?? process.env;
  const config = loadConfig(
    { ...options.config, ...(options.environment ? { environment: options.environment } : {}) },
    env,
  );
  const version = options.version ?? textSetting('APP_VERSION', env.APP_VERSION) ?? env.npm_package_version ?? null;
  const region = options.region ?? textSetting('APP_REGION', env.APP_REGION) ?? null;
  // the same rules in the worker, for lines written through logger.pino
  const redact: RedactOptions = {
    ...options.redact,
    keys: [...redactKeysFromEnv(env), ...(options.redact?.keys ?? [])],
  };

  // Each worker on its own: a store that fails never touches the console or another target.
  const workers: WorkerStream[] = [];
  const reports: Record<string, SharedArrayBuffer> = {};
  const streams: StreamEntry[] = [];
  const syncStreams: SyncStream[] = [];
  const addWorker = (stream: WorkerStream | null, level: Level = 'trace') => {
    if (stream === null) return;
    workers.push(stream);
    streams.push({ level, stream: stream as unknown as DestinationStream });
  };
  if (options.transports !== false) {
    const settings = storeSettings(options, env);
    addWorker(
      storesWorker(settings, config, { service: options.service, environment: config.environment, redact }, reports),
      settings.transports.level,
    );
  }
  const extraTargets = options.targets ?? [];
  if (extraTargets.length > 0)
    addWorker(worker({ targets: extraTargets.map((target) => ({ level: 'trace', ...target })) }));
  if (config.console === 'pretty') {
    addWorker(
      worker({ target: transportModulePath('pretty-console'), options: { colorize: Boolean(process.stdout.isTTY) } }),
    );
  }
  if (workers.length > 0) flushOnExit();
  if (config.console === 'json') {
    const stdout = pino.destination({ dest: 1, sync: true });
    syncStreams.push(stdout);
    streams.push({ level: 'trace', stream: stdout });
  }
  if (options.destination) streams.push({ level: 'trace', stream: options.destination });

  const outputs = new LogOutputs(workers, syncStreams, reports);
  // pino warns when the worker of `targets` with levels is written to directly
  const destination =
    streams.length === 0
      ? discard()
      : streams.length === 1 && extraTargets.length === 0
        ? streams[0].stream
        : pino.multistream(streams);
  // The timestamp goes beside the id it is the time of, in the merge object or the mixin.
  const lineOptions: LoggerOptions = {
    level: config.minLevel,
    base: null,
    messageKey: 'message',
    timestamp: false,
    formatters: { level: (label) => ({ level: label }) },
  };
  const root = pino(lineOptions, destination);
  const publicPino = pino(
    {
      ...lineOptions,
      mixin: pinoMixin,
      // like PlatformLogger, logger.pino drops what is logged after close()
      hooks: {
        logMethod(args, method) {
          if (!outputs.closed) method.apply(this, args);
        },
      },
    },
    destination,
  );

  const core: LoggerCore = {
    pino: root,
    publicPino,
    callerLocationFrom: callerLocationFrom(options.callerLocation ?? config.callerLocation),
    maxStringLength: config.maxStringLength,
    sanitize: createDataSanitizer(createKeyRules(redact), {
      maxStringLength: config.maxStringLength,
    }),
    service: options.service,
    environment: config.environment,
    version,
    region,
    outputs,
  };
  const context: LogContext = { ...options };
  const logger = new PlatformLogger(core, context);
  offerDefaultLogger(logger);
  return logger;
}
