import { Hono, type Handler } from 'hono';
import type { PlatformLogger } from '../src/logger.js';
import type { AuthEnv } from './auth.js';
import { errorResponse } from './http/errors.js';
import { createLogRoutes, type LogRoutesOptions } from './http/log-routes.js';
import type { RequestLog } from './http/request-log.js';
import { createUiRoutes } from './http/ui.js';

export interface AppOptions extends LogRoutesOptions {
  /** The server's own logger, for server faults. */
  logger?: PlatformLogger;
  /** The server's own log of answered requests (createRequestLog). */
  requestLog?: RequestLog;
  /** The Inngest serve handler, answered at /api/inngest. */
  inngest?: Handler;
  /** The built UI (dist/ui). */
  uiDir: string;
}

/**
 * The whole HTTP surface: the logs API with its live stream, the Inngest endpoint and the
 * UI. Mount it on the app given to createNodeWebSocket when the stream is served.
 */
export function createApp(options: AppOptions): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const { logger } = options;
  if (options.requestLog) app.use('*', options.requestLog.middleware);

  app.route('/api/platform/logs', createLogRoutes(options));
  if (options.inngest) app.on(['GET', 'POST', 'PUT'], '/api/inngest', options.inngest);
  app.all('/api/*', (c) => c.json({ error: 'no such route' }, 404));
  app.route('/', createUiRoutes(options.uiDir));

  app.notFound((c) => c.json({ error: 'no such route' }, 404));
  app.onError((error, c) =>
    errorResponse(c, error, (fault) => logger?.error('request failed', fault, { path: c.req.path })),
  );
  return app;
}
