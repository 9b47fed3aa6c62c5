import { InngestTestEngine } from '@inngest/test';
import { Hono } from 'hono';
import { describe, expect, test, vi } from 'vitest';
import {
  createRetentionInngest,
  inngestConfigured,
  RETENTION_CRON,
  type RetentionReport,
} from '../server/retention/index.js';
import { ensurePartitions } from '../server/store/partitions.js';
import { DAY, insertEntry, partitionName, storedIds, tableExists, utcMidnight } from './retention-seed.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();

describe('the retention Inngest function', () => {
  test('runs retention on its cron and returns the report', async () => {
    const oldDay = new Date(utcMidnight(new Date()).getTime() - 120 * DAY);
    await ensurePartitions(stores.pool, oldDay, new Date(oldDay.getTime() + DAY));
    const expired = await insertEntry(stores.pool, 'error', new Date(oldDay.getTime() + 60_000));
    const recent = await insertEntry(stores.pool, 'error', new Date(Date.now() - 60_000));
    const { functions } = createRetentionInngest({ pool: stores.pool });
    expect(functions).toHaveLength(1);
    expect(functions[0].opts.triggers).toEqual([{ cron: RETENTION_CRON }]);

    const { result, error } = await new InngestTestEngine({ function: functions[0] }).execute();

    expect(error).toBeUndefined();
    const report = result as RetentionReport;
    expect(report.status).toBe('completed');
    expect(report.dropped.map((p) => p.name).sort()).toEqual(
      (['debug', 'error', 'info', 'warn'] as const).map((level) => partitionName(level, oldDay)),
    );
    expect(report.dropped.find((p) => p.level === 'error')).toMatchObject({ rows: 1, reason: 'max-age' });
    expect(await tableExists(stores.pool, partitionName('error', oldDay))).toBe(false);
    expect(await storedIds(stores.pool, [expired, recent])).toEqual([recent]);
  });

  test('is served at /api/inngest through the Hono handler', async () => {
    vi.stubEnv('INNGEST_DEV', '1');
    const { handler } = createRetentionInngest({ pool: stores.pool });
    vi.unstubAllEnvs();
    const app = new Hono();
    app.on(['GET', 'PUT', 'POST'], '/api/inngest', handler);
    const response = await app.request('/api/inngest');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ function_count: 1, mode: 'dev' });
  });

  test('is used only when a signing key or the Dev Server is configured', () => {
    expect(inngestConfigured({})).toBe(false);
    expect(inngestConfigured({ INNGEST_DEV: '0' })).toBe(false);
    expect(inngestConfigured({ INNGEST_DEV: 'false' })).toBe(false);
    expect(inngestConfigured({ INNGEST_EVENT_KEY: 'key' })).toBe(false);
    expect(inngestConfigured({ INNGEST_DEV: '1' })).toBe(true);
    expect(inngestConfigured({ INNGEST_DEV: 'http://localhost:8288' })).toBe(true);
    expect(inngestConfigured({ INNGEST_SIGNING_KEY: 'signkey-prod-abc' })).toBe(true);
  });
});
