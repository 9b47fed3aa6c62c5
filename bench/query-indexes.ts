/**
 * What the query language's storage costs on ingest: the stored word vector split on
 * punctuation (sql/013_search_words.sql) and the GIN jsonb_path_ops index on data
 * (sql/014_data_index.sql), against the table as it was (to_tsvector('simple', message)),
 * same run, same rows, interleaved rounds, through the PostgreSQL transport's own writes:
 * COPY in batches of 5,000 (a backlog) and INSERT … unnest in batches of 50 (the steady flow).
 *
 *   npx tsx bench/query-indexes.ts [--rows 100000] [--rounds 3] [--database-url postgres://…]
 *
 * Works in its own schema, dropped at the end. The entries are realistic in size: a message of
 * about 100 characters with a URL, data of a dozen keys with a nested array.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { migrate } from '../server/store/migrate.js';
import { ensurePartitions } from '../server/store/partitions.js';
import type { StoredLogEntry } from '../src/types.js';
import { copyDirect, insertUnnest } from '../transports/postgres-insert.js';
import { median } from './stats.js';

const VARIANTS = {
  /** The table before: PostgreSQL's parser, no index on data. */
  before: { search: `to_tsvector('simple', message)`, dataIndex: false },
  /** Words split on punctuation, no index on data. */
  words: { search: 'platform_log_search_vector(message)', dataIndex: false },
  /** What the migrations make now: words split on punctuation and the data index. */
  now: { search: 'platform_log_search_vector(message)', dataIndex: true },
  /** No word vector and no data index: the floor. */
  bare: { search: null, dataIndex: false },
} as const;
type Variant = keyof typeof VARIANTS;

const SERVICES = ['orchestrator', 'admin', 'storefront', 'creator-portal', 'mcp-server', 'inngest', 'webhook-handler'];
const HOSTS = ['api.payments.example.com', 'hooks.stripe.com', 'auth.internal.acme.io', 'cdn.storefront.example.org'];
const VERBS = ['answered', 'failed with', 'timed out after', 'retried', 'returned'];

function entry(i: number, now: number): StoredLogEntry {
  const items = Array.from({ length: 1 + (i % 3) }, (_, k) => ({
    sku: `SKU-${(i * 7 + k) % 5000}`,
    qty: 1 + ((i + k) % 4),
    price: ((i * 13 + k) % 9000) / 100,
  }));
  return {
    id: uuidv7(),
    timestamp: new Date(now - (i % 3_600_000)).toISOString(),
    level: (['info', 'info', 'info', 'warn', 'error', 'debug'] as const)[i % 6],
    tenantId: `tenant-${i % 200}`,
    tenantSlug: `slug-${i % 200}`,
    userId: `user-${i % 5000}`,
    sessionId: `sess-${i % 20000}`,
    impersonatorId: null,
    requestId: `req-${Math.floor(i / 5)}`,
    traceId: `trace-${Math.floor(i / 5)}`,
    spanId: `span-${i}`,
    service: SERVICES[i % SERVICES.length],
    action: 'checkout.charge',
    file: 'src/payments/charge.ts',
    line: 100 + (i % 50),
    function: 'chargeCard',
    message: `POST https://${HOSTS[i % HOSTS.length]}/v1/charges/ch_${i} ${VERBS[i % VERBS.length]} ${200 + (i % 300)} in ${i % 900} ms for order ord_${i}`,
    data: {
      orderId: `ord_${i}`,
      cart: { total: ((i * 31) % 100000) / 100, currency: i % 3 ? 'EUR' : 'USD', items },
      customer: { id: `cus_${i % 5000}`, country: ['DE', 'FR', 'US', 'GB'][i % 4], vip: i % 10 === 0 },
      durationMs: i % 900,
      attempt: 1 + (i % 3),
      path: `/api/orders/${i % 1000}/charge`,
    },
    errorType: i % 6 === 4 ? 'CardDeclinedError' : null,
    errorCode: i % 6 === 4 ? 'card_declined' : null,
    errorStack: null,
    environment: 'production',
    version: '1.4.2',
    region: 'eu-west-1',
    errorSignature: null,
    messageTemplate: null,
  };
}

async function configure(client: pg.ClientBase, variant: Variant): Promise<void> {
  const { search, dataIndex } = VARIANTS[variant];
  await client.query('TRUNCATE platform_logs');
  await client.query('DROP INDEX IF EXISTS platform_logs_data_idx');
  await client.query('ALTER TABLE platform_logs DROP COLUMN IF EXISTS search');
  if (search) {
    await client.query(`ALTER TABLE platform_logs ADD COLUMN search tsvector GENERATED ALWAYS AS (${search}) STORED`);
    await client.query('CREATE INDEX platform_logs_search_idx ON platform_logs USING gin (search)');
  }
  if (dataIndex)
    await client.query('CREATE INDEX platform_logs_data_idx ON platform_logs USING gin (data jsonb_path_ops)');
  await client.query('VACUUM platform_logs');
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export interface QueryIndexBenchResult {
  rows: number;
  unnestRows: number;
  /** Median rows/s per variant: COPY batches of 5,000 and INSERT … unnest batches of 50. */
  copy: Record<Variant, number>;
  unnest: Record<Variant, number>;
  /** The best run of each: on a shared machine, the one least disturbed by others' work. */
  copyBest: Record<Variant, number>;
  unnestBest: Record<Variant, number>;
  copyRuns: Record<Variant, number[]>;
  unnestRuns: Record<Variant, number[]>;
}

export async function runQueryIndexBench(options: {
  rows: number;
  rounds: number;
  databaseUrl: string;
  log?: (line: string) => void;
}): Promise<QueryIndexBenchResult> {
  const log = options.log ?? (() => {});
  const schema = `bench_qi_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: options.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(options.databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
  const variants = Object.keys(VARIANTS) as Variant[];
  const copyRuns = Object.fromEntries(variants.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
  const unnestRuns = Object.fromEntries(variants.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
  const unnestRows = Math.min(options.rows, 20_000);
  try {
    await migrate(pool);
    const now = Date.now();
    await ensurePartitions(pool, new Date(now - 2 * 86_400_000), new Date(now + 86_400_000));
    const entries = Array.from({ length: options.rows }, (_, i) => entry(i, now));
    const client = await pool.connect();
    try {
      for (let round = 0; round < options.rounds; round++) {
        // a different order each round, so that no variant always runs first or last
        const order = variants.map((_, i) => variants[(i + round) % variants.length]);
        for (const variant of order) {
          await configure(client, variant);
          const copySeconds = await timed(async () => {
            for (let i = 0; i < entries.length; i += 5_000)
              await copyDirect(client, entries.slice(i, i + 5_000), schema);
          });
          await configure(client, variant);
          const unnestSeconds = await timed(async () => {
            for (let i = 0; i < unnestRows; i += 50) await insertUnnest(client, entries.slice(i, i + 50), schema);
          });
          copyRuns[variant].push(entries.length / copySeconds);
          unnestRuns[variant].push(unnestRows / unnestSeconds);
          log(
            `  round ${round + 1} ${variant}: COPY ${Math.round(entries.length / copySeconds)} rows/s, unnest ${Math.round(unnestRows / unnestSeconds)} rows/s`,
          );
        }
      }
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
  const medians = (runs: Record<Variant, number[]>) =>
    Object.fromEntries(variants.map((v) => [v, median(runs[v])])) as Record<Variant, number>;
  const bests = (runs: Record<Variant, number[]>) =>
    Object.fromEntries(variants.map((v) => [v, Math.max(...runs[v])])) as Record<Variant, number>;
  return {
    rows: options.rows,
    unnestRows,
    copy: medians(copyRuns),
    unnest: medians(unnestRuns),
    copyBest: bests(copyRuns),
    unnestBest: bests(unnestRuns),
    copyRuns,
    unnestRuns,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { rows: { type: 'string' }, rounds: { type: 'string' }, 'database-url': { type: 'string' } },
  });
  const result = await runQueryIndexBench({
    rows: Number(values.rows ?? 100_000),
    rounds: Number(values.rounds ?? 3),
    databaseUrl: values['database-url'] ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    log: console.log,
  });
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  console.table(
    (Object.keys(VARIANTS) as Variant[]).map((variant) => ({
      table: variant,
      'COPY 5,000: median rows/s': Math.round(result.copy[variant]),
      'vs before': ratio(result.copy[variant], result.copy.before),
      'best rows/s': Math.round(result.copyBest[variant]),
      'best vs before': ratio(result.copyBest[variant], result.copyBest.before),
      'unnest 50: median rows/s': Math.round(result.unnest[variant]),
      'vs before ': ratio(result.unnest[variant], result.unnest.before),
      'best rows/s ': Math.round(result.unnestBest[variant]),
      'best vs before ': ratio(result.unnestBest[variant], result.unnestBest.before),
    })),
  );
}
