import type { HttpBindings } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import type pg from 'pg';
import { createAlertRoutes, type AlertRoutesOptions } from '../alerts/routes.js';
import { lazySecretBox } from '../alerts/secrets.js';
import { confineToPrincipal, type Auth, type AuthEnv } from '../auth.js';
import { DEFAULT_EXPORT_LIMITS, createExportBudget, type ExportLimits } from '../export-budget.js';
import { createRateLimiter, rateLimit } from '../rate-limit.js';
import { MAX_TREND_BUCKETS, getErrorAggregates, type AggregateSort } from '../store/aggregates.js';
import { EXPORT_FORMATS, emptyExport, exportChunks } from '../store/export.js';
import { emptyHistogram, getHistogram } from '../store/histogram.js';
import { InvalidCursorError, decodeCursor, getLogById, isUuid, queryLogs, type Keyset } from '../store/query.js';
import type { RedisClient } from '../stores.js';
import { HttpError, badParameter } from './errors.js';
import { openApiDocument } from './openapi.js';
import { FILTER_PARAMETERS, parseChoice, parseFilters, parseIntParam, queryParams } from './params.js';

export interface LogRoutesOptions {
  pool: pg.Pool;
  /**
   * The pool exports run on, default `pool`. The server gives them one of their own
   * (Stores.exportPool), so that exports held up by slow readers never take the queries' connections.
   */
  exportPool?: pg.Pool;
  /** Exports at once, in all and per key, and the idle cut-off; unset ones keep DEFAULT_EXPORT_LIMITS. */
  exportLimits?: Partial<ExportLimits>;
  redis?: RedisClient;
  auth: Auth;
  /** Most rows one export may hold (LOG_EXPORT_MAX_ROWS). */
  exportMaxRows: number;
  /** Requests per minute per key, and per client address without one (LOG_RATE_LIMIT_PER_MINUTE). */
  rateLimitPerMinute: number;
  /**
   * The live stream's routes, mounted at /stream, made with the rate limit they apply: they
   * check keys and tickets themselves, since a browser opens a stream with a ticket.
   */
  stream?: (limit: MiddlewareHandler<AuthEnv>) => Hono<AuthEnv>;
  now?: () => Date;
  /** The alerts' routes at /alerts: webhook policy, interval, secrets (default: kept in the database). */
  alerts?: Partial<Omit<AlertRoutesOptions, 'pool'>>;
}

const HEALTH_TIMEOUT_MS = 3_000;
const EXPORT_RETRY_AFTER_S = 10;
const AGGREGATE_SORTS: readonly AggregateSort[] = ['count', 'lastSeen'];

async function answers(check: () => Promise<unknown>): Promise<'ok' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), HEALTH_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'ok';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

function readCursor(cursor: string): Keyset {
  try {
    return decodeCursor(cursor);
  } catch (error) {
    if (error instanceof InvalidCursorError) throw badParameter('cursor', error.message);
    throw error;
  }
}

/** The chunks, then `release()` however they end: done, failed or returned early. */
async function* releasing(chunks: AsyncGenerator<Buffer>, release: () => void): AsyncGenerator<Buffer> {
  try {
    yield* chunks;
  } finally {
    release();
  }
}

/**
 * An export's response body. It is pulled (highWaterMark 0): the next chunk is read only when
 * the client has taken the one before, so a slow client holds PostgreSQL back instead of
 * filling memory. A client that takes nothing for `idleTimeoutMs` is cut off: the response's
 * socket is closed and the chunks returned, which closes their COPY's connection.
 */
function pulledBody(chunks: AsyncGenerator<Buffer>, first: IteratorResult<Buffer>, idleTimeoutMs: number, outgoing?: { destroy(): void }): ReadableStream<Uint8Array> {
  let idle: NodeJS.Timeout | undefined;
  const offer = (controller: ReadableStreamDefaultController<Uint8Array>, next: IteratorResult<Buffer>) => {
    if (next.done) return controller.close();
    controller.enqueue(next.value);
    idle = setTimeout(() => {
      // node-server reads the body again only once the socket drains, which an idle client never
      // lets happen: closing the socket cancels the body, as when the client leaves.
      if (outgoing) return outgoing.destroy();
      controller.error(new Error(`the client took nothing for ${idleTimeoutMs} ms`));
      void chunks.return(undefined);
    }, idleTimeoutMs);
  };
  return new ReadableStream<Uint8Array>(
    {
      start: (controller) => offer(controller, first),
      async pull(controller) {
        clearTimeout(idle);
        offer(controller, await chunks.next());
      },
      async cancel() {
        clearTimeout(idle);
        await chunks.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

/** The HTTP API under /api/platform/logs (docs/api.md). */
export function createLogRoutes(options: LogRoutesOptions): Hono<AuthEnv> {
  const { pool, redis, auth } = options;
  const exportPool = options.exportPool ?? pool;
  const exportLimits: ExportLimits = { ...DEFAULT_EXPORT_LIMITS, ...options.exportLimits };
  const exportBudget = createExportBudget(exportLimits);
  const now = options.now ?? (() => new Date());
  const app = new Hono<AuthEnv>();
  const limit = rateLimit(createRateLimiter({ perMinute: options.rateLimitPerMinute }), options.rateLimitPerMinute);

  app.use('*', auth.identify);
  if (options.stream) app.route('/stream', options.stream(limit));
  app.use('*', limit);

  app.get('/healthz', queryParams(), async (c) => {
    const postgres = await answers(() => pool.query('SELECT 1'));
    const redisHealth = redis ? await answers(() => redis.ping()) : 'not configured';
    const healthy = postgres === 'ok' && redisHealth !== 'down';
    return c.json({ postgres, redis: redisHealth }, healthy ? 200 : 503);
  });

  const openApi = openApiDocument({ exportMaxRows: options.exportMaxRows });
  app.get('/openapi.json', queryParams(), (c) => c.json(openApi));

  app.use('*', auth.requireKey);

  app.get('/whoami', queryParams(), (c) => c.json(c.get('principal')));

  app.post('/stream/ticket', queryParams(), (c) => c.json(auth.issueTicket({ principal: c.get('principal'), keyId: c.get('keyId') })));

  app.get('/', queryParams([...FILTER_PARAMETERS, 'limit', 'cursor']), async (c) => {
    const params = c.get('params');
    const filters = confineToPrincipal(c.get('principal'), parseFilters(params, now()));
    const limit = parseIntParam(params, 'limit', 1, 1000, 100);
    const cursor = params.one('cursor');
    const after = cursor === undefined ? undefined : readCursor(cursor);
    if (!filters) return c.json({ entries: [], nextCursor: null });
    return c.json(await queryLogs(pool, filters, { limit, after }));
  });

  app.get('/histogram', queryParams([...FILTER_PARAMETERS, 'buckets']), async (c) => {
    const params = c.get('params');
    const at = now();
    const parsed = parseFilters(params, at);
    const buckets = parseIntParam(params, 'buckets', 1, 500, 60);
    const filters = confineToPrincipal(c.get('principal'), parsed);
    const range = { from: parsed.from!, to: params.one('to') === undefined ? at : parsed.to! };
    return c.json(filters ? await getHistogram(pool, { ...filters, ...range }, buckets) : emptyHistogram(range.from, range.to, buckets));
  });

  app.get('/aggregates', queryParams([...FILTER_PARAMETERS, 'sort', 'limit', 'cursor', 'buckets']), async (c) => {
    const params = c.get('params');
    const filters = confineToPrincipal(c.get('principal'), parseFilters(params, now()));
    const sort = parseChoice(params, 'sort', AGGREGATE_SORTS, 'count');
    const limit = parseIntParam(params, 'limit', 1, 500, 50);
    const buckets = parseIntParam(params, 'buckets', 1, MAX_TREND_BUCKETS, 24);
    const cursor = params.one('cursor');
    if (!filters) return c.json({ groups: [], nextCursor: null });
    try {
      return c.json(await getErrorAggregates(pool, { ...filters, sort, limit, cursor, buckets }));
    } catch (error) {
      if (error instanceof InvalidCursorError) throw badParameter('cursor', error.message);
      throw error;
    }
  });

  app.get('/export', queryParams([...FILTER_PARAMETERS, 'format', 'limit']), async (c) => {
    const params = c.get('params');
    const filters = confineToPrincipal(c.get('principal'), parseFilters(params, now()));
    const format = parseChoice(params, 'format', EXPORT_FORMATS, 'ndjson');
    const maxRows = parseIntParam(params, 'limit', 1, options.exportMaxRows, options.exportMaxRows);
    const stamp = now().toISOString().replace(/[:.]/g, '-');
    const headers = {
      'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      'Content-Disposition': `attachment; filename="platform-logs-${stamp}.${format}"`,
      'Cache-Control': 'no-store',
    };
    // HEAD reads no body: an export begun for it would hold its connection for ever.
    if (c.req.method === 'HEAD') return new Response(null, { headers });
    const slot = exportBudget.acquire(c.get('principal'));
    if (!slot.ok) return c.json({ error: slot.error }, 429, { 'Retry-After': String(EXPORT_RETRY_AFTER_S) });
    const chunks = releasing(filters ? exportChunks(exportPool, filters, { format, maxRows }) : emptyExport(format), slot.release);
    // The first rows are read before answering, so a store fault is a 503, not a cut download.
    const first = await chunks.next();
    // served by @hono/node-server, the response's socket; absent for in-process requests
    const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
    return new Response(pulledBody(chunks, first, exportLimits.idleTimeoutMs, outgoing), { headers });
  });

  app.route('/alerts', createAlertRoutes({ secrets: lazySecretBox(pool, undefined), now, ...options.alerts, pool }));

  app.get('/:id', queryParams(), async (c) => {
    const id = c.req.param('id');
    if (!isUuid(id)) throw new HttpError(404, 'no entry with this id');
    const principal = c.get('principal');
    const entry = await getLogById(pool, id, principal.scope === 'tenant' ? principal.tenantId : undefined);
    if (!entry) throw new HttpError(404, 'no entry with this id');
    return c.json(entry);
  });

  return app;
}
