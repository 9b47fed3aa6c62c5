/**
 * Alerts benchmark: one evaluation run of R rules over N entries, as the minute's cron or timer
 * makes it, beside the simplest way to do the same counting (one plain count(*) per rule, one
 * after another, on one connection) in the same run.
 *
 *   npx tsx bench/alerts.ts [--rows 100000] [--rules 1000] [--days 7] [--runs 3]
 *
 * The entries spread over the last `days` up to now (500 tenants, 7 services, a vocabulary of 60
 * words, a quarter warn or error with one of 300 signatures). The rules: 60% platform-wide count
 * rules on one or two words, 25% tenant count rules on a word, 10% level-only count rules, 5%
 * new-error-group rules; windows of 1, 5 or 15 minutes. They are muted, so that the run measures
 * evaluation and not webhooks. Works in a schema of its own, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { latestWindowEnd, runAlerts } from '../server/alerts/evaluate.js';
import { confinedRuleFilters, type RuleDefinition } from '../server/alerts/rules.js';
import { loadSecretBox } from '../server/alerts/secrets.js';
import { insertRule } from '../server/alerts/store.js';
import { whereClause } from '../server/store/filters.js';
import { migrate } from '../server/store/migrate.js';
import { ensurePartitions } from '../server/store/partitions.js';
import { percentile } from './stats.js';

const DAY = 86_400_000;
const MINUTE = 60_000;
const WORDS = Array.from({ length: 60 }, (_, i) => `w${i.toString(36)}${'abcdefghij'[i % 10]}`);

export interface AlertsBenchOptions {
  rows?: number;
  rules?: number;
  days?: number;
  runs?: number;
  databaseUrl?: string;
}

export interface AlertsBenchResult {
  rows: number;
  rules: number;
  days: number;
  rowsPerMinute: number;
  firstRunMs: number;
  steady: { p50Ms: number; maxMs: number; perRuleMs: number };
  catchUpHourMs: number;
  baseline: { p50Ms: number; perRuleMs: number };
}

function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

async function load(pool: pg.Pool, rows: number, days: number, now: number): Promise<void> {
  const perDay = Math.ceil(rows / days);
  for (let day = 0; day < days; day++) {
    const count = Math.min(perDay, rows - day * perDay);
    if (count <= 0) break;
    await pool.query(
      `INSERT INTO platform_logs (id, "timestamp", level, tenant_id, service, message, environment, error_signature, message_template, version)
       SELECT gen_random_uuid(), $1::timestamptz - ($3::int + random()) * interval '1 day',
              lv, 't' || floor(random() * 500)::int,
              (ARRAY['orchestrator','admin','storefront','creator-portal','mcp-server','inngest','webhook-handler'])[1 + floor(random() * 7)::int],
              ($4::text[])[1 + floor(power(random(), 2) * 60)::int] || ' ' || ($4::text[])[1 + floor(random() * 60)::int] || ' request ' || g,
              'bench',
              CASE WHEN lv IN ('warn', 'error') THEN lpad(to_hex(floor(power(random(), 3) * 300)::int), 16, '0') END,
              'message <NUM>', '1.' || floor(random() * 5)::int || '.0'
       FROM (SELECT g, CASE WHEN random() < 0.1 THEN 'error' WHEN random() < 0.17 THEN 'warn' WHEN random() < 0.6 THEN 'info' ELSE 'debug' END AS lv
             FROM generate_series(1, $2::int) g) src`,
      [new Date(now), count, day, WORDS],
    );
    process.stderr.write(`\rloading: day ${day + 1}/${days}`);
  }
  process.stderr.write('\n');
  await pool.query('VACUUM ANALYZE platform_logs');
}

async function makeRules(pool: pg.Pool, count: number): Promise<void> {
  const box = await loadSecretBox(pool, undefined);
  const webhook = {
    format: 'json' as const,
    sealedUrl: box.seal('https://hooks.example.com/bench'),
    origin: 'https://hooks.example.com',
    sealedSecret: box.seal('whsec_bench_secret_0123456789'),
  };
  const windows = [60, 300, 900];
  for (let i = 0; i < count; i++) {
    const share = i % 20;
    const word = WORDS[i % WORDS.length];
    const base = {
      name: `rule ${i}`,
      quietSeconds: null,
      muted: true,
      snoozedUntil: null,
      windowSeconds: windows[i % 3],
      condition: 'above' as const,
      threshold: 5,
    };
    let definition: RuleDefinition;
    let tenantId: string | null = null;
    if (share < 12)
      definition = {
        ...base,
        kind: 'count' as const,
        query: share % 2 ? `${word} ${WORDS[(i * 7) % WORDS.length]}` : word,
        filters: {},
      };
    else if (share < 17) {
      definition = { ...base, kind: 'count' as const, query: word, filters: {} };
      tenantId = `t${i % 500}`;
    } else if (share < 19) definition = { ...base, kind: 'count' as const, query: '', filters: { level: ['error'] } };
    else
      definition = {
        ...base,
        kind: 'new_group' as const,
        query: '',
        filters: {},
        windowSeconds: null,
        condition: null,
        threshold: null,
      };
    await insertRule(pool, { definition, tenantId, webhook });
  }
}

/** The simplest way to count every count rule's latest window: one count(*) per rule, in turn. */
async function baselineCounts(pool: pg.Pool, latest: number): Promise<number> {
  const { rows: rules } = await pool.query(
    `SELECT query, filters, tenant_id, window_seconds FROM platform_log_alert_rules WHERE kind = 'count'`,
  );
  const client = await pool.connect();
  const start = performance.now();
  try {
    for (const rule of rules) {
      const filters = confinedRuleFilters(
        { query: rule.query, filters: rule.filters, tenantId: rule.tenant_id },
        { from: new Date(latest - rule.window_seconds * 1000), to: new Date(latest) },
        new Date(),
      );
      if (!filters) continue;
      const params: unknown[] = [];
      await client.query(`SELECT count(*) FROM platform_logs ${whereClause(filters, params)}`, params);
    }
  } finally {
    client.release();
  }
  return performance.now() - start;
}

export async function runAlertsBench(options: AlertsBenchOptions = {}): Promise<AlertsBenchResult> {
  const rows = options.rows ?? 100_000;
  const ruleCount = options.rules ?? 1_000;
  const days = options.days ?? 7;
  const runs = options.runs ?? 3;
  const baseUrl = options.databaseUrl ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const schema = `bench_alerts_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const pool = new pg.Pool({ connectionString: withSearchPath(baseUrl, schema), max: 10 });
  try {
    await migrate(pool);
    const now = Date.now();
    await ensurePartitions(pool, new Date(now - (days + 1) * DAY), new Date(now + 2 * DAY));
    await load(pool, rows, days, now);
    await makeRules(pool, ruleCount);

    const run = async (at: number) => {
      const report = await runAlerts({ pool, now: () => new Date(at), delayMs: 0 });
      if (report.failed > 0) throw new Error(`${report.failed} rules failed`);
      return report.durationMs;
    };
    const latest = latestWindowEnd(new Date(now), MINUTE, 0);
    process.stderr.write('first run (error-group baselines)…\n');
    const firstRunMs = await run(now);

    const steadyTimes: number[] = [];
    for (let i = 0; i < runs; i++) {
      await pool.query('UPDATE platform_log_alert_rules SET evaluated_through = $1', [new Date(latest - MINUTE)]);
      steadyTimes.push(await run(now));
    }
    await pool.query('UPDATE platform_log_alert_rules SET evaluated_through = $1', [new Date(latest - 60 * MINUTE)]);
    const catchUpHourMs = await run(now);

    const baselineTimes: number[] = [];
    for (let i = 0; i < runs; i++) baselineTimes.push(await baselineCounts(pool, latest));

    steadyTimes.sort((a, b) => a - b);
    baselineTimes.sort((a, b) => a - b);
    const steadyP50 = percentile(steadyTimes, 50);
    const baselineP50 = percentile(baselineTimes, 50);
    return {
      rows,
      rules: ruleCount,
      days,
      rowsPerMinute: Math.round(rows / (days * 1440)),
      firstRunMs,
      steady: { p50Ms: steadyP50, maxMs: steadyTimes[steadyTimes.length - 1], perRuleMs: steadyP50 / ruleCount },
      catchUpHourMs,
      baseline: { p50Ms: baselineP50, perRuleMs: baselineP50 / Math.round(ruleCount * 0.95) },
    };
  } finally {
    await pool.end();
    for (const level of ['debug', 'info', 'warn', 'error'])
      await admin.query(`DROP TABLE IF EXISTS ${schema}.platform_logs_${level} CASCADE`);
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
  const result = await runAlertsBench({
    rows: flag('rows'),
    rules: flag('rules'),
    days: flag('days'),
    runs: flag('runs'),
  });
  console.log(
    `\nalerts: ${result.rules} rules over ${result.rows.toLocaleString('en-US')} entries in ${result.days} days (about ${result.rowsPerMinute} a minute)`,
  );
  console.table([
    { run: 'first run (learns error-group baselines)', ms: Math.round(result.firstRunMs) },
    {
      run: 'steady run, one window per rule (p50)',
      ms: Math.round(result.steady.p50Ms),
      'ms per rule': result.steady.perRuleMs.toFixed(2),
    },
    { run: 'steady run (slowest)', ms: Math.round(result.steady.maxMs) },
    { run: 'catch-up of an hour (60 windows per rule)', ms: Math.round(result.catchUpHourMs) },
    {
      run: 'baseline: one count(*) per count rule, in turn (p50)',
      ms: Math.round(result.baseline.p50Ms),
      'ms per rule': result.baseline.perRuleMs.toFixed(2),
    },
  ]);
}
