import { describe, expect, test } from 'vitest';
import { closeTransport, openTransport, send, sleep, waitFor, wireEntry } from './fixtures/transport-harness.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();

async function countFor(tenantId: string): Promise<number> {
  const { rows } = await stores.pool.query('SELECT count(*)::int AS n FROM platform_logs WHERE tenant_id = $1', [
    tenantId,
  ]);
  return rows[0].n;
}

const entries = (tenantId: string, n: number) =>
  Array.from({ length: n }, (_, i) => wireEntry({ tenantId, message: `entry ${i}` }));

// These tests use the default rules (50 entries, 5 s, at once on error) from the real config.
describe('batching with the default rules', () => {
  test('49 entries wait; the 50th flushes all 50', async () => {
    const stream = openTransport({ postgres: { connectionString: stores.databaseUrl } });
    try {
      send(stream, entries('batch-50', 49));
      await sleep(1_500);
      expect(await countFor('batch-50')).toBe(0);
      send(stream, entries('batch-50', 1));
      expect(
        await waitFor(
          () => countFor('batch-50'),
          (n) => n === 50,
          2_000,
        ),
      ).toBe(50);
    } finally {
      await closeTransport(stream);
    }
  });

  test('a few entries are written 5 s after the first one, not before', async () => {
    const stream = openTransport({ postgres: { connectionString: stores.databaseUrl } });
    try {
      const started = Date.now();
      send(stream, entries('interval', 3));
      await sleep(3_500);
      expect(await countFor('interval')).toBe(0);
      expect(
        await waitFor(
          () => countFor('interval'),
          (n) => n === 3,
          4_000,
        ),
      ).toBe(3);
      expect(Date.now() - started).toBeGreaterThanOrEqual(5_000);
    } finally {
      await closeTransport(stream);
    }
  });

  test('an error entry flushes at once, with everything before it', async () => {
    const stream = openTransport({ postgres: { connectionString: stores.databaseUrl } });
    try {
      send(stream, entries('urgent', 5));
      send(stream, [wireEntry({ tenantId: 'urgent', level: 'error', message: 'payment failed' })]);
      expect(
        await waitFor(
          () => countFor('urgent'),
          (n) => n === 6,
          2_000,
        ),
      ).toBe(6);
    } finally {
      await closeTransport(stream);
    }
  });

  test('closing writes what is buffered', async () => {
    const stream = openTransport({ postgres: { connectionString: stores.databaseUrl } });
    send(stream, entries('on-close', 7));
    await sleep(300);
    expect(await countFor('on-close')).toBe(0);
    await closeTransport(stream);
    expect(await countFor('on-close')).toBe(7);
  });
});
