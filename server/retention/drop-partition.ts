import { setTimeout as sleep } from 'node:timers/promises';
import { escapeIdentifier } from 'pg';
import type pg from 'pg';

/**
 * DROP TABLE of a partition holds ACCESS EXCLUSIVE on its level's table, and while it waits
 * for that lock every insert into the level queues behind it. So a drop waits at most this
 * long for the lock, then steps back and tries again a little later.
 */
const LOCK_TIMEOUT_MS = 500;
const ATTEMPTS = 20;
const RETRY_DELAY_MS = 1_000;
const LOCK_NOT_AVAILABLE = '55P03';

export async function countRows(client: pg.PoolClient, name: string): Promise<number> {
  const { rows } = await client.query<{ count: string }>(`SELECT count(*) AS count FROM ${escapeIdentifier(name)}`);
  return Number(rows[0].count);
}

async function dropOnce(client: pg.PoolClient, name: string): Promise<void> {
  await client.query('BEGIN');
  try {
    // the lock platform_logs_ensure_partitions takes, so bookkeeping never races a creation
    await client.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.platform_logs_partitions'))`);
    await client.query(`SET LOCAL lock_timeout = ${LOCK_TIMEOUT_MS}`);
    await client.query(`DROP TABLE IF EXISTS ${escapeIdentifier(name)}`);
    await client.query('DELETE FROM platform_log_partitions WHERE name = $1', [name]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/**
 * Drops one time partition and its bookkeeping row in one transaction; returns the rows it
 * held, counted just before. The count is exact: a day's partition counts in about a second
 * per million rows (bench/retention.ts) and its ACCESS SHARE lock blocks no reader or writer.
 *
 * DETACH PARTITION ... CONCURRENTLY would avoid the ACCESS EXCLUSIVE lock, but PostgreSQL
 * refuses it on a table with a DEFAULT partition, which every level has. The lock is held
 * only for the catalog change; the short lock timeout keeps writers from queueing behind a
 * drop that waits for a long reader.
 */
export async function dropPartition(client: pg.PoolClient, name: string): Promise<number> {
  const exists = await client.query(`SELECT to_regclass(format('%I.%I', current_schema(), $1::text)) AS oid`, [name]);
  const rows = exists.rows[0].oid === null ? 0 : await countRows(client, name);
  for (let attempt = 1; ; attempt++) {
    try {
      await dropOnce(client, name);
      return rows;
    } catch (error) {
      const lockBusy = (error as { code?: string }).code === LOCK_NOT_AVAILABLE;
      if (!lockBusy || attempt === ATTEMPTS) {
        const why = lockBusy
          ? `its table stayed locked by other sessions through ${ATTEMPTS} attempts`
          : (error as Error).message;
        throw new Error(`dropping partition ${name} failed: ${why}`, { cause: error });
      }
      await sleep(RETRY_DELAY_MS);
    }
  }
}
