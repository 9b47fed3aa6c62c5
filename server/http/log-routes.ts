import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type pg from 'pg';
import type { Principal } from '../../src/api-types.js';
import type { LogLevel } from '../../src/types.js';
import { createAlertRoutes, type AlertRoutesOptions } from '../alerts/routes.js';
import { lazySecretBox } from '../alerts/secrets.js';
import { confineToPrincipal, type Auth, type AuthEnv } from '../auth.js';
import { DEFAULT_EXPORT_LIMITS, createBudget, type ExportLimits } from '../budget.js';
import { createRateLimiter, createRedisRateLimiter, rateLimit } from '../rate-limit.js';
import { SERVER_REDIS_PREFIX } from '../stores.js';
import { MAX_TREND_BUCKETS, getErrorAggregates, type AggregateSort } from '../store/aggregates.js';
import { EXPORT_FORMATS, emptyExport, exportChunks } from '../store/export.js';
import { createReads, type Reads } from '../store/reads.js';
import type { LogFilters } from '../store/filters.js';
import { CONTEXT_SCOPES, getContext } from '../store/context.js';
import { getDataFields, getFacet, isFacetField } from '../store/facets.js';
import { emptyHistogram, getHistogram } from '../store/histogram.js';
import { measured } from '../store/stats.js';
import { QuerySyntaxError, parseField } from '../query/parse.js';
import { fieldName, type FieldRef } from '../query/ast.js';
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
  /** What healthz asks, so that it answers while queries fill their pool. Default `pool`. */
  healthPool?: pg.Pool;
  /** Where reads go: a read replica while it keeps up (DATABASE_READ_URL), else the primary. Default: `pool` and `exportPool`. */
  reads?: Reads;
  /** With Redis, rate limits are shared by every server on it. */
  redis?: RedisClient;
  /** Where the server keeps its own keys in Redis (rate limits, used tickets); default SERVER_REDIS_PREFIX. */
  redisKeyPrefix?: string;
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
const DAY_MS = 86_400_000;
/** Reads at once in all (the query pool has 10 connections: some are left for health, the stream, retention) and per key. */
const QUERIES_AT_ONCE = 8;
const QUERIES_AT_ONCE_PER_KEY = 3;
/** Queries over more than this many days open most partitions; this many run at once. */
const WIDE_RANGE_DAYS = 31;
const WIDE_QUERIES_AT_ONCE = 2;
/** The response header that says which database answered a read: primary or replica. */
const SERVED_BY = 'X-Served-By';
const EXPORT_RETRY_AFTER_S = 10;
const AGGREGATE_SORTS: readonly AggregateSort[] = ['count', 'lastSeen'];
const NO_STATS = { partitionsScanned: 0, durationMs: 0 };

/** The facets route's `field`: a column or @data.path, named as a query names it. */
function readFacetField(name: string | undefined): FieldRef {
  if (name === undefined)
    throw badParameter(
      'field',
      'is required: a field (service, level, tenantId, errorType, version, region, …) or a data path (@cart.total)',
    );
  let field: FieldRef;
  try {
    field = parseField(name);
  } catch (error) {
    if (error instanceof QuerySyntaxError)
      throw new HttpError(400, error.message, 'field', { position: error.position, expected: error.expected });
    throw error;
  }
  if (!isFacetField(field))
    throw badParameter(
      'field',
      `${fieldName(field)} has a value per entry or is long text; facets count fields such as service, level, errorType or a data path`,
    );
  return field;
}

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

/** `first`, then the rest of `chunks`, then `release()` however they end: done, failed or returned early. */
async function* releasing(
  first: IteratorResult<Buffer>,
  chunks: AsyncGenerator<Buffer>,
  release: () => void,
): AsyncGenerator<Buffer> {
  try {
    if (first.done) return;
    yield first.value;
    yield* chunks;
  } finally {
    release();
    await chunks.return(undefined);
  }
}

/**
 * An export's response body. It is pulled (highWaterMark 0): the next chunk is read only when
 * the client has taken the one before, so a slow client holds PostgreSQL back instead of
 * filling memory. A client that takes nothing for `idleTimeoutMs` is cut off: the response's
 * socket is closed and the chunks returned, which closes their COPY's connection.
 */
function pulledBody(
  chunks: AsyncGenerator<Buffer>,
  idleTimeoutMs: number,
  outgoing?: { destroy(): void },
): ReadableStream<Uint8Array> {
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
      start: async (controller) => offer(controller, await chunks.next()),
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
  const reads = options.reads ?? createReads({ primary: { query: pool, export: exportPool }, maxLagMs: 0 });
  const exportLimits: ExportLimits = { ...DEFAULT_EXPORT_LIMITS, ...options.exportLimits };
  const exportBudget = createBudget(exportLimits);
  const queryBudget = createBudget(
    { maxConcurrent: QUERIES_AT_ONCE, maxConcurrentPerKey: QUERIES_AT_ONCE_PER_KEY },
    'queries',
  );
  const wideBudget = createBudget(
    { maxConcurrent: WIDE_QUERIES_AT_ONCE, maxConcurrentPerKey: 1 },
    `queries over more than ${WIDE_RANGE_DAYS} days`,
  );
  /**
   * A read under the query budgets: a key cannot take the whole pool, and queries over wide ranges
   * (which open every partition and its indexes, a lock each) run few at a time, so that they can
   * neither starve other keys nor fill PostgreSQL's shared lock table. Over a budget: 429 at once.
   */
  async function budgeted<T>(principal: Principal, filters: LogFilters, read: () => Promise<T>): Promise<T> {
    const wide = filters.from && filters.to && filters.to.getTime() - filters.from.getTime() > WIDE_RANGE_DAYS * DAY_MS;
    const slots = [queryBudget.acquire(principal), ...(wide ? [wideBudget.acquire(principal)] : [])];
    try {
      const refused = slots.find((slot) => !slot.ok);
      if (refused && !refused.ok) throw new HttpError(429, refused.error);
      return await read();
    } finally {
      for (const slot of slots) if (slot.ok) slot.release();
    }
  }
  /** A query's answer: `read` under the budgets, on the replica or the primary, with its statistics and which database answered. */
  async function measuredRead<T extends object>(
    c: Context<AuthEnv>,
    scope: LogFilters,
    read: (pool: pg.Pool) => Promise<T>,
    head: Record<string, unknown> = {},
  ): Promise<Response> {
    const { value, store } = await budgeted(c.get('principal'), scope, () =>
      reads.run('query', (from) => measured(from, scope, () => read(from))),
    );
    return c.json({ ...head, ...value.result, stats: value.stats }, 200, { [SERVED_BY]: store });
  }
  const now = options.now ?? (() => new Date());
  const app = new Hono<AuthEnv>();
  const perMinute = options.rateLimitPerMinute;
  const local = createRateLimiter({ perMinute });
  const limiter = redis
    ? createRedisRateLimiter(redis, {
        perMinute,
        keyPrefix: options.redisKeyPrefix ?? SERVER_REDIS_PREFIX,
        fallback: local,
      })
    : local;
  const limit = rateLimit(limiter, perMinute);

  app.use('*', auth.identify);
  if (options.stream) app.route('/stream', options.stream(limit));
  app.use('*', limit);

  app.get('/healthz', queryParams(), async (c) => {
    const postgres = await answers(() => (options.healthPool ?? pool).query('SELECT 1'));
    const redisHealth = redis ? await answers(() => redis.ping()) : 'not configured';
    const healthy = postgres === 'ok' && redisHealth !== 'down';
    return c.json({ postgres, redis: redisHealth }, healthy ? 200 : 503);
  });

  const openApi = openApiDocument({ exportMaxRows: options.exportMaxRows });
  app.get('/openapi.json', queryParams(), (c) => c.json(openApi));

  app.use('*', auth.requireKey);

  app.get('/whoami', queryParams(), (c) => c.json(c.get('principal')));

  app.post('/stream/ticket', queryParams(), (c) =>
    c.json(auth.issueTicket({ principal: c.get('principal'), keyId: c.get('keyId') })),
  );

  app.get('/', queryParams([...FILTER_PARAMETERS, 'limit', 'cursor']), async (c) => {
    const params = c.get('params');
    const filters = confineToPrincipal(c.get('principal'), parseFilters(params, now()));
    const limit = parseIntParam(params, 'limit', 1, 1000, 100);
    const cursor = params.one('cursor');
    const after = cursor === undefined ? undefined : readCursor(cursor);
    if (!filters) return c.json({ entries: [], nextCursor: null, stats: NO_STATS });
    return measuredRead(c, filters, (from) => queryLogs(from, filters, { limit, after }));
  });

  app.get('/facets', queryParams([...FILTER_PARAMETERS, 'field', 'limit']), async (c) => {
    const params = c.get('params');
    const filters = confineToPrincipal(c.get('principal'), parseFilters(params, now()));
    const field = readFacetField(params.one('field'));
    const limit = parseIntParam(params, 'limit', 1, 100, 10);
    const name = fieldName(field);
    if (!filters) return c.json({ field: name, values: [], missing: 0, stats: NO_STATS });
    return measuredRead(c, filters, (from) => getFacet(from, filters, field, limit), { field: name });
  });

  app.get('/fields', queryParams([...FILTER_PARAMETERS, 'sample']), async (c) => {
    const params = c.get('params');
    const filters = confineToPrincipal(c.get('principal'), parseFilters(params, now()));
    const sample = parseIntParam(params, 'sample', 1, 100_000, 10_000);
    if (!filters) return c.json({ fields: [], sampled: 0, complete: true, stats: NO_STATS });
    return measuredRead(c, filters, (from) => getDataFields(from, filters, sample));
  });

  app.get('/histogram', queryParams([...FILTER_PARAMETERS, 'buckets']), async (c) => {
    const params = c.get('params');
    const at = now();
    const parsed = parseFilters(params, at);
    const buckets = parseIntParam(params, 'buckets', 1, 500, 60);
    const filters = confineToPrincipal(c.get('principal'), parsed);
    const range = { from: parsed.from!, to: params.one('to') === undefined ? at : parsed.to! };
    if (!filters) return c.json({ ...emptyHistogram(range.from, range.to, buckets), stats: NO_STATS });
    const scope = { ...filters, ...range };
    return measuredRead(c, scope, (from) => getHistogram(from, scope, buckets));
  });

  app.get('/aggregates', queryParams([...FILTER_PARAMETERS, 'sort', 'limit', 'cursor', 'buckets']), async (c) => {
    const params = c.get('params');
    const filters = confineToPrincipal(c.get('principal'), parseFilters(params, now()));
    const sort = parseChoice(params, 'sort', AGGREGATE_SORTS, 'count');
    const limit = parseIntParam(params, 'limit', 1, 500, 50);
    const buckets = parseIntParam(params, 'buckets', 1, MAX_TREND_BUCKETS, 24);
    const cursor = params.one('cursor');
    if (!filters) return c.json({ groups: [], nextCursor: null, stats: NO_STATS });
    try {
      const scope = { ...filters, levels: filters.levels?.length ? filters.levels : (['warn', 'error'] as LogLevel[]) };
      // awaited here, so that a bad cursor is the 400 below
      return await measuredRead(c, scope, (from) =>
        getErrorAggregates(from, { ...filters, sort, limit, cursor, buckets }),
      );
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
    // The first rows are read before answering, so a store fault is a 503 (or the primary's answer), not a cut download.
    let started;
    try {
      started = await reads.run('export', async (from) => {
        const read = filters ? exportChunks(from, filters, { format, maxRows }) : emptyExport(format);
        return { read, first: await read.next() };
      });
    } catch (error) {
      slot.release();
      throw error;
    }
    const { value: chunks, store } = started;
    const rows = releasing(chunks.first, chunks.read, slot.release);
    // served by @hono/node-server, the response's socket; absent for in-process requests
    const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
    return new Response(pulledBody(rows, exportLimits.idleTimeoutMs, outgoing), {
      headers: { ...headers, [SERVED_BY]: store },
    });
  });

  app.get('/:id/context', queryParams(['before', 'after', 'by']), async (c) => {
    const params = c.get('params');
    const id = c.req.param('id');
    const before = parseIntParam(params, 'before', 0, 500, 50);
    const after = parseIntParam(params, 'after', 0, 500, 50);
    const by = parseChoice(params, 'by', CONTEXT_SCOPES, 'tenant');
    if (!isUuid(id)) throw new HttpError(404, 'no entry with this id');
    const principal = c.get('principal');
    const started = performance.now();
    const { value: context, store } = await reads.run('query', (from) =>
      getContext(from, id.toLowerCase(), {
        before,
        after,
        by,
        tenantId: principal.scope === 'tenant' ? principal.tenantId : undefined,
      }),
    );
    c.header(SERVED_BY, store);
    if (!context) throw new HttpError(404, 'no entry with this id');
    const at = Date.parse(context.entry.timestamp);
    const { stats } = await measured(
      pool,
      { from: new Date(at - 86_400_000), to: new Date(at + 86_400_000) },
      async () => undefined,
    );
    return c.json({
      entry: context.entry,
      by,
      before: context.before,
      after: context.after,
      stats: { ...stats, durationMs: Math.round((performance.now() - started) * 10) / 10 },
    });
  });

  app.route('/alerts', createAlertRoutes({ secrets: lazySecretBox(pool, undefined), now, ...options.alerts, pool }));

  app.get('/:id', queryParams(), async (c) => {
    const id = c.req.param('id');
    if (!isUuid(id)) throw new HttpError(404, 'no entry with this id');
    const principal = c.get('principal');
    const { value: entry, store } = await reads.run('query', (from) =>
      getLogById(from, id, principal.scope === 'tenant' ? principal.tenantId : undefined),
    );
    if (!entry) throw new HttpError(404, 'no entry with this id');
    return c.json(entry, 200, { [SERVED_BY]: store });
  });

  return app;
}
