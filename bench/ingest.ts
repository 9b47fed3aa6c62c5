/**
 * Ingest benchmark: end-to-end entries/s against a raw COPY of the same rows into the same
 * table (the limit), INSERT … unnest against COPY + staging per batch size, and what the
 * full-text column and index cost.
 *
 * - raw COPY: one COPY statement of the pre-built stored rows (encoded to COPY text as it
 *   streams), run before and after the end-to-end run; the faster of the two is the baseline.
 * - end to end: plain pino (the wire format's keys, no caller location: the rows are the
 *   pre-built ones) calling into pino.transport -> the postgres transport worker -> committed
 *   rows, timed from the first call until the transport's NOTIFY notices have announced every
 *   row. The notices give the batch sizes actually written. The table's content is checked
 *   to be identical to the raw COPY's. PlatformLogger's own cost is bench/logger.ts's.
 *
 *   npx tsx bench/ingest.ts [--rows 100000] [--end-to-end-only] [--profile-worker DIR] [--database-url postgres://…]
 *
 * Needs the compiled transports (npm run build:lib). Works in its own schema, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import pino from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { migrate } from '../server/store/migrate.js';
import { ensurePartitionsAhead } from '../server/store/partitions.js';
import { transportModulePath } from '../src/transport-targets.js';
import { LOG_LEVELS, type LogEntry, type StoredLogEntry } from '../src/types.js';
import { normalizeEntry } from '../transports/normalize-entry.js';
import { ENTRY_COLUMNS } from '../src/entry-fields.js';
import { COPY_FROM_ROWS, copyDirect, copyText, insertUnnest, insertViaCopy } from '../transports/postgres-insert.js';

export interface IngestBenchOptions {
  rows?: number;
  databaseUrl?: string;
  /** Batch sizes for the INSERT … unnest vs COPY comparison. */
  batchSizes?: number[];
  /** Only raw COPY and end to end (no statement or full-text comparison). */
  endToEndOnly?: boolean;
  /** Writes a CPU profile of the transport worker into this directory. */
  profileWorkerDir?: string;
}

/** The batches the transport wrote during the end-to-end run, from its notices. */
export interface WrittenBatches {
  count: number;
  mean: number;
  median: number;
  max: number;
  /** Share of the rows written by COPY (batches of COPY_FROM_ROWS or more). */
  copyShare: number;
}

export interface IngestBenchResult {
  rows: number;
  /** The faster of the two raw COPY runs. */
  rawCopyPerSecond: number;
  rawCopyRunsPerSecond: [before: number, after: number];
  endToEndPerSecond: number;
  /** How long the logger calls themselves took, of the end-to-end time. */
  callsSeconds: number;
  batches: WrittenBatches;
  perBatchSize: { batchSize: number; unnestPerSecond: number; copyStagingPerSecond: number; copyDirectPerSecond: number }[];
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

/** One COPY statement of every row, encoded in chunks as the stream drains. */
async function copyRaw(client: pg.ClientBase, entries: StoredLogEntry[]): Promise<void> {
  const stream = client.query(copyFrom(`COPY platform_logs (${ENTRY_COLUMNS}) FROM STDIN`));
  for (let i = 0; i < entries.length; i += 10_000) {
    if (!stream.write(copyText(entries.slice(i, i + 10_000)))) await once(stream, 'drain');
  }
  stream.end();
  await finished(stream);
}

/** The table's rows, as a count and an order-independent digest of every column. */
async function tableDigest(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query('SELECT count(*) AS n, sum(hashtextextended(t::text, 0)::numeric) AS digest FROM platform_logs t');
  return `${rows[0].n}:${rows[0].digest}`;
}

function summarize(sizes: number[]): WrittenBatches {
  const sorted = [...sizes].sort((a, b) => a - b);
  const total = sorted.reduce((sum, n) => sum + n, 0);
  return {
    count: sorted.length,
    mean: total / sorted.length,
    median: sorted[Math.floor(sorted.length / 2)],
    max: sorted[sorted.length - 1],
    copyShare: sorted.filter((n) => n >= COPY_FROM_ROWS).reduce((sum, n) => sum + n, 0) / total,
  };
}

/** Listens on `channel` for the transport's batch notices; `all` resolves with the batch sizes once `rows` rows were announced. */
async function listenForBatches(connectionString: string, channel: string, rows: number) {
  const listener = new pg.Client({ connectionString });
  await listener.connect();
  await listener.query(`LISTEN ${channel}`);
  const sizes: number[] = [];
  let announced = 0;
  const all = new Promise<number[]>((resolve) => {
    listener.on('notification', ({ payload }) => {
      sizes.push(Number(payload));
      announced += Number(payload);
      if (announced >= rows) resolve(sizes);
    });
  });
  return { all, end: () => listener.end() };
}

/** Logger calls through pino.transport into the worker, timed until every row is committed. */
async function endToEnd(connectionString: string, wire: LogEntry[], profileWorkerDir?: string) {
  const channel = `bench_${randomBytes(4).toString('hex')}`;
  const notices = await listenForBatches(connectionString, channel, wire.length);
  // a buffer as large as the run, so that the pipeline's sustained throughput is measured rather than its drops
  const transport = pino.transport({
    target: transportModulePath('postgres'),
    options: { connectionString, notifyChannel: channel, maxBufferedEntries: wire.length },
    worker: profileWorkerDir ? { execArgv: ['--cpu-prof', '--cpu-prof-dir', profileWorkerDir] } : undefined,
  });
  await once(transport, 'ready');
  const logger = pino(
    { base: null, messageKey: 'message', timestamp: false, formatters: { level: (label) => ({ level: label }) } },
    transport,
  );
  // each call's arguments as a service has them at hand
  const calls = wire.map(({ level, message, ...fields }) => ({ level, message, fields }));
  let sizes: number[] = [];
  let callsSeconds = 0;
  const seconds = await timed(async () => {
    callsSeconds = await timed(async () => {
      for (let i = 0; i < calls.length; i++) {
        const { level, message, fields } = calls[i];
        logger[level](fields, message);
        if (i % 1_000 === 999) await new Promise(setImmediate);
      }
    });
    sizes = await notices.all;
  });
  transport.end();
  await once(transport, 'close');
  await notices.end();
  return { perSecond: wire.length / seconds, callsSeconds, batches: summarize(sizes) };
}

export async function runIngestBench(options: IngestBenchOptions = {}): Promise<IngestBenchResult> {
  const rows = options.rows ?? 100_000;
  const baseUrl = options.databaseUrl ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const batchSizes = options.batchSizes ?? [50, 500, 2_000, 5_000];
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  // the statements' notices go to a channel of the benchmark's own, never to a live stream's
  const channel = schema;
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
      const rawBefore = rows / (await timed(() => copyRaw(client, stored)));
      const copied = await tableDigest(pool);
      await truncate();
      const endToEndRun = await endToEnd(connectionString, wire, options.profileWorkerDir);
      const logged = await tableDigest(pool);
      if (logged !== copied) throw new Error(`end to end stored other rows than raw COPY (count:digest ${logged} against ${copied})`);
      await truncate();
      const rawAfter = rows / (await timed(() => copyRaw(client, stored)));
      const ends = {
        rows,
        rawCopyPerSecond: Math.max(rawBefore, rawAfter),
        rawCopyRunsPerSecond: [rawBefore, rawAfter] as [number, number],
        endToEndPerSecond: endToEndRun.perSecond,
        callsSeconds: endToEndRun.callsSeconds,
        batches: endToEndRun.batches,
      };
      if (options.endToEndOnly) return { ...ends, perBatchSize: [], fullText: { withPerSecond: NaN, withoutPerSecond: NaN } };

      const sample = stored.slice(0, Math.min(rows, 20_000));
      const perBatchSize = [];
      for (const batchSize of batchSizes) {
        await truncate();
        const unnest = await timed(() => inBatches(sample, batchSize, (batch) => insertUnnest(client, batch, channel)));
        await truncate();
        const staging = await timed(() => inBatches(sample, batchSize, (batch) => insertViaCopy(client, batch, channel)));
        await truncate();
        const direct = await timed(() => inBatches(sample, batchSize, (batch) => copyDirect(client, batch, channel)));
        perBatchSize.push({
          batchSize,
          unnestPerSecond: sample.length / unnest,
          copyStagingPerSecond: sample.length / staging,
          copyDirectPerSecond: sample.length / direct,
        });
      }

      await truncate();
      const withSeconds = await timed(() => inBatches(stored, 2_000, (batch) => insertUnnest(client, batch, channel)));
      await truncate();
      await client.query('DROP INDEX platform_logs_search_idx');
      await client.query('ALTER TABLE platform_logs DROP COLUMN search');
      const withoutSeconds = await timed(() => inBatches(stored, 2_000, (batch) => insertUnnest(client, batch, channel)));

      return {
        ...ends,
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
  const [before, after] = result.rawCopyRunsPerSecond;
  console.table([
    { path: 'raw COPY, one statement (limit)', 'rows/s': perSecond(result.rawCopyPerSecond), 'x raw COPY': '1.00' },
    {
      path: 'end to end (pino -> worker -> rows)',
      'rows/s': perSecond(result.endToEndPerSecond),
      'x raw COPY': (result.endToEndPerSecond / result.rawCopyPerSecond).toFixed(2),
    },
  ]);
  const { batches } = result;
  console.log(
    `raw COPY runs before / after: ${perSecond(before)} / ${perSecond(after)} rows/s. ` +
      `End to end: ${(result.rows / result.endToEndPerSecond).toFixed(1)} s, of which the logger calls ${result.callsSeconds.toFixed(1)} s. ` +
      `Batches written end to end: ${batches.count}, mean ${Math.round(batches.mean)}, median ${batches.median}, max ${batches.max}; ` +
      `${(100 * batches.copyShare).toFixed(0)}% of rows by COPY (batches of ${COPY_FROM_ROWS.toLocaleString('en-US')} or more), the rest by INSERT … unnest.`,
  );
  if (result.perBatchSize.length === 0) return;
  console.log('One batch per statement, sequential:');
  console.table(
    result.perBatchSize.map((r) => ({
      'batch size': r.batchSize,
      'INSERT unnest rows/s': perSecond(r.unnestPerSecond),
      'COPY + staging rows/s': perSecond(r.copyStagingPerSecond),
      'COPY straight in rows/s': perSecond(r.copyDirectPerSecond),
      'unnest / COPY + staging': (r.unnestPerSecond / r.copyStagingPerSecond).toFixed(2),
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
  runIngestBench({
    rows: rows ? Number(rows) : undefined,
    databaseUrl: argument('database-url'),
    endToEndOnly: process.argv.includes('--end-to-end-only'),
    profileWorkerDir: argument('profile-worker'),
  })
    .then(printIngestBench)
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    });
}
