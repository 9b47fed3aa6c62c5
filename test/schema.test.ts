import { describe, expect, test } from 'vitest';
import { ensurePartitions } from '../server/store/partitions.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();

async function insert(level: string, at: string, message: string) {
  const { rows } = await stores.pool.query(
    `INSERT INTO platform_logs (id, "timestamp", level, tenant_id, service, message, environment)
     VALUES (gen_random_uuid(), $1, $2, 'schema', 'admin', $3, 'test') RETURNING id`,
    [at, level, message],
  );
  return rows[0].id as string;
}

async function placeOf(id: string) {
  const { rows } = await stores.pool.query(
    `SELECT tableoid::regclass::text AS partition, search::text AS search FROM platform_logs WHERE id = $1`,
    [id],
  );
  return rows;
}

describe('platform_logs partitions', () => {
  test('an entry outside every partition lands in its level’s default partition, and moves when its partition is made', async () => {
    const id = await insert('warn', '2003-03-14T15:09:26Z', 'clock skewed entry');
    expect(await placeOf(id)).toEqual([
      { partition: 'platform_logs_warn_default', search: "'clock' 'entry' 'skewed'" },
    ]);

    const created = await ensurePartitions(stores.pool, new Date('2003-03-14'), new Date('2003-03-15'));
    expect(created).toContain('platform_logs_warn_20030314');
    expect(await placeOf(id)).toEqual([
      { partition: 'platform_logs_warn_20030314', search: "'clock' 'entry' 'skewed'" },
    ]);
  });

  test('after a width change, partitions cover every day once: no overlap, no hole', async () => {
    await ensurePartitions(stores.pool, new Date('2004-01-01'), new Date('2004-01-03'));
    await stores.pool.query(`UPDATE platform_log_partition_widths SET width_days = 7 WHERE level = 'error'`);
    try {
      await ensurePartitions(stores.pool, new Date('2004-01-01'), new Date('2004-01-29'));
      const { rows } = await stores.pool.query(
        `SELECT day::date::text AS day, count(p.name)::int AS partitions, max(p.upper_bound - p.lower_bound) AS width
         FROM generate_series(timestamptz '2004-01-01', '2004-01-28', interval '1 day') AS day
         LEFT JOIN platform_log_partitions p ON p.level = 'error' AND p.lower_bound <= day AND p.upper_bound > day
         GROUP BY day ORDER BY day`,
      );
      expect(rows.filter((r) => r.partitions !== 1)).toEqual([]);
      expect(rows.filter((r) => r.width.days === 7).length).toBeGreaterThanOrEqual(14);
      const id = await insert('error', '2004-01-20T00:00:00Z', 'in a week partition');
      const [{ partition }] = await placeOf(id);
      const { rows: bounds } = await stores.pool.query(
        `SELECT upper_bound - lower_bound AS width FROM platform_log_partitions WHERE name = $1`,
        [partition],
      );
      expect(bounds[0].width.days).toBe(7);
    } finally {
      await stores.pool.query(`UPDATE platform_log_partition_widths SET width_days = 1 WHERE level = 'error'`);
    }
  });
});
