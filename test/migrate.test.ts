import { describe, expect, test } from 'vitest';
import { migrate } from '../server/store/migrate.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();

describe('migrations', () => {
  test('are recorded and not applied twice', async () => {
    const { rows } = await stores.pool.query('SELECT name FROM platform_log_migrations ORDER BY name');
    expect(rows.map((r) => r.name)).toContain('001_platform_logs.sql');
    expect(await migrate(stores.pool)).toEqual([]);
  });

  test('run from several clients at once without conflict', async () => {
    const results = await Promise.all([migrate(stores.pool), migrate(stores.pool), migrate(stores.pool)]);
    expect(results.flat()).toEqual([]);
  });

  test('partitions exist ahead for today and the whole next month', async () => {
    const now = new Date();
    const nextMonthLastDay = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 2, 0, 12));
    for (const at of [now, nextMonthLastDay]) {
      for (const level of ['debug', 'info', 'warn', 'error']) {
        const { rows } = await stores.pool.query(
          `INSERT INTO platform_logs (id, "timestamp", level, tenant_id, service, message, environment)
           VALUES (gen_random_uuid(), $1, $2, 't1', 'admin', 'm', 'test') RETURNING tableoid::regclass::text AS part`,
          [at, level],
        );
        expect(rows[0].part).toMatch(new RegExp(`^platform_logs_${level}_\\d{8}$`));
      }
    }
  });
});
