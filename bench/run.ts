/**
 * Runs every benchmark (or those named by --only) at sizes set by --rows, prints one table in
 * which each figure stands beside its baseline from the same run, and writes it with the
 * machine's description into docs/benchmarks.md. Progress goes to stderr.
 *
 *   npm run bench [-- --rows 10000000] [--only logger,ingest] [--no-doc]
 *
 * DATABASE_URL and REDIS_URL select the stores (default: PostgreSQL and Redis on 127.0.0.1).
 * Every benchmark works in a schema and Redis keys of its own, removed when it ends.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createClient } from 'redis';
import { redactUrl } from '../server/stores.js';
import { runAggregatesBench } from './aggregates.js';
import {
  aggregatesFigures,
  exportFigures,
  ingestFigures,
  liveLatencyFigures,
  loggerFigures,
  retentionFigures,
  searchFigures,
} from './figures.js';
import { runIngestBench } from './ingest.js';
import { runLiveLatencyBench } from './live-latency.js';
import { runLoggerBench } from './logger.js';
import { formatReport, writeReport, type Figure, type Machine } from './report.js';
import { runRetentionBench } from './retention.js';
import { runSearchBench, type SearchBenchResult } from './search.js';

class UsageError extends Error {}
/** A store that does not answer: one clear line, no stack. */
class StoreError extends Error {}

const QUICK_ROWS = 100_000;
const BENCHMARKS = ['logger', 'ingest', 'search', 'aggregates', 'export', 'live', 'retention'] as const;
type BenchName = (typeof BENCHMARKS)[number];
const DOC_PATH = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

const USAGE = `Usage: npm run bench [-- --rows N] [--only ${BENCHMARKS.join(',')}] [--no-doc]

  --rows N   size of the log store searched (default ${QUICK_ROWS.toLocaleString('en-US')}: the quick run);
             the other benchmarks scale from it (see docs/benchmarks.md)
  --only     comma-separated benchmarks to run (default: all)
  --no-doc   print the table only, without writing it into docs/benchmarks.md`;

/** What each benchmark runs at, derived from the one --rows flag. */
function benchSizes(rows: number) {
  return {
    /** Entries searched, over 30 days and 500 tenants. */
    searchRows: rows,
    /** Rows exported, newest first, out of the searched ones (three rounds of each format and the baseline). */
    exportRows: Math.min(1_000_000, Math.max(50_000, Math.round(rows / 5))),
    /** Entries written: half the store, at most a million (the benchmark holds each in memory twice). */
    ingestRows: Math.min(Math.round(rows / 2), 1_000_000),
    /** Warn and error entries over 30 days: a tenth of the store, at least 100,000. */
    aggregateRows: Math.max(100_000, Math.round(rows / 10)),
    /** INFO entries in the one expired day (loaded twice): a tenth of the store, between 100,000 and 1,000,000. */
    retentionRows: Math.min(1_000_000, Math.max(100_000, Math.round(rows / 10))),
  };
}

function parseFlags(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      rows: { type: 'string' },
      only: { type: 'string' },
      'no-doc': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const rows = values.rows === undefined ? QUICK_ROWS : Number(values.rows);
  if (!Number.isInteger(rows) || rows < 1_000) throw new UsageError('--rows takes a whole number of at least 1000');
  const only = values.only?.split(',').map((name) => name.trim()) ?? [...BENCHMARKS];
  const unknown = only.filter((name) => !(BENCHMARKS as readonly string[]).includes(name));
  if (unknown.length > 0)
    throw new UsageError(`unknown benchmark ${unknown.join(', ')}; known: ${BENCHMARKS.join(', ')}`);
  return { rows, only: new Set(only as BenchName[]), writeDoc: !values['no-doc'] };
}

async function storeVersions(databaseUrl: string, redisUrl: string): Promise<{ postgres: string; redis: string }> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3_000 });
  const postgres = await client
    .connect()
    .then(() => client.query<{ server_version: string }>('SHOW server_version'))
    .then(({ rows }) => rows[0].server_version)
    .catch((error: Error) => {
      throw new StoreError(
        `PostgreSQL at ${redactUrl(databaseUrl)} does not answer (${error.message}): start it or set DATABASE_URL`,
      );
    })
    .finally(() => client.end().catch(() => {}));
  const redis = createClient({ url: redisUrl, socket: { connectTimeout: 3_000, reconnectStrategy: false } });
  redis.on('error', () => {});
  const info = await redis
    .connect()
    .then(() => redis.info('server'))
    .catch((error: Error) => {
      throw new StoreError(
        `Redis at ${redactUrl(redisUrl)} does not answer (${error.message}): start it or set REDIS_URL`,
      );
    })
    .finally(() => redis.quit().catch(() => {}));
  return { postgres, redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown' };
}

async function describeMachine(databaseUrl: string, redisUrl: string): Promise<Machine> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    ...(await storeVersions(databaseUrl, redisUrl)),
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    loadAverage: os.loadavg() as [number, number, number],
  };
}

const progress = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const { rows, only, writeDoc } = parseFlags(process.argv.slice(2));
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const machine = await describeMachine(databaseUrl, redisUrl);
  const sizes = benchSizes(rows);
  const count = (n: number) => n.toLocaleString('en-US');

  // search and export come from one run over the same loaded entries
  let searched: Promise<SearchBenchResult> | undefined;
  const search = () =>
    (searched ??= runSearchBench({
      rows: sizes.searchRows,
      runs: 20,
      exportRows: sizes.exportRows,
      databaseUrl,
      keep: false,
      log: progress,
    }));

  const runs: Record<BenchName, { size: string; run: () => Promise<Figure[]> }> = {
    logger: {
      size: '20,000 calls × 5 rounds per variant, /dev/null sink',
      run: async () => loggerFigures(await runLoggerBench()),
    },
    ingest: {
      size: `${count(sizes.ingestRows)} entries`,
      run: async () => ingestFigures(await runIngestBench({ rows: sizes.ingestRows, databaseUrl })),
    },
    search: {
      size: `${count(sizes.searchRows)} entries over 30 days, 500 tenants; 20 runs per query`,
      run: async () => searchFigures(await search()),
    },
    aggregates: {
      size: `${count(sizes.aggregateRows)} warn/error entries over 30 days; 7 runs per view`,
      run: async () => aggregatesFigures(await runAggregatesBench({ rows: sizes.aggregateRows, runs: 7, databaseUrl })),
    },
    export: {
      size: `${count(Math.min(sizes.exportRows, sizes.searchRows))} rows of the search entries`,
      run: async () => exportFigures(await search()),
    },
    live: {
      size: '500 entries at 100/s per path; 200 idle clients',
      run: async () => liveLatencyFigures(await runLiveLatencyBench({ databaseUrl, redisUrl })),
    },
    retention: {
      size: `${count(sizes.retentionRows)} INFO entries in the expired day`,
      run: async () => retentionFigures(await runRetentionBench({ rows: sizes.retentionRows, databaseUrl })),
    },
  };

  const selected = BENCHMARKS.filter((name) => only.has(name));
  const figures: Figure[] = [];
  const started = performance.now();
  progress(`load average ${machine.loadAverage.map((n) => n.toFixed(2)).join(', ')} on ${machine.cores} cores`);
  const failed = new Map<BenchName, string>();
  for (const [i, name] of selected.entries()) {
    progress(`[${i + 1}/${selected.length}] ${name}: ${runs[name].size}…`);
    const benchStarted = performance.now();
    // one benchmark failing leaves the others' figures standing
    try {
      figures.push(...(await runs[name].run()));
      progress(
        `[${i + 1}/${selected.length}] ${name} done in ${((performance.now() - benchStarted) / 1000).toFixed(0)} s`,
      );
    } catch (error) {
      failed.set(name, (error as Error).message);
      progress(`[${i + 1}/${selected.length}] ${name} failed: ${(error as Error).stack ?? error}`);
      process.exitCode = 1;
    }
  }

  const report = {
    machine,
    flags: process.argv.slice(2).join(' '),
    sizes: selected.map(
      (name) => `${name}: ${runs[name].size}${failed.has(name) ? ` — failed: ${failed.get(name)}` : ''}`,
    ),
    seconds: (performance.now() - started) / 1000,
    figures,
  };
  console.log(formatReport(report));
  if (writeDoc) {
    // one section per size and selection: a later run of the same kind replaces it
    const partial = selected.length < BENCHMARKS.length;
    const mode = (rows === QUICK_ROWS ? 'quick' : `rows-${rows}`) + (partial ? `-${selected.join('-')}` : '');
    const heading =
      (rows === QUICK_ROWS ? 'Quick run' : `Run at ${count(rows)} rows`) + (partial ? `: ${selected.join(', ')}` : '');
    await writeReport(DOC_PATH, mode, heading, report);
    progress(`written to ${DOC_PATH}`);
  }
}

main().catch((error: Error) => {
  if (error instanceof UsageError) console.error(`${error.message}\n\n${USAGE}`);
  else console.error(error instanceof StoreError ? error.message : error);
  process.exitCode = 1;
});
