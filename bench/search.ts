/**
 * Search and export benchmark: loads synthetic entries (many tenants, 30 days, every
 * level, a realistic vocabulary) into its own schema, then times the first page of typical
 * queries through the same code as GET /api/platform/logs, and export throughput.
 *
 *   npx tsx bench/search.ts [--rows 1000000] [--runs 20] [--export-rows 200000] [--export-runs 3] [--keep]
 *
 * DATABASE_URL selects the server (default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { LogFilters } from '../server/store/filters.js';
import { to as copyTo } from 'pg-copy-streams';
import { ENTRY_COLUMNS } from '../src/entry-fields.js';
import { exportChunks, exportCopySql } from '../server/store/export.js';
import { migrate } from '../server/store/migrate.js';
import { ensurePartitions, ensurePartitionsAhead } from '../server/store/partitions.js';
import { selectPage } from '../server/store/query.js';
import { parseField, parseQuery } from '../server/query/parse.js';
import { getContext } from '../server/store/context.js';
import { getFacet } from '../server/store/facets.js';
import { FUTURE_SKEW_MS } from '../server/http/params.js';
import { median, percentile } from './stats.js';

export interface SearchBenchOptions {
  rows: number;
  runs: number;
  exportRows: number;
  /** Rounds of each export run; the median is reported (default 3). */
  exportRuns?: number;
  databaseUrl: string;
  keep: boolean;
  log?: (line: string) => void;
}

export interface SearchBenchResult {
  rows: number;
  loadSeconds: number;
  queries: { name: string; p50Ms: number; p95Ms: number; meanRows: number }[];
  /** Each run's median rows/s over the rounds, and its ratio to the baseline's. */
  export: { name: string; rows: number; rowsPerSecond: number; megabytes: number; ofBaseline: number }[];
}

const DAY_MS = 86_400_000;
const TENANTS = 500;

// Words drawn per message: frequent ones (most pages), rarer ones (few matches).
const SUBJECTS = [
  'payment',
  'order',
  'checkout',
  'cart',
  'invoice',
  'webhook',
  'session',
  'product',
  'payout',
  'export',
  'email',
  'inventory',
];
const VERBS = [
  'captured',
  'failed',
  'started',
  'completed',
  'retried',
  'timed out',
  'rejected',
  'queued',
  'updated',
  'cancelled',
];
const OBJECTS = [
  'for customer',
  'from provider',
  'on gateway',
  'in queue',
  'by worker',
  'after retry',
  'for tenant',
  'during sync',
];
const sqlArray = (words: string[]) => `ARRAY[${words.map((w) => `'${w}'`).join(',')}]`;
const pickSql = (words: string[]) => `(${sqlArray(words)})[1 + floor(random() * ${words.length})::int]`;

function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

async function load(pool: pg.Pool, rows: number, log: (line: string) => void): Promise<void> {
  const chunk = 100_000;
  for (let done = 0; done < rows; done += chunk) {
    const n = Math.min(chunk, rows - done);
    await pool.query(
      `INSERT INTO platform_logs (id, "timestamp", level, tenant_id, tenant_slug, user_id, request_id, trace_id,
                                  service, action, message, data, environment, error_signature)
       SELECT (lpad(to_hex(floor(extract(epoch FROM t) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 3)
               || '8' || substr(md5(random()::text), 1, 15))::uuid, -- a UUIDv7 of its time, as the logger makes them
              t, lvl, 'tenant-' || tn, 'shop-' || tn, 'user-' || floor(random() * 5000)::int,
              md5(random()::text), md5(random()::text),
              ${pickSql(['orchestrator', 'admin', 'storefront', 'creator-portal', 'mcp-server', 'inngest', 'webhook-handler'])},
              ${pickSql(['checkout.start', 'order.create', 'payment.capture', 'webhook.receive', 'job.run'])},
              ${pickSql(SUBJECTS)} || ' ' || ${pickSql(VERBS)} || ' ' || ${pickSql(OBJECTS)} || ' ' || floor(random() * 100000)::int,
              jsonb_build_object('attempt', floor(random() * 5)::int, 'durationMs', floor(random() * 3000)::int,
                                 'orderId', 'ord_' || floor(random() * 1000000)::int,
                                 'cart', jsonb_build_object('total', floor(random() * 50000)::int / 100.0,
                                                            'currency', (ARRAY['EUR', 'USD', 'GBP'])[1 + floor(random() * 3)::int])),
              'production',
              CASE WHEN lvl IN ('warn', 'error') THEN 'sig-' || floor(random() * 40)::int END
       FROM (
         SELECT now() - random() * interval '30 days' AS t,
                (1 + floor(power(random(), 2) * ${TENANTS}))::int AS tn,
                CASE WHEN r < 0.2 THEN 'debug' WHEN r < 0.85 THEN 'info' WHEN r < 0.95 THEN 'warn' ELSE 'error' END AS lvl
         FROM (SELECT random() AS r FROM generate_series(1, $1)) g
       ) s`,
      [n],
    );
    log(`  loaded ${(done + n).toLocaleString('en')} / ${rows.toLocaleString('en')} rows`);
  }
  await pool.query('ANALYZE platform_logs');
}

/** The filters as the route completes them: `to` is always set. */
const asRoute = (filters: LogFilters): LogFilters => ({ to: new Date(Date.now() + FUTURE_SKEW_MS), ...filters });

async function timeQuery(pool: pg.Pool, runs: number, filtersFor: (run: number) => LogFilters) {
  const times: number[] = [];
  let total = 0;
  await selectPage(pool, asRoute(filtersFor(-1)), 100); // warm the cache and the plan
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const page = await selectPage(pool, asRoute(filtersFor(run)), 100);
    times.push(performance.now() - started);
    total += page.entries.length;
  }
  times.sort((a, b) => a - b);
  return { p50Ms: percentile(times, 50), p95Ms: percentile(times, 95), meanRows: total / runs };
}

/** Rows and bytes of a stream of line chunks, timed from the first call to the last chunk. */
async function timeExport(chunks: () => AsyncIterable<Buffer>, headerLines = 0) {
  const started = performance.now();
  let lines = 0;
  let bytes = 0;
  for await (const chunk of chunks()) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    bytes += chunk.length;
  }
  const seconds = (performance.now() - started) / 1000;
  const rows = lines - headerLines;
  return { rows, rowsPerSecond: Math.round(rows / seconds), megabytes: Math.round((bytes / 1e6) * 10) / 10 };
}

/** The same rows straight out of PostgreSQL: COPY of the stored columns, nothing converted. */
async function* rawCopy(pool: pg.Pool, filters: LogFilters, maxRows: number): AsyncGenerator<Buffer> {
  const client = await pool.connect();
  try {
    yield* client.query(copyTo(exportCopySql(filters, maxRows, ENTRY_COLUMNS)));
  } finally {
    client.release();
  }
}

export async function runSearchBench(options: SearchBenchOptions): Promise<SearchBenchResult> {
  const log = options.log ?? (() => {});
  const schema = `bench_search_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: options.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const pool = new pg.Pool({ connectionString: withSearchPath(options.databaseUrl, schema), max: 2 });
  try {
    await migrate(pool);
    const now = new Date();
    await ensurePartitions(pool, new Date(now.getTime() - 31 * DAY_MS), now);
    await ensurePartitionsAhead(pool, now);
    log(`loading ${options.rows.toLocaleString('en')} rows into schema ${schema}…`);
    const loadStarted = performance.now();
    await load(pool, options.rows, log);
    const loadSeconds = (performance.now() - loadStarted) / 1000;

    const ago = (ms: number) => new Date(Date.now() - ms);
    const q = (text: string) => parseQuery(text, { now: new Date() }).root ?? undefined;
    const words = ['payment failed', 'checkout timed', 'webhook rejected', 'invoice retried', 'order cancelled'];
    const queries = [
      {
        name: 'tenant + 24h + two words',
        filters: (r: number) => ({
          tenantId: `tenant-${1 + (Math.abs(r) % 40)}`,
          from: ago(DAY_MS),
          query: q(words[Math.abs(r) % words.length]),
        }),
      },
      {
        name: 'all tenants + 7d + a word',
        filters: (r: number) => ({
          from: ago(7 * DAY_MS),
          query: q(['timed', 'gateway', 'payout', 'rejected'][Math.abs(r) % 4]),
        }),
      },
      {
        name: 'all tenants + 7d + a phrase',
        filters: (r: number) => ({ from: ago(7 * DAY_MS), query: q(`"${words[Math.abs(r) % words.length]}"`) }),
      },
      {
        name: 'tenant + 7d + rare word',
        filters: (r: number) => ({
          tenantId: `tenant-${100 + (Math.abs(r) % 300)}`,
          from: ago(7 * DAY_MS),
          query: q('payout cancelled'),
        }),
      },
      {
        name: 'filter only: error + service + 7d',
        filters: (r: number) => ({
          levels: ['error' as const],
          services: [['storefront', 'inngest', 'admin'][Math.abs(r) % 3]],
          from: ago(7 * DAY_MS),
        }),
      },
      { name: 'baseline: newest page, 24h, no other filter', filters: () => ({ from: ago(DAY_MS) }) },
      // the query language's data paths (goals at 10M rows: < 100 ms and < 300 ms p95)
      {
        name: 'tenant + 24h + data path equality',
        filters: (r: number) => ({
          tenantId: `tenant-${1 + (Math.abs(r) % 40)}`,
          from: ago(DAY_MS),
          query: q(`@orderId:ord_${Math.abs(r * 7919) % 1_000_000}`),
        }),
      },
      {
        name: 'all tenants + 7d + data path equality',
        filters: (r: number) => ({ from: ago(7 * DAY_MS), query: q(`@orderId:ord_${Math.abs(r * 7919) % 1_000_000}`) }),
      },
      {
        name: 'all tenants + 24h + data path comparison',
        filters: () => ({ from: ago(DAY_MS), query: q('@cart.total:>499') }),
      },
    ];
    const results: SearchBenchResult['queries'] = [];
    for (const query of queries) {
      const timing = await timeQuery(pool, options.runs, query.filters);
      results.push({ name: query.name, ...timing });
      log(`  ${query.name}: p50 ${timing.p50Ms.toFixed(1)} ms, p95 ${timing.p95Ms.toFixed(1)} ms`);
    }

    // facets and context (goals at 10M rows: facets over 24h, all tenants, < 300 ms p95; context < 50 ms)
    const timed = async (name: string, work: (run: number) => Promise<unknown>) => {
      await work(-1);
      const times: number[] = [];
      for (let run = 0; run < options.runs; run++) {
        const started = performance.now();
        await work(run);
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      results.push({ name, p50Ms: percentile(times, 50), p95Ms: percentile(times, 95), meanRows: NaN });
      log(`  ${name}: p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms`);
    };
    await timed('facet of service, all tenants, 24h', () =>
      getFacet(pool, asRoute({ from: ago(DAY_MS) }), parseField('service'), 10),
    );
    await timed('facet of a data path (@cart.currency), all tenants, 24h', () =>
      getFacet(pool, asRoute({ from: ago(DAY_MS) }), parseField('@cart.currency'), 10),
    );
    const { rows: anchors } = await pool.query<{ id: string }>(
      `SELECT id FROM platform_logs WHERE "timestamp" >= $1 LIMIT 100`,
      [ago(DAY_MS)],
    );
    await timed('context of an entry, 50 before and after, by tenant', (run) =>
      getContext(pool, anchors[Math.abs(run) % anchors.length].id, { before: 50, after: 50, by: 'tenant' }),
    );
    await timed('context of an entry, 50 before and after, by service', (run) =>
      getContext(pool, anchors[Math.abs(run) % anchors.length].id, { before: 50, after: 50, by: 'service' }),
    );

    const exportFilters = asRoute({ from: ago(31 * DAY_MS) });
    const maxRows = Math.min(options.exportRows, options.rows);
    const exportRuns = options.exportRuns ?? 3;
    // Every CSV record ends in CRLF (the synthetic fields hold none); the header is one more line.
    const runs = [
      {
        name: 'baseline: raw COPY of the same rows, text format, not converted',
        chunks: () => rawCopy(pool, exportFilters, maxRows),
        headerLines: 0,
      },
      {
        name: 'export ndjson',
        chunks: () => exportChunks(pool, exportFilters, { format: 'ndjson', maxRows }),
        headerLines: 0,
      },
      {
        name: 'export csv',
        chunks: () => exportChunks(pool, exportFilters, { format: 'csv', maxRows }),
        headerLines: 1,
      },
    ];
    // Interleaved rounds, each run's median: a shared machine's load falls on all of them alike.
    const timings = runs.map(() => [] as Awaited<ReturnType<typeof timeExport>>[]);
    for (let round = 0; round < exportRuns; round++) {
      for (const [i, run] of runs.entries()) timings[i].push(await timeExport(run.chunks, run.headerLines));
    }
    const baselineRate = median(timings[0].map((t) => t.rowsPerSecond));
    const exports: SearchBenchResult['export'] = runs.map((run, i) => {
      const rowsPerSecond = median(timings[i].map((t) => t.rowsPerSecond));
      return {
        ...timings[i][0],
        name: run.name,
        rowsPerSecond,
        ofBaseline: Math.round((rowsPerSecond / baselineRate) * 100) / 100,
      };
    });
    for (const e of exports)
      log(
        `  ${e.name}: ${e.rowsPerSecond.toLocaleString('en')} rows/s, ${e.ofBaseline} of baseline (${e.rows.toLocaleString('en')} rows, ${e.megabytes} MB)`,
      );
    return { rows: options.rows, loadSeconds, queries: results, export: exports };
  } finally {
    await pool.end();
    if (!options.keep) await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

function printTables(result: SearchBenchResult): void {
  console.log(
    `\nSearch, first page of 100 (${result.rows.toLocaleString('en')} rows, loaded in ${result.loadSeconds.toFixed(0)} s)`,
  );
  console.table(
    result.queries.map((q) => ({
      query: q.name,
      'p50 ms': +q.p50Ms.toFixed(1),
      'p95 ms': +q.p95Ms.toFixed(1),
      'rows/page': q.meanRows,
    })),
  );
  console.log('Export (goal > 100,000 rows/s)');
  console.table(
    result.export.map((e) => ({
      run: e.name,
      rows: e.rows,
      'rows/s': e.rowsPerSecond,
      'of baseline': e.ofBaseline,
      MB: e.megabytes,
    })),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000' },
      runs: { type: 'string', default: '20' },
      'export-rows': { type: 'string', default: '200000' },
      'export-runs': { type: 'string', default: '3' },
      keep: { type: 'boolean', default: false },
    },
  });
  const result = await runSearchBench({
    rows: Number(values.rows),
    runs: Number(values.runs),
    exportRows: Number(values['export-rows']),
    exportRuns: Number(values['export-runs']),
    keep: values.keep ?? false,
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    log: (line) => console.log(line),
  });
  printTables(result);
}
