/**
 * Ingest benchmark: end-to-end entries/s against a raw COPY of the same rows into the same
 * table (the limit), INSERT … unnest against COPY + staging per batch size, and what the
 * full-text column and index cost.
 *
 * - raw COPY: one COPY statement of the pre-built stored rows (encoded to COPY text as it
 *   streams), run before and after each end-to-end run. The medians are compared, because
 *   this machine's disk makes single runs vary by a quarter; each end-to-end run is also
 *   shown against the mean of the raw COPY runs on either side of it.
 * - end to end: plain pino (the wire format's keys, no caller location: the rows are the
 *   pre-built ones) calling into pino.transport -> the postgres transport worker -> committed
 *   rows, timed from the first call until the transport's NOTIFY notices have announced every
 *   row. The notices give the batch sizes actually written. The table's content is checked
 *   to be identical to the raw COPY's. PlatformLogger's own cost is bench/logger.ts's.
 * - transport CPU: the worker's work per line (split off, parsed, normalized, encoded as COPY
 *   text) against JSON.parse alone of the same lines, CPU time, no database.
 *
 *   npx tsx bench/ingest.ts [--rows 100000] [--rounds 3] [--end-to-end-only] [--profile-worker DIR] [--database-url postgres://…]
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
import { entryDefaults, normalizeEntry, normalizeLine } from '../transports/normalize-entry.js';
import { ENTRY_COLUMNS } from '../src/entry-fields.js';
import { COPY_FROM_ROWS, copyDirect, copyText, insertUnnest, insertViaCopy } from '../transports/postgres-insert.js';
import { median, percentile } from './stats.js';

export interface IngestBenchOptions {
  rows?: number;
  databaseUrl?: string;
  /** Batch sizes for the INSERT … unnest vs COPY comparison. */
  batchSizes?: number[];
  /** End-to-end runs, each between two raw COPY runs. Default 3. */
  rounds?: number;
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
  /** Median of the raw COPY runs. */
  rawCopyPerSecond: number;
  rawCopyRunsPerSecond: number[];
  /** Median of the end-to-end runs. */
  endToEndPerSecond: number;
  endToEndRunsPerSecond: number[];
  /** Each end-to-end run against the mean of the raw COPY runs on either side of it. */
  ratios: number[];
  /** How long the logger calls themselves took, of the end-to-end time (median run). */
  callsSeconds: number;
  batches: WrittenBatches;
  /** CPU µs per line in the transport worker's path, and for JSON.parse alone. */
  transportCpu: { perLineMicros: number; parseOnlyMicros: number };
  perBatchSize: {
    batchSize: number;
    unnestPerSecond: number;
    copyStagingPerSecond: number;
    copyDirectPerSecond: number;
  }[];
  fullText: { withPerSecond: number; withoutPerSecond: number };
}

const SERVICES = ['orchestrator', 'admin', 'storefront', 'creator-portal', 'mcp-server', 'inngest', 'webhook-handler'];
const WORDS = [
  'request',
  'served',
  'cache',
  'miss',
  'upstream',
  'timeout',
  'payment',
  'declined',
  'user',
  'signed',
  'order',
  'created',
];

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

async function inBatches(
  entries: StoredLogEntry[],
  size: number,
  write: (batch: StoredLogEntry[]) => Promise<unknown>,
) {
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
  const { rows } = await pool.query(
    'SELECT count(*) AS n, sum(hashtextextended(t::text, 0)::numeric) AS digest FROM platform_logs t',
  );
  return `${rows[0].n}:${rows[0].digest}`;
}

function summarize(sizes: number[]): WrittenBatches {
  const sorted = [...sizes].sort((a, b) => a - b);
  const total = sorted.reduce((sum, n) => sum + n, 0);
  return {
    count: sorted.length,
    mean: total / sorted.length,
    median: percentile(sorted, 50),
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

/** Plain pino writing the wire format's keys (the entries carry their own time). */
function wireLogger(destination: pino.DestinationStream) {
  return pino(
    { base: null, messageKey: 'message', timestamp: false, formatters: { level: (label) => ({ level: label }) } },
    destination,
  );
}

/** Each call's arguments as a service has them at hand. */
function callsOf(wire: LogEntry[]) {
  return wire.map(({ level, message, ...fields }) => ({ level, message, fields }));
}

/**
 * The transport worker's CPU per line: split2 hands each line to normalizeLine (parse and
 * normalize), the batch is encoded as COPY text; against JSON.parse alone of the same lines.
 * Best of three rounds each, over the first 100,000 entries at most.
 */
function measureTransportCpu(wire: LogEntry[]): IngestBenchResult['transportCpu'] {
  const lines: string[] = [];
  const logger = wireLogger({ write: (line: string) => lines.push(line.slice(0, -1)) });
  for (const { level, message, fields } of callsOf(wire.slice(0, 100_000))) logger[level](fields, message);
  const cpuMicrosPerLine = (work: () => void) => {
    let best = Infinity;
    for (let round = 0; round < 3; round++) {
      const start = process.cpuUsage();
      work();
      const used = process.cpuUsage(start);
      best = Math.min(best, (used.user + used.system) / lines.length);
    }
    return best;
  };
  // what the worker does by default: redaction on
  const defaults = entryDefaults({});
  let sink = 0;
  const parseOnlyMicros = cpuMicrosPerLine(() => {
    for (const line of lines) sink += JSON.parse(line) === null ? 0 : 1;
  });
  const perLineMicros = cpuMicrosPerLine(() => {
    for (let i = 0; i < lines.length; i += 5_000)
      sink += copyText(lines.slice(i, i + 5_000).map((line) => normalizeLine(line, defaults))).length;
  });
  if (sink === 0) throw new Error('nothing was measured');
  return { perLineMicros, parseOnlyMicros };
}

/** Logger calls through pino.transport into the worker, timed until every row is committed. */
async function endToEnd(connectionString: string, wire: LogEntry[], profileWorkerDir?: string) {
  const channel = `bench_${randomBytes(4).toString('hex')}`;
  const notices = await listenForBatches(connectionString, channel, wire.length);
  // a buffer as large as the run, so that the pipeline's sustained throughput is measured rather than its drops
  const transport = pino.transport({
    target: transportModulePath('postgres'),
    options: { connectionString, notifyChannel: channel, maxBufferedBytes: 1024 ** 3 },
    worker: profileWorkerDir ? { execArgv: ['--cpu-prof', '--cpu-prof-dir', profileWorkerDir] } : undefined,
  });
  await once(transport, 'ready');
  const logger = wireLogger(transport);
  const calls = callsOf(wire);
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
  const rounds = options.rounds ?? 3;
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
      const rawCopy = async () => {
        await truncate();
        const perSecond = rows / (await timed(() => copyRaw(client, stored)));
        return { perSecond, digest: await tableDigest(pool) };
      };
      const first = await rawCopy();
      const rawRuns = [first.perSecond];
      const endToEndRuns: Awaited<ReturnType<typeof endToEnd>>[] = [];
      const ratios: number[] = [];
      for (let round = 0; round < rounds; round++) {
        await truncate();
        const run = await endToEnd(connectionString, wire, round === 0 ? options.profileWorkerDir : undefined);
        const logged = await tableDigest(pool);
        if (logged !== first.digest)
          throw new Error(
            `end to end stored other rows than raw COPY (count:digest ${logged} against ${first.digest})`,
          );
        endToEndRuns.push(run);
        rawRuns.push((await rawCopy()).perSecond);
        ratios.push(run.perSecond / ((rawRuns[round] + rawRuns[round + 1]) / 2));
      }
      const medianRun = endToEndRuns.find((run) => run.perSecond === median(endToEndRuns.map((r) => r.perSecond)))!;
      const ends = {
        rows,
        rawCopyPerSecond: median(rawRuns),
        rawCopyRunsPerSecond: rawRuns,
        endToEndPerSecond: medianRun.perSecond,
        endToEndRunsPerSecond: endToEndRuns.map((run) => run.perSecond),
        ratios,
        callsSeconds: medianRun.callsSeconds,
        batches: medianRun.batches,
        transportCpu: measureTransportCpu(wire),
      };
      if (options.endToEndOnly)
        return { ...ends, perBatchSize: [], fullText: { withPerSecond: NaN, withoutPerSecond: NaN } };

      const sample = stored.slice(0, Math.min(rows, 20_000));
      const perBatchSize = [];
      for (const batchSize of batchSizes) {
        await truncate();
        const unnest = await timed(() => inBatches(sample, batchSize, (batch) => insertUnnest(client, batch, channel)));
        await truncate();
        const staging = await timed(() =>
          inBatches(sample, batchSize, (batch) => insertViaCopy(client, batch, channel)),
        );
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
      const withoutSeconds = await timed(() =>
        inBatches(stored, 2_000, (batch) => insertUnnest(client, batch, channel)),
      );

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
  console.table([
    {
      path: 'raw COPY, one statement (limit), median',
      'rows/s': perSecond(result.rawCopyPerSecond),
      'x raw COPY': '1.00',
    },
    {
      path: 'end to end (pino -> worker -> rows), median',
      'rows/s': perSecond(result.endToEndPerSecond),
      'x raw COPY': (result.endToEndPerSecond / result.rawCopyPerSecond).toFixed(2),
    },
  ]);
  const { batches, transportCpu } = result;
  console.log(
    `raw COPY runs: ${result.rawCopyRunsPerSecond.map(perSecond).join(', ')} rows/s; end to end between them: ` +
      `${result.endToEndRunsPerSecond.map(perSecond).join(', ')} rows/s; ratios ${result.ratios.map((r) => r.toFixed(2)).join(', ')}. ` +
      `Median end-to-end run: ${(result.rows / result.endToEndPerSecond).toFixed(1)} s, of which the logger calls ${result.callsSeconds.toFixed(1)} s; ` +
      `batches written: ${batches.count}, mean ${Math.round(batches.mean)}, median ${batches.median}, max ${batches.max}; ` +
      `${(100 * batches.copyShare).toFixed(0)}% of rows by COPY (batches of ${COPY_FROM_ROWS.toLocaleString('en-US')} or more), the rest by INSERT … unnest.`,
  );
  console.log(
    `Transport worker CPU per line (parse, normalize, COPY text): ${transportCpu.perLineMicros.toFixed(2)} µs; ` +
      `JSON.parse alone: ${transportCpu.parseOnlyMicros.toFixed(2)} µs.`,
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
    {
      table: 'cost',
      'rows/s': `${(100 * (1 - result.fullText.withPerSecond / result.fullText.withoutPerSecond)).toFixed(0)}% slower`,
    },
  ]);
}

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = argument('rows');
  const rounds = argument('rounds');
  runIngestBench({
    rows: rows ? Number(rows) : undefined,
    rounds: rounds ? Number(rounds) : undefined,
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
