import type { Hono, Handler } from 'hono';
import type { AppOptions } from '../../server/app.js';
import type pg from 'pg';
import { createClient } from 'redis';
import { createAuth, type ApiKey } from '../../server/auth.js';
import type { ExportLimits } from '../../server/budget.js';
import { createRequestLog } from '../../server/http/request-log.js';
import type { RedisClient } from '../../server/stores.js';
import { serveApp } from '../../server/serve.js';
import { serverSecret } from '../../server/store/server-secret.js';
import { redisTicketLedger } from '../../server/tickets.js';
import { createStreamHub, type StreamHub, type StreamLimits } from '../../server/stream/index.js';
import type { PlatformLogger } from '../../src/logger.js';

export interface LogServerOptions {
  pool: pg.Pool;
  /** Default `pool`. */
  exportPool?: pg.Pool;
  exportLimits?: Partial<ExportLimits>;
  /** The Redis the server reads the stream from (possibly through a proxy). */
  redisUrl: string;
  streamKey: string;
  keys: ApiKey[];
  /** The server's own Redis keys (rate limits, used tickets); default beside the stream key, under the test's prefix. */
  redisKeyPrefix?: string;
  /** 0 for a free port; a port to restart on the same address. */
  port?: number;
  limits?: Partial<StreamLimits>;
  rateLimitPerMinute?: number;
  /** The Inngest serve handler for /api/inngest. */
  inngest?: Handler;
  /** The built UI; default none. */
  uiDir?: string;
  /** The server's own logger, for its request log and faults; default none. */
  logger?: PlatformLogger;
  /** The alerts' routes: webhook policy, interval. */
  alerts?: AppOptions['alerts'];
}

export interface LogServer {
  port: number;
  /** The root app, for in-process requests (app.request). */
  app: Hono;
  hub: StreamHub;
  /** The secret the server seals stream positions with. */
  positionSecret: Buffer;
  redis: RedisClient;
  wsUrl: string;
  baseUrl: string;
  stop(): Promise<void>;
}

/**
 * The whole server as startServer wires it (createApp with the live stream mounted) on the
 * test's own stores and stream key, served on 127.0.0.1.
 */
export async function startLogServer(options: LogServerOptions): Promise<LogServer> {
  const redis: RedisClient = createClient({ url: options.redisUrl });
  redis.on('error', () => {}); // an outage is what some tests make; the hub reports it
  await redis.connect();
  // the server's own way, so that a server restarted on the same schema opens its positions
  const positionSecret = await serverSecret(options.pool, undefined);
  const redisKeyPrefix = options.redisKeyPrefix ?? `${options.streamKey}:server:`;
  const hub = createStreamHub({
    pool: options.pool,
    redis,
    streamKey: options.streamKey,
    limits: options.limits,
    positionSecret,
  });
  await hub.start();
  const requestLog = options.logger && createRequestLog(options.logger);
  const served = await serveApp({
    hub,
    hostname: '127.0.0.1',
    port: options.port ?? 0,
    pool: options.pool,
    exportPool: options.exportPool,
    exportLimits: options.exportLimits,
    redis,
    auth: createAuth(options.keys, { secret: positionSecret, tickets: redisTicketLedger(redis, redisKeyPrefix) }),
    redisKeyPrefix,
    exportMaxRows: 100_000,
    rateLimitPerMinute: options.rateLimitPerMinute ?? 100_000,
    inngest: options.inngest,
    uiDir: options.uiDir ?? '/nonexistent-ui',
    logger: options.logger,
    requestLog,
    alerts: options.alerts,
  });
  const { port } = served;
  return {
    port,
    app: served.app,
    hub,
    positionSecret,
    redis,
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/api/platform/logs/stream`,
    async stop() {
      await served.close(0);
      requestLog?.close();
      if (redis.isReady) await redis.close();
      else redis.destroy();
    },
  };
}
