import type pg from 'pg';
import { loadConfig, type RetentionDays } from '../../src/config.js';
import { pruneErrorRollup } from '../store/error-rollup.js';
import { ensurePartitionsAhead } from '../store/partitions.js';
import { expireDefaultRows, defaultPartitions } from './default-partitions.js';
import { countRows, dropPartition } from './drop-partition.js';
import { expiryReason, validatePolicy, type RetentionPolicy, type TimePartition } from './expiry.js';
import type { CleanedDefaultPartition, DroppedPartition, RetentionReport } from './report.js';
import { withRetentionLock } from './run-lock.js';

/** The part of PlatformLogger that retention reports through. */
export interface RetentionLogger {
  info(message: string, data?: Record<string, unknown>): void;
  error(message: string, err?: unknown, data?: Record<string, unknown>): void;
}

export interface RunRetentionOptions {
  pool: pg.Pool;
  now?: Date;
  /** Report what would be done, change nothing. */
  dryRun?: boolean;
  /** Days kept per level; unset levels come from the configuration (LOG_RETENTION_<LEVEL>_DAYS). */
  retentionDays?: Partial<RetentionDays>;
  /** Nothing is kept longer, whatever its level (LOG_MAX_RETENTION_DAYS, default 90). */
  maxRetentionDays?: number;
  logger?: RetentionLogger;
}

async function recordedPartitions(client: pg.PoolClient): Promise<TimePartition[]> {
  const { rows } = await client.query<TimePartition>(
    `SELECT name, level, lower_bound AS "lowerBound", upper_bound AS "upperBound"
     FROM platform_log_partitions ORDER BY lower_bound, level`,
  );
  return rows;
}

/** The partitions the coming days and the next month need; a dry run creates them in a transaction it rolls back. */
async function createPartitionsAhead(client: pg.PoolClient, now: Date, dryRun: boolean): Promise<string[]> {
  if (!dryRun) return ensurePartitionsAhead(client, now);
  await client.query('BEGIN');
  try {
    return await ensurePartitionsAhead(client, now);
  } finally {
    await client.query('ROLLBACK');
  }
}

async function expire(client: pg.PoolClient, policy: RetentionPolicy, dryRun: boolean) {
  const created = await createPartitionsAhead(client, policy.now, dryRun);

  const dropped: DroppedPartition[] = [];
  for (const partition of await recordedPartitions(client)) {
    const reason = expiryReason(partition, policy);
    if (reason === null) continue;
    const rows = dryRun ? await countRows(client, partition.name) : await dropPartition(client, partition.name);
    dropped.push({
      name: partition.name,
      level: partition.level,
      lowerBound: partition.lowerBound.toISOString(),
      upperBound: partition.upperBound.toISOString(),
      rows,
      reason,
    });
  }

  const cleanedDefaults: CleanedDefaultPartition[] = [];
  for (const name of await defaultPartitions(client)) {
    const rows = await expireDefaultRows(client, name, policy, dryRun);
    if (rows > 0) cleanedDefaults.push({ name, rows });
  }
  const errorRollupRows = await pruneErrorRollup(client, { ...policy, dryRun });
  return { created, dropped, defaultPartitions: cleanedDefaults, errorRollupRows };
}

/**
 * Enforces retention (DESIGN decision 8): drops every time partition whose entries are all
 * past their level's retention or past the maximum retention, deletes expired rows from
 * DEFAULT partitions, and creates the partitions ahead. Runs under an advisory lock; a run
 * that finds the lock taken returns a `skipped` report at once.
 */
export async function runRetention(options: RunRetentionOptions): Promise<RetentionReport> {
  const started = performance.now();
  const { pool, now = new Date(), dryRun = false, logger } = options;
  try {
    const config = loadConfig({ retentionDays: options.retentionDays, maxRetentionDays: options.maxRetentionDays });
    const policy: RetentionPolicy = {
      now,
      retentionDays: config.retentionDays,
      maxRetentionDays: config.maxRetentionDays,
    };
    validatePolicy(policy);

    const run = await withRetentionLock(pool, (client) => expire(client, policy, dryRun));
    const work = run.acquired ? run.value : { created: [], dropped: [], defaultPartitions: [], errorRollupRows: 0 };
    const report: RetentionReport = {
      status: run.acquired ? 'completed' : 'skipped',
      dryRun,
      now: now.toISOString(),
      retentionDays: policy.retentionDays,
      maxRetentionDays: policy.maxRetentionDays,
      ...work,
      rowsRemoved: [...work.dropped, ...work.defaultPartitions].reduce((sum, p) => sum + p.rows, 0),
      durationMs: Math.round(performance.now() - started),
    };
    logger?.info(summary(report), { retention: report });
    return report;
  } catch (error) {
    logger?.error('retention failed', error, { dryRun });
    throw error;
  }
}

function summary(report: RetentionReport): string {
  if (report.status === 'skipped') return 'retention skipped: another run holds the lock';
  const counts = `${report.dropped.length} partitions dropped, ${report.rowsRemoved} rows removed, ${report.created.length} partitions created`;
  return report.dryRun ? `retention dry run, nothing changed; would have: ${counts}` : `retention completed: ${counts}`;
}
