/**
 * Error aggregation benchmark: generalizeMessage throughput against trivial baselines in the
 * same run, and the latency of the aggregates query over N error entries across 30 days,
 * read from the entries (the reference) and through the error rollup, in the same run.
 *
 *   npx tsx bench/aggregates.ts [--rows 200000] [--runs 15]
 *
 * Loads its data with generate_series, one statement per day (the rollup trigger runs once
 * per statement), into a schema of its own, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { generalizeMessage } from '../src/error-aggregation.js';
import { getErrorAggregates, type AggregateFilters, type AggregateOptions } from '../server/store/aggregates.js';
import { migrate } from '../server/store/migrate.js';
import { ensurePartitions } from '../server/store/partitions.js';
import { LABELLED_TEMPLATES } from '../test/fixtures/log-templates.js';
import { percentile } from './stats.js';

export interface AggregatesBenchOptions {
  rows?: number;
  runs?: number;
  databaseUrl?: string;
}

const DAY = 86_400_000;
const MESSAGES = LABELLED_TEMPLATES.flatMap((t) => t.lines);

function perSecond(fn: (message: string) => unknown, ms = 1_500): number {
  let done = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < MESSAGES.length; i++) fn(MESSAGES[i] + done);
    done += MESSAGES.length;
  }
  return done / ((performance.now() - start) / 1000);
}

function printTable(title: string, rows: Record<string, string | number>[]): void {
  console.log(`\n${title}`);
  console.table(rows);
}

function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

async function loadErrors(pool: pg.Pool, rows: number, to: Date): Promise<void> {
  const days = 30;
  for (let day = 0; day < days; day++) {
    const dayRows = Math.floor(rows / days) + (day < rows % days ? 1 : 0);
    // 300 signatures with a skewed frequency, 50 tenants, 1,000 users, 7 services, 70% error;
    // one day per statement, so that each statement writes to the same few partitions
    await pool.query(
      `INSERT INTO platform_logs (id, "timestamp", level, tenant_id, user_id, service, message, error_type,
         environment, error_signature, message_template)
       SELECT gen_random_uuid(), $1::timestamptz - ($3::int + random()) * interval '1 day',
              CASE WHEN random() < 0.7 THEN 'error' ELSE 'warn' END,
              't' || floor(random() * 50)::int, 'u' || floor(random() * 1000)::int,
              (ARRAY['orchestrator','admin','storefront','creator-portal','mcp-server','inngest','webhook-handler'])[1 + floor(random() * 7)::int],
              'failure ' || g, 'Error', 'bench', lpad(to_hex(s), 16, '0'), 'Failure <NUM> in step ' || s
       FROM (SELECT g, floor(power(random(), 3) * 300)::int AS s FROM generate_series(1, $2::int) g) src`,
      [to, dayRows, day],
    );
    process.stderr.write(`\rloading: day ${day + 1}/${days}`);
  }
  process.stderr.write('\n');
  await pool.query('VACUUM ANALYZE platform_logs');
  await pool.query('VACUUM ANALYZE platform_log_error_rollup');
}

async function latency(
  pool: pg.Pool,
  filters: AggregateFilters,
  options: AggregateOptions,
  runs: number,
): Promise<{ p50: number; p95: number; groups: number }> {
  const times: number[] = [];
  let groups = 0;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    groups = (await getErrorAggregates(pool, filters, options)).groups.length;
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), groups };
}

export interface AggregatesBenchResult {
  rows: number;
  runs: number;
  /** Labelled lines each function ran over. */
  messages: number;
  /** Messages per second on one core. */
  templates: { identity: number; oneRegex: number; generalizeMessage: number };
  /** Each view read from the entries (the reference) and through the rollup. */
  views: { view: string; source: 'entries' | 'rollup'; groups: number; p50Ms: number; p95Ms: number }[];
}

export async function runAggregatesBench(options: AggregatesBenchOptions = {}): Promise<AggregatesBenchResult> {
  const rows = options.rows ?? 200_000;
  const runs = options.runs ?? 15;
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

  const identity = perSecond((m) => m);
  const oneRegex = perSecond((m) => m.replace(/\d+/g, '<NUM>'));
  const generalize = perSecond(generalizeMessage);

  const schema = `bench_aggregates_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const pool = new pg.Pool({ connectionString: withSearchPath(databaseUrl, schema), max: 4 });
  try {
    const to = new Date();
    await migrate(pool);
    await ensurePartitions(pool, new Date(to.getTime() - 31 * DAY), new Date(to.getTime() + DAY));
    const loadStart = performance.now();
    await loadErrors(pool, rows, to);
    console.error(
      `\nloaded ${rows} error/warn entries over 30 days in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`,
    );

    const month = { from: new Date(to.getTime() - 30 * DAY), to };
    const day = { from: new Date(to.getTime() - DAY), to };
    const views: [string, AggregateFilters][] = [
      ['30 days, all tenants, by count', { ...month }],
      ['30 days, all tenants, by last seen', { ...month, sort: 'lastSeen' }],
      ['30 days, one tenant', { ...month, tenantId: 't7' }],
      ['24 hours, all tenants', { ...day }],
    ];
    const { rows: size } = await pool.query<{ rows: string; bytes: string }>(
      `SELECT (SELECT count(*) FROM platform_log_error_rollup) AS rows,
              pg_size_pretty(sum(pg_total_relation_size(relid))) AS bytes
       FROM pg_partition_tree('platform_log_error_rollup')`,
    );
    console.error(`error rollup: ${size[0].rows} rows, ${size[0].bytes}`);
    const results: AggregatesBenchResult['views'] = [];
    for (const [view, filters] of views) {
      for (const [source, options] of [
        ['entries', { useRollup: false }],
        ['rollup', {}],
      ] as const) {
        const { p50, p95, groups } = await latency(pool, filters, options, runs);
        results.push({ view, source, groups, p50Ms: p50, p95Ms: p95 });
      }
    }
    return {
      rows,
      runs,
      messages: MESSAGES.length,
      templates: { identity, oneRegex, generalizeMessage: generalize },
      views: results,
    };
  } finally {
    await pool.end();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

function flag(name: string): number | undefined {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return undefined;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} takes a positive whole number`);
  return value;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await runAggregatesBench({ rows: flag('rows'), runs: flag('runs') });
  printTable(`generalizeMessage over ${result.messages} labelled lines (messages/s, one core)`, [
    { function: 'identity (baseline)', 'messages/s': Math.round(result.templates.identity) },
    { function: 'one regex replace (baseline)', 'messages/s': Math.round(result.templates.oneRegex) },
    { function: 'generalizeMessage', 'messages/s': Math.round(result.templates.generalizeMessage) },
  ]);
  printTable(
    `aggregates query over ${result.rows} entries (${result.runs} runs each, limit 50, 24 trend buckets)`,
    result.views.map(({ view, source, groups, p50Ms, p95Ms }) => ({
      view,
      source,
      groups,
      'p50 ms': p50Ms.toFixed(1),
      'p95 ms': p95Ms.toFixed(1),
    })),
  );
}
