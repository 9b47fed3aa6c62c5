import type { MiddlewareHandler } from 'hono';
import type { PlatformLogger } from '../../src/logger.js';
import { requestLogContext } from '../../src/request-context.js';
import type { AuthEnv } from '../auth.js';

/**
 * Logs each request once it is answered (action http.request): method, path (never the
 * query string, which may hold a stream ticket), status and duration, with the request and
 * trace ids its headers carry. Headers themselves are never logged, so neither is a key.
 * The tenant is the key's, never one a header claims.
 */
export function requestLog(logger: PlatformLogger): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const { requestId, traceId, spanId } = requestLogContext(c.req.raw);
    const principal = c.get('principal');
    const status = c.res.status;
    const data = {
      method: c.req.method,
      path: c.req.path,
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    };
    const entryLogger = logger.child({
      action: 'http.request',
      requestId,
      traceId,
      spanId,
      ...(principal?.scope === 'tenant' ? { tenantId: principal.tenantId } : {}),
    });
    const message = `${data.method} ${data.path} ${status}`;
    if (status >= 500) entryLogger.error(message, data);
    else if (status >= 400) entryLogger.warn(message, data);
    else entryLogger.info(message, data);
  };
}
