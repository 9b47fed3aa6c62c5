import type pg from 'pg';

const DAY_MS = 86_400_000;

function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * Creates every partition needed from the day before `now` to the end of the month after it,
 * so that an insert never finds no partition. Returns the names of those it created.
 */
export async function ensurePartitionsAhead(pool: pg.Pool | pg.PoolClient, now = new Date()): Promise<string[]> {
  const from = new Date(now.getTime() - DAY_MS);
  const endOfNextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 2, 1));
  return ensurePartitions(pool, from, endOfNextMonth);
}

/**
 * Creates every partition needed for the days in [from, to). One statement, so one transaction,
 * a day: a month of partitions at once holds a lock on each of their thousands of tables and
 * indexes, which exhausts PostgreSQL's shared lock table (64 per connection by default) when
 * other sessions hold locks too.
 */
export async function ensurePartitions(pool: pg.Pool | pg.PoolClient, from: Date, to: Date): Promise<string[]> {
  const created: string[] = [];
  for (let day = Date.parse(utcDay(from)); day < Date.parse(utcDay(to)); day += DAY_MS) {
    const { rows } = await pool.query<{ name: string }>(
      'SELECT platform_logs_ensure_partitions($1::date, $2::date) AS name',
      [utcDay(new Date(day)), utcDay(new Date(day + DAY_MS))],
    );
    created.push(...rows.map((row) => row.name));
  }
  return created;
}
