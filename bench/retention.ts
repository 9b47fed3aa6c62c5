import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { runRetention } from '../server/retention/index.js';
import { migrate } from '../server/store/migrate.js';
import { ensurePartitions } from '../server/store/partitions.js';

/**
 * Expiring one day of INFO entries: dropping its partition (runRetention) against a DELETE
 * of the same rows from an identical schema loaded the same way. Then, with a long reader
 * on the level's table, how long concurrent inserts and selects wait under each approach.
 */

const DAY = 86_400_000;
const LOCK_MODES = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
];
const OPERATION_APP = 'platform-logs-bench-op';

export interface RetentionBenchOptions {
  /** INFO entries in the expired day. Default 1,000,000. */
  rows?: number;
  /** How long the long reader of the lock experiment holds its lock. Default 1,500 ms. */
  readerMs?: number;
  /** Default DATABASE_URL, else the local PostgreSQL. */
  databaseUrl?: string;
}

export interface ExpiryRow {
  approach: string;
  ms: number;
  /** Strongest lock the operation held or waited for on platform_logs_info (the level's table). */
  levelLock: string;
  maxInsertMs: number;
  maxSelectMs: number;
  bytesBefore: number;
  bytesAfter: number;
}

export interface LockQueueRow {
  approach: string;
  ms: number;
  levelLock: string;
  maxInsertMs: number;
  maxSelectMs: number;
}

export interface RetentionBenchResult {
  rows: number;
  readerMs: number;
  loadMs: number;
  expiry: ExpiryRow[];
  lockQueue: LockQueueRow[];
}

function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await work();
  return [value, Math.round(performance.now() - start)];
}

/** A migrated schema with partitions from `from` to `to`, dropped at the end. */
async function benchSchema(admin: pg.Client, baseUrl: string, from: Date, to: Date) {
  const schema = `bench_retention_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = withSearchPath(baseUrl, schema);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  await migrate(pool);
  await ensurePartitions(pool, from, to);
  return { schema, url, pool };
}

/** `rows` INFO entries spread over the day starting at `day`. */
async function load(pool: pg.Pool, day: Date, rows: number): Promise<void> {
  const chunk = 100_000;
  for (let start = 0; start < rows; start += chunk) {
    await pool.query(
      `INSERT INTO platform_logs (id, "timestamp", level, tenant_id, service, message, data, environment, request_id)
       SELECT gen_random_uuid(), $1::timestamptz + (i * ($2::float8 / $3)) * interval '1 millisecond', 'info',
              'tenant-' || (i % 40), (ARRAY['admin','storefront','orchestrator'])[1 + i % 3],
              'request ' || i || ' served in ' || (i % 900) || ' ms', jsonb_build_object('status', 200 + i % 5),
              'production', 'req-' || i
       FROM generate_series($4::int, $5::int) i`,
      [day, DAY, rows, start, Math.min(start + chunk, rows) - 1],
    );
  }
  // as a day-old partition would be: autovacuum done, so it holds no lock during the runs
  await pool.query('VACUUM ANALYZE platform_logs');
}

async function levelBytes(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ bytes: string }>(
    `SELECT sum(pg_total_relation_size(relid))::bigint AS bytes FROM pg_partition_tree('platform_logs_info') WHERE isleaf`,
  );
  return Number(rows[0].bytes);
}

/** Inserts and selects against today's INFO partition, every 20 ms, while the operation runs. */
function probe(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  let active = true;
  const loop = async (statement: string, params: unknown[]) => {
    let max = 0;
    while (active) {
      const start = performance.now();
      await pool.query(statement, params);
      max = Math.max(max, performance.now() - start);
      await sleep(20);
    }
    return Math.round(max);
  };
  const inserts = loop(
    `INSERT INTO platform_logs (id, "timestamp", level, tenant_id, service, message, environment)
     VALUES (gen_random_uuid(), now(), 'info', 'tenant-probe', 'admin', 'probe', 'production')`,
    [],
  );
  const selects = loop(
    `SELECT count(*) FROM platform_logs WHERE level = 'info' AND "timestamp" > now() - interval '1 minute'`,
    [],
  );
  return async () => {
    active = false;
    const [maxInsertMs, maxSelectMs] = await Promise.all([inserts, selects]);
    await pool.end();
    return { maxInsertMs, maxSelectMs };
  };
}

/** Polls pg_locks for the strongest lock the operation's sessions hold or wait for on platform_logs_info. */
function watchLevelLock(url: string) {
  const client = new pg.Client({ connectionString: url });
  let active = true;
  let strongest = -1;
  const done = (async () => {
    await client.connect();
    while (active) {
      const { rows } = await client.query<{ mode: string }>(
        `SELECT l.mode FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE a.application_name = $1 AND l.relation = 'platform_logs_info'::regclass`,
        [OPERATION_APP],
      );
      for (const row of rows) strongest = Math.max(strongest, LOCK_MODES.indexOf(row.mode));
      await sleep(2);
    }
    await client.end();
  })();
  return async () => {
    active = false;
    await done;
    return strongest < 0 ? 'none seen' : LOCK_MODES[strongest];
  };
}

/** Runs `operation` on a pool tagged for the lock watcher, with probes and (optionally) a long reader. */
async function observe(url: string, operation: (pool: pg.Pool) => Promise<unknown>, readerMs = 0) {
  const operationPool = new pg.Pool({ connectionString: url, max: 2, application_name: OPERATION_APP });
  const reader = new pg.Client({ connectionString: url });
  await reader.connect();
  if (readerMs > 0) {
    await reader.query('BEGIN');
    await reader.query(`SELECT count(*) FROM platform_logs_info`);
  }
  const readerDone = readerMs > 0 ? sleep(readerMs).then(() => reader.query('COMMIT')) : Promise.resolve();
  const stopWatching = watchLevelLock(url);
  const stopProbing = probe(url);
  await sleep(100);
  const [, ms] = await timed(() => operation(operationPool));
  await readerDone;
  const levelLock = await stopWatching();
  const probes = await stopProbing();
  await Promise.all([operationPool.end(), reader.end()]);
  return { ms, levelLock, ...probes };
}

function partitionOf(level: string, day: Date): string {
  return `platform_logs_${level}_${day.toISOString().slice(0, 10).replaceAll('-', '')}`;
}

async function dropDirectly(pool: pg.Pool, name: string): Promise<void> {
  await pool.query(`DROP TABLE ${name}`);
  await pool.query('DELETE FROM platform_log_partitions WHERE name = $1', [name]);
}

export async function runRetentionBench(options: RetentionBenchOptions = {}): Promise<RetentionBenchResult> {
  const rows = options.rows ?? 1_000_000;
  const readerMs = options.readerMs ?? 1_500;
  const baseUrl = options.databaseUrl ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const today = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()));
  const expiredDay = new Date(today.getTime() - 20 * DAY);
  const aheadEnd = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 2, 1));
  const keepSevenDays = { debug: 7, info: 7, warn: 7, error: 7 };
  /** runRetention at this time expires exactly the partitions of `day` and earlier. */
  const expiring = (day: Date) => new Date(day.getTime() + 8 * DAY + 3_600_000);

  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  const schemas: Awaited<ReturnType<typeof benchSchema>>[] = [];
  try {
    const dropped = await benchSchema(admin, baseUrl, expiredDay, aheadEnd);
    const deleted = await benchSchema(admin, baseUrl, expiredDay, aheadEnd);
    schemas.push(dropped, deleted);
    const [, loadMs] = await timed(async () => {
      await load(dropped.pool, expiredDay, rows);
      await load(deleted.pool, expiredDay, rows);
    });
    // small days for the lock experiment, so that it measures locks, not volume
    for (const { pool } of schemas) {
      for (const offset of [1, 2]) await load(pool, new Date(expiredDay.getTime() + offset * DAY), 1_000);
    }

    const expiry: ExpiryRow[] = [];
    let bytesBefore = await levelBytes(dropped.pool);
    // the exact count runRetention reports, timed on its own
    const count = await observe(dropped.url, (pool) =>
      pool.query(`SELECT count(*) FROM ${partitionOf('info', expiredDay)}`),
    );
    const drop = await observe(dropped.url, (pool) =>
      runRetention({ pool, now: expiring(expiredDay), retentionDays: keepSevenDays, maxRetentionDays: 90 }),
    );
    expiry.push({
      approach: 'runRetention (DROP partition)',
      ...drop,
      bytesBefore,
      bytesAfter: await levelBytes(dropped.pool),
    });
    expiry.push({ approach: '  of which: exact row count', ...count, bytesBefore, bytesAfter: bytesBefore });

    bytesBefore = await levelBytes(deleted.pool);
    const dayEnd = new Date(expiredDay.getTime() + DAY);
    const del = await observe(deleted.url, (pool) =>
      pool.query(`DELETE FROM platform_logs WHERE level = 'info' AND "timestamp" >= $1 AND "timestamp" < $2`, [
        expiredDay,
        dayEnd,
      ]),
    );
    const bytesAfterDelete = await levelBytes(deleted.pool);
    expiry.push({ approach: 'DELETE of the same rows', ...del, bytesBefore, bytesAfter: bytesAfterDelete });
    const vacuum = await observe(deleted.url, (pool) => pool.query(`VACUUM ${partitionOf('info', expiredDay)}`));
    expiry.push({
      approach: '  then VACUUM',
      ...vacuum,
      bytesBefore: bytesAfterDelete,
      bytesAfter: await levelBytes(deleted.pool),
    });

    const day1 = new Date(expiredDay.getTime() + DAY);
    const day2 = new Date(expiredDay.getTime() + 2 * DAY);
    const lockQueue: LockQueueRow[] = [
      {
        approach: 'DROP TABLE, no lock timeout',
        ...(await observe(dropped.url, (pool) => dropDirectly(pool, partitionOf('info', day1)), readerMs)),
      },
      {
        approach: 'runRetention (DROP, 500 ms lock timeout, retried)',
        ...(await observe(
          dropped.url,
          (pool) => runRetention({ pool, now: expiring(day2), retentionDays: keepSevenDays, maxRetentionDays: 90 }),
          readerMs,
        )),
      },
      {
        approach: 'DELETE',
        ...(await observe(
          deleted.url,
          (pool) =>
            pool.query(`DELETE FROM platform_logs WHERE level = 'info' AND "timestamp" >= $1 AND "timestamp" < $2`, [
              day1,
              day2,
            ]),
          readerMs,
        )),
      },
    ];
    // PostgreSQL allows DETACH ... CONCURRENTLY only on a table without a DEFAULT partition
    await deleted.pool.query('DROP TABLE platform_logs_info_default');
    lockQueue.push({
      approach: 'DETACH CONCURRENTLY + DROP (no DEFAULT partition)',
      ...(await observe(
        deleted.url,
        async (pool) => {
          await pool.query(`ALTER TABLE platform_logs_info DETACH PARTITION ${partitionOf('info', day2)} CONCURRENTLY`);
          await dropDirectly(pool, partitionOf('info', day2));
        },
        readerMs,
      )),
    });
    return { rows, readerMs, loadMs, expiry, lockQueue };
  } finally {
    for (const { pool, schema } of schemas) {
      await pool.end();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    }
    await admin.end();
  }
}

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

export function formatRetentionBench(result: RetentionBenchResult): string {
  const lines = [
    `Expiring one day of ${result.rows.toLocaleString('en-US')} INFO entries (loaded twice in ${result.loadMs} ms); probes insert/select today's INFO entries every 20 ms`,
    '',
    '| approach | time | lock on platform_logs_info | max insert wait | max select wait | INFO size before | after |',
    '|---|---:|---|---:|---:|---:|---:|',
    ...result.expiry.map(
      (row) =>
        `| ${row.approach} | ${row.ms} ms | ${row.levelLock} | ${row.maxInsertMs} ms | ${row.maxSelectMs} ms | ${mb(row.bytesBefore)} | ${mb(row.bytesAfter)} |`,
    ),
    '',
    `With a reader holding platform_logs_info for ${result.readerMs} ms when the operation starts (1,000-row days):`,
    '',
    '| approach | time | lock on platform_logs_info | max insert wait | max select wait |',
    '|---|---:|---|---:|---:|',
    ...result.lockQueue.map(
      (row) => `| ${row.approach} | ${row.ms} ms | ${row.levelLock} | ${row.maxInsertMs} ms | ${row.maxSelectMs} ms |`,
    ),
  ];
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { rows: { type: 'string' }, 'reader-ms': { type: 'string' } } });
  const rows = values.rows === undefined ? undefined : Number(values.rows);
  const readerMs = values['reader-ms'] === undefined ? undefined : Number(values['reader-ms']);
  for (const [name, value] of [
    ['--rows', rows],
    ['--reader-ms', readerMs],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value <= 0))
      throw new Error(`${name} must be a positive whole number`);
  }
  console.log(formatRetentionBench(await runRetentionBench({ rows, readerMs })));
}
