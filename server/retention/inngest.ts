import type pg from 'pg';
import { Inngest, type InngestFunction } from 'inngest';
import type { Handler } from 'hono';
import { serve } from 'inngest/hono';
import { runRetention, type RetentionLogger } from './run-retention.js';

/** Every day at 03:00 UTC, a quiet hour for most platforms. */
export const RETENTION_CRON = 'TZ=UTC 0 3 * * *';

export interface RetentionInngestOptions {
  pool: pg.Pool;
  logger?: RetentionLogger;
  /** Inngest cron expression; defaults to RETENTION_CRON. */
  cron?: string;
  /** More functions served on the same client (the alerts' cron). */
  more?: (client: Inngest) => InngestFunction.Any[];
}

/**
 * True when the Inngest client can be reached: in production through a signing key, in
 * development through the Dev Server (INNGEST_DEV). Otherwise the built-in timer runs retention.
 */
export function inngestConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  const dev = env.INNGEST_DEV?.trim().toLowerCase();
  return Boolean(env.INNGEST_SIGNING_KEY) || (dev !== undefined && dev !== '' && dev !== '0' && dev !== 'false');
}

/**
 * The Inngest client, the daily retention function, and the serve handler for Hono at
 * /api/inngest. The client reads INNGEST_EVENT_KEY, INNGEST_SIGNING_KEY, INNGEST_DEV and
 * INNGEST_BASE_URL from the environment, as the SDK always does.
 */
export function createRetentionInngest({ pool, logger, cron = RETENTION_CRON, more }: RetentionInngestOptions) {
  const client = new Inngest({ id: 'platform-logging' });
  const retention = client.createFunction(
    { id: 'platform-logs-retention', name: 'Platform logs retention', triggers: [{ cron }] },
    async ({ step }) => step.run('run-retention', () => runRetention({ pool, logger })),
  );
  const functions = [retention as unknown as InngestFunction.Any, ...(more?.(client) ?? [])];
  return { client, functions, handler: refuseBodiesNotJson(serve({ client, functions })) };
}

/**
 * The SDK answers a body that is not JSON with a 500; it is the client's error, so a 400.
 * Hono keeps the body read here for the SDK's own read.
 */
function refuseBodiesNotJson(handler: Handler): Handler {
  return async (c, next) => {
    const body = await c.req.text();
    if (body !== '') {
      try {
        JSON.parse(body);
      } catch {
        return c.json({ error: 'the request body must be JSON' }, 400);
      }
    }
    return handler(c, next);
  };
}
