import type pg from 'pg';

const lockKey = (name: string) => `hashtext(current_schema() || '.${name}')`;
const LOCK_KEY = lockKey('platform_logs_retention');

export type LockedRun<T> = { acquired: true; value: T } | { acquired: false };

/**
 * Runs `work` on a dedicated connection that holds the schema's retention advisory lock, so
 * two runners (servers, cron, CLI) never overlap. When another session holds the lock, `work`
 * does not run: the other run is doing the same job, and waiting would only repeat it.
 * The lock belongs to the session, so it is released even if the process dies mid-run.
 */
export async function withRetentionLock<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<LockedRun<T>> {
  return withAdvisoryLock(pool, LOCK_KEY, 'there is no platform_logs to expire', work);
}

/**
 * Runs `work` holding the schema's advisory lock of `name` (any job that must run once at a
 * time across processes, as retention does), or not at all when another session holds it.
 */
export async function withJobLock<T>(
  pool: pg.Pool,
  name: string,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<LockedRun<T>> {
  return withAdvisoryLock(pool, lockKey(name), `there is no ${name} to run`, work);
}

async function withAdvisoryLock<T>(
  pool: pg.Pool,
  key: string,
  missing: string,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<LockedRun<T>> {
  const client = await pool.connect();
  let broken = false;
  try {
    const { rows } = await client.query<{ schema: string | null; locked: boolean | null }>(
      `SELECT current_schema() AS schema, pg_try_advisory_lock(${key}) AS locked`,
    );
    if (rows[0].schema === null) throw new Error(`no schema of the search_path exists, so ${missing}`);
    if (!rows[0].locked) return { acquired: false };
    try {
      return { acquired: true, value: await work(client) };
    } finally {
      // a connection that cannot unlock is destroyed below, which releases the lock too
      await client.query(`SELECT pg_advisory_unlock(${key})`).catch(() => {
        broken = true;
      });
    }
  } finally {
    client.release(broken);
  }
}
