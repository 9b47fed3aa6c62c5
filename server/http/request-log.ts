import type { MiddlewareHandler } from 'hono';
import type { PlatformLogger } from '../../src/logger.js';
import { requestLogContext } from '../../src/request-context.js';
import type { AuthEnv } from '../auth.js';

/**
 * Answers anyone can provoke by the thousand are counted rather than logged one by one:
 * 401, 404 and 429 (a key past its limit) always, and every answer below 500 to a request
 * without a valid key (the UI's pages, healthz, openapi.json), so that no one writes an entry
 * per request it is refused.
 */
const COUNTED_STATUSES = new Set([401, 404, 429]);
const isCounted = (status: number, keyed: boolean) => COUNTED_STATUSES.has(status) || (!keyed && status < 500);
const SUMMARY_INTERVAL_MS = 60_000;
const EXAMPLES_KEPT = 5;
const EXAMPLE_PATH_CHARS = 100;

interface Tally {
  count: number;
  /** Distinct `METHOD /path`, the first few seen. */
  examples: Set<string>;
}

export interface RequestLog {
  middleware: MiddlewareHandler<AuthEnv>;
  /** Stops the summaries' timer and writes the counts not yet written, if any. */
  close(): void;
}

function example(method: string, path: string): string {
  return `${method} ${path.length > EXAMPLE_PATH_CHARS ? `${path.slice(0, EXAMPLE_PATH_CHARS)}…` : path}`;
}

/**
 * Logs each answered request once (action http.request): method, path (never the query
 * string, which may hold a stream ticket), status and duration, with the request and trace
 * ids its headers carry. Headers themselves are never logged, so neither is a key. The
 * tenant is the key's, never one a header claims.
 *
 * Counted statuses are not logged per request but once a minute per status (action
 * http.request.summary), with the count and a few examples, so that a flood of unknown
 * paths or wrong keys cannot flood the stores and push real entries out of the stream.
 */
export function createRequestLog(logger: PlatformLogger): RequestLog {
  const tallies = new Map<number, Tally>();
  const summaryLogger = logger.child({ action: 'http.request.summary' });
  const writeSummaries = () => {
    for (const [status, { count, examples }] of tallies) {
      const message = `${count} ${count === 1 ? 'request' : 'requests'} answered ${status} in the last minute`;
      const data = { status, count, examples: [...examples] };
      if (status >= 400) summaryLogger.warn(message, data);
      else summaryLogger.info(message, data);
    }
    tallies.clear();
  };
  const timer = setInterval(writeSummaries, SUMMARY_INTERVAL_MS).unref();

  const middleware: MiddlewareHandler<AuthEnv> = async (c, next) => {
    const started = performance.now();
    await next();
    const principal = c.get('principal');
    const status = c.res.status;
    const method = c.req.method;
    const path = c.req.path;
    if (isCounted(status, principal !== undefined)) {
      const tally = tallies.get(status) ?? { count: 0, examples: new Set() };
      tally.count += 1;
      if (tally.examples.size < EXAMPLES_KEPT) tally.examples.add(example(method, path));
      tallies.set(status, tally);
      return;
    }
    const { requestId, traceId, spanId } = requestLogContext(c.req.raw);
    const data = { method, path, status, durationMs: Math.round((performance.now() - started) * 10) / 10 };
    const entryLogger = logger.child({
      action: 'http.request',
      requestId,
      traceId,
      spanId,
      ...(principal?.scope === 'tenant' ? { tenantId: principal.tenantId } : {}),
    });
    const message = `${method} ${path} ${status}`;
    if (status >= 500) entryLogger.error(message, data);
    else if (status >= 400) entryLogger.warn(message, data);
    else entryLogger.info(message, data);
  };

  return {
    middleware,
    close() {
      clearInterval(timer);
      writeSummaries();
    },
  };
}
