import { Hono, type Handler } from 'hono';
import { errorResponse } from './http/errors.js';
import { createLogRoutes, type LogRoutesOptions } from './http/log-routes.js';
import { requestLog, type RequestLogger } from './http/request-log.js';
import { createUiRoutes } from './http/ui.js';

export interface AppOptions extends LogRoutesOptions {
  /** Where each answered request is logged (action http.request). */
  requestLogger?: RequestLogger;
  /** Told about server faults (never about client errors). */
  reportError?: (error: unknown) => void;
  /** The Inngest serve handler, answered at /api/inngest. */
  inngest?: Handler;
  /** The built UI (dist/ui). */
  uiDir: string;
}

/** The whole HTTP surface: the logs API, the Inngest endpoint and the UI. */
export function createApp(options: AppOptions): Hono {
  const app = new Hono();
  const report = options.reportError ?? (() => {});
  if (options.requestLogger) app.use('*', requestLog(options.requestLogger));

  app.route('/api/platform/logs', createLogRoutes(options));
  if (options.inngest) app.on(['GET', 'POST', 'PUT'], '/api/inngest', options.inngest);
  app.all('/api/*', (c) => c.json({ error: 'no such route' }, 404));
  app.route('/', createUiRoutes(options.uiDir));

  app.notFound((c) => c.json({ error: 'no such route' }, 404));
  app.onError((error, c) => errorResponse(c, error, report));
  return app;
}
