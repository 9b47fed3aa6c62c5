import type { MiddlewareHandler } from 'hono';

/** What the request log needs from the server's own PlatformLogger. */
export interface RequestLogger {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

/**
 * Logs each request once it is answered: method, path (never the query string, which may
 * hold a stream ticket), status and duration. Headers are never logged, so neither is a key.
 */
export function requestLog(logger: RequestLogger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const data = {
      method: c.req.method,
      path: c.req.path,
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    };
    const message = `${data.method} ${data.path} ${status}`;
    if (status >= 500) logger.error(message, data);
    else if (status >= 400) logger.warn(message, data);
    else logger.info(message, data);
  };
}
