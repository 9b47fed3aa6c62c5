import { fileURLToPath } from 'node:url';
import { createLogger } from '../src/factory.js';
import type { PlatformLogger } from '../src/logger.js';
import { packageRoot } from '../src/package-root.js';
import { createAlertFunction } from './alerts/inngest.js';
import { lazySecretBox } from './alerts/secrets.js';
import { alertSettingsFromEnv } from './alerts/settings.js';
import { startAlertTimer } from './alerts/timer.js';
import { createAuth, loadApiKeys } from './auth.js';
import { createRequestLog } from './http/request-log.js';
import { createRetentionInngest, inngestConfigured, startRetentionTimer } from './retention/index.js';
import type { ServerSettings } from './settings.js';
import { SERVER_REDIS_PREFIX, openStores, type Stores } from './stores.js';
import { redisTicketLedger } from './tickets.js';
import { migrate } from './store/migrate.js';
import { createReads } from './store/reads.js';
import { serverSecret } from './store/server-secret.js';
import { ensurePartitionsAhead } from './store/partitions.js';
import { serveApp } from './serve.js';
import { createStreamHub, streamLimitsFromEnv } from './stream/index.js';

export interface RunningServer {
  url: string;
  stores: Stores;
  /** The server's own logger (service SERVER_SERVICE). */
  logger: PlatformLogger;
  /** The development key made for this run, when LOG_API_KEYS was empty. */
  generatedKey?: string;
  /** Stops accepting, finishes requests, closes streams, flushes the logger, closes the stores. */
  stop(): Promise<void>;
}

/** The service of the server's own entries, apart from every service of the platform. */
export const SERVER_SERVICE = 'platform-logs';

const UI_DIR = fileURLToPath(new URL('dist/ui/', packageRoot));
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Opens the stores (embedded PostgreSQL without DATABASE_URL), migrates, makes partitions
 * ahead, and serves the API, the live stream, the Inngest endpoint and the UI.
 */
export async function startServer(
  settings: ServerSettings,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningServer> {
  const { keys, generatedKey } = loadApiKeys(settings.apiKeys, settings.environment);
  const alertSettings = alertSettingsFromEnv(env);
  const stores = await openStores({
    databaseUrl: settings.databaseUrl,
    databaseReadUrl: settings.databaseReadUrl,
    redisUrl: settings.redisUrl,
    dataDir: settings.dataDir,
    statementTimeoutMs: settings.statementTimeoutMs,
    exportPoolSize: settings.exportLimits.maxConcurrent,
  });
  let logger: PlatformLogger | undefined;
  try {
    await migrate(stores.pool);
    await ensurePartitionsAhead(stores.pool);
    logger = createLogger({
      service: SERVER_SERVICE,
      environment: settings.environment,
      transports: {
        postgres: { connectionString: stores.databaseUrl },
        redis: stores.redisUrl ? { url: stores.redisUrl } : undefined,
      },
      env,
    });
    const secret = await serverSecret(stores.pool, settings.serverSecret);
    const hub = createStreamHub({
      pool: stores.pool,
      redis: stores.redis,
      limits: streamLimitsFromEnv(env),
      logger,
      positionSecret: secret,
    });
    await hub.start();
    const alertRuns = {
      pool: stores.pool,
      logger,
      intervalMs: alertSettings.intervalMs,
      delayMs: alertSettings.delayMs,
      serverSecret: settings.serverSecret,
      webhook: { allowedHosts: alertSettings.allowedHosts, timeoutMs: alertSettings.webhookTimeoutMs },
    };
    const inngest = inngestConfigured(env)
      ? createRetentionInngest({
          pool: stores.pool,
          logger,
          more: (client) => [createAlertFunction(client, alertRuns)],
        })
      : undefined;
    const stopRetentionTimer = inngest ? undefined : startRetentionTimer({ pool: stores.pool, logger });
    const stopAlertTimer = inngest ? undefined : startAlertTimer(alertRuns);
    const requestLog = createRequestLog(logger);

    const reads = createReads({
      primary: { query: stores.pool, export: stores.exportPool },
      replica: stores.replica,
      maxLagMs: settings.readMaxLagMs,
    });
    const served = await serveApp({
      hub,
      hostname: settings.host,
      port: settings.port,
      pool: stores.pool,
      exportPool: stores.exportPool,
      healthPool: stores.healthPool,
      reads,
      redis: stores.redis,
      auth: createAuth(keys, {
        secret,
        tickets: stores.redis ? redisTicketLedger(stores.redis, SERVER_REDIS_PREFIX) : undefined,
      }),
      exportMaxRows: settings.exportMaxRows,
      exportLimits: settings.exportLimits,
      rateLimitPerMinute: settings.rateLimitPerMinute,
      alerts: {
        secrets: lazySecretBox(stores.pool, settings.serverSecret),
        webhook: alertRuns.webhook,
        intervalMs: alertSettings.intervalMs,
        delayMs: alertSettings.delayMs,
      },
      inngest: inngest?.handler,
      logger,
      requestLog,
      uiDir: UI_DIR,
    });
    const url = `http://${settings.host === '0.0.0.0' ? 'localhost' : settings.host}:${settings.port}`;
    const serverLogger = logger;

    return {
      url,
      stores,
      logger,
      generatedKey,
      async stop() {
        await served.close(SHUTDOWN_GRACE_MS);
        reads.stop();
        requestLog.close();
        await stopRetentionTimer?.();
        await stopAlertTimer?.();
        await serverLogger.close();
        await stores.close();
      },
    };
  } catch (error) {
    await logger?.close().catch(() => {});
    await stores.close().catch(() => {});
    throw error;
  }
}
