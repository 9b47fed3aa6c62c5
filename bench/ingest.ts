/**
 * Ingest benchmark: end-to-end entries/s (pino logger calls -> transport worker -> committed
 * rows) against a raw COPY of the same rows into the same table (the limit), INSERT … unnest
 * against COPY + staging per batch size, and what the full-text column and index cost.
 *
 *   npx tsx bench/ingest.ts [--rows 100000] [--database-url postgres://…]
 *
 * Needs the compiled transports (npm run build:lib). Works in its own schema, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import pino from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { migrate } from '../server/store/migrate.js';
import { ensurePartitionsAhead } from '../server/store/partitions.js';
import { transportModulePath } from '../src/transport-targets.js';
import { LOG_LEVELS, type LogEntry, type StoredLogEntry } from '../src/types.js';
import { normalizeEntry } from '../transports/normalize-entry.js';
import { copyRaw, insertUnnest, insertViaCopy } from '../transports/postgres-insert.js';

export interface IngestBenchOptions {
  rows?: number;
  databaseUrl?: string;
  /** Batch sizes for the INSERT … unnest vs COPY comparison. */
  batchSizes?: number[];
}

export interface IngestBenchResult {
  rows: number;
  rawCopyPerSecond: number;
  endToEndPerSecond: number;
  perBatchSize: { batchSize: number; unnestPerSecond: number; copyStagingPerSecond: number }[];
  fullText: { withPerSecond: number; withoutPerSecond: number };
}

const SERVICES = ['orchestrator', 'admin', 'storefront', 'creator-portal', 'mcp-server', 'inngest', 'webhook-handler'];
const WORDS = ['request', 'served', 'cache', 'miss', 'upstream', 'timeout', 'payment', 'declined', 'user', 'signed', 'order', 'created'];

function sampleEntry(i: number, now: number): LogEntry {
  return {
    id: uuidv7(),
    timestamp: new Date(now - (i % 3_600_000)).toISOString(),
    level: LOG_LEVELS[i % 10 === 0 ? 3 : i % 5 === 0 ? 2 : 1],
    tenantId: `tenant-${i % 200}`,
    tenantSlug: `slug-${i % 200}`,
    userId: `user-${i % 5000}`,
    sessionId: null,
    impersonatorId: null,
    requestId: `req-${Math.floor(i / 5)}`,
    traceId: `trace-${Math.floor(i / 5)}`,
    spanId: null,
    service: SERVICES[i % SERVICES.length],
    action: 'bench.run',
    file: 'src/handler.ts',
    line: 100 + (i % 50),
    function: 'handle',
    message: `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} ${WORDS[(i * 3) % WORDS.length]} ${i}`,
    data: { i, path: `/api/items/${i % 1000}`, durationMs: i % 300 },
    errorType: null,
    errorCode: null,
    errorStack: null,
    environment: 'production',
    version: '1.0.0',
    region: 'eu-west-1',
  };
}

function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function inBatches(entries: StoredLogEntry[], size: number, write: (batch: StoredLogEntry[]) => Promise<unknown>) {
  for (let i = 0; i < entries.length; i += size) await write(entries.slice(i, i + size));
}

async function count(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM platform_logs');
  return rows[0].n;
}

/** Logger calls through pino.transport into the worker, timed until every row is committed. */
async function endToEnd(pool: pg.Pool, connectionString: string, wire: LogEntry[]): Promise<number> {
  // a buffer as large as the run, so that the pipeline's sustained throughput is measured rather than its drops
  const transport = pino.transport({ target: transportModulePath('postgres'), options: { connectionString, maxBufferedEntries: wire.length } });
  await once(transport, 'ready');
  const logger = pino(
    { base: null, messageKey: 'message', timestamp: false, formatters: { level: (label) => ({ level: label }) } },
    transport,
  );
  const seconds = await timed(async () => {
    for (let i = 0; i < wire.length; i++) {
      const { level, message, ...fields } = wire[i];
      logger[level](fields, message);
      if (i % 1_000 === 999) await new Promise(setImmediate);
    }
    while ((await count(pool)) < wire.length) await new Promise((resolve) => setTimeout(resolve, 20));
  });
  transport.end();
  await once(transport, 'close');
  return wire.length / seconds;
}

export async function runIngestBench(options: IngestBenchOptions = {}): Promise<IngestBenchResult> {
  const rows = options.rows ?? 100_000;
  const baseUrl = options.databaseUrl ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const batchSizes = options.batchSizes ?? [50, 500, 2_000, 5_000];
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const connectionString = withSearchPath(baseUrl, schema);
  const pool = new pg.Pool({ connectionString, max: 2 });
  try {
    await migrate(pool);
    await ensurePartitionsAhead(pool);
    const now = Date.now();
    const wire = Array.from({ length: rows }, (_, i) => sampleEntry(i, now));
    const stored = wire.map((entry) => normalizeEntry(entry as unknown as Record<string, unknown>));
    const truncate = () => pool.query('TRUNCATE platform_logs');
    const client = await pool.connect();
    try {
      await truncate();
      const rawSeconds = await timed(() => inBatches(stored, 10_000, (batch) => copyRaw(client, batch)));
      await truncate();
      const endToEndPerSecond = await endToEnd(pool, connectionString, wire);

      const sample = stored.slice(0, Math.min(rows, 20_000));
      const perBatchSize = [];
      for (const batchSize of batchSizes) {
        await truncate();
        const unnest = await timed(() => inBatches(sample, batchSize, (batch) => insertUnnest(client, batch)));
        await truncate();
        const staging = await timed(() => inBatches(sample, batchSize, (batch) => insertViaCopy(client, batch)));
        perBatchSize.push({ batchSize, unnestPerSecond: sample.length / unnest, copyStagingPerSecond: sample.length / staging });
      }

      await truncate();
      const withSeconds = await timed(() => inBatches(stored, 2_000, (batch) => insertUnnest(client, batch)));
      await truncate();
      await client.query('DROP INDEX platform_logs_search_idx');
      await client.query('ALTER TABLE platform_logs DROP COLUMN search');
      const withoutSeconds = await timed(() => inBatches(stored, 2_000, (batch) => insertUnnest(client, batch)));

      return {
        rows,
        rawCopyPerSecond: rows / rawSeconds,
        endToEndPerSecond,
        perBatchSize,
        fullText: { withPerSecond: rows / withSeconds, withoutPerSecond: rows / withoutSeconds },
      };
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

const perSecond = (n: number) => Math.round(n).toLocaleString('en-US');

export function printIngestBench(result: IngestBenchResult): void {
  console.log(`\nIngest into platform_logs, ${result.rows.toLocaleString('en-US')} rows`);
  console.table([
    { path: 'raw COPY (limit)', 'rows/s': perSecond(result.rawCopyPerSecond), 'x raw COPY': '1.00' },
    {
      path: 'end to end (logger -> worker -> rows)',
      'rows/s': perSecond(result.endToEndPerSecond),
      'x raw COPY': (result.endToEndPerSecond / result.rawCopyPerSecond).toFixed(2),
    },
  ]);
  console.log('One batch per statement, sequential:');
  console.table(
    result.perBatchSize.map((r) => ({
      'batch size': r.batchSize,
      'INSERT unnest rows/s': perSecond(r.unnestPerSecond),
      'COPY + staging rows/s': perSecond(r.copyStagingPerSecond),
      'unnest / COPY': (r.unnestPerSecond / r.copyStagingPerSecond).toFixed(2),
    })),
  );
  console.log('Full-text search column and GIN index (INSERT unnest, batches of 2,000):');
  console.table([
    { table: 'with tsvector + GIN', 'rows/s': perSecond(result.fullText.withPerSecond) },
    { table: 'without', 'rows/s': perSecond(result.fullText.withoutPerSecond) },
    { table: 'cost', 'rows/s': `${(100 * (1 - result.fullText.withPerSecond / result.fullText.withoutPerSecond)).toFixed(0)}% slower` },
  ]);
}

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = argument('rows');
  runIngestBench({ rows: rows ? Number(rows) : undefined, databaseUrl: argument('database-url') })
    .then(printIngestBench)
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    });
}
