import { describe, expect, test } from 'vitest';
import { waitFor } from './fixtures/transport-harness.js';
import { startService } from './support/service-process.js';
import { compareIds, storedIds } from './support/stored-ids.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();
const BURST = 100_000;

describe('a burst faster than the stores, both stores up', () => {
  test(`${BURST.toLocaleString('en')} entries logged as fast as a loop can are all stored, each once`, async () => {
    const tenant = 'burst-100k';
    // a stream long enough to hold the whole burst, so that every id can be read back
    const service = startService(
      stores,
      tenant,
      { mode: 'burst', count: BURST, end: 'sigterm' },
      { MAX_LEN: String(2 * BURST) },
    );
    await service.started;
    const count = async () =>
      (await stores.pool.query('SELECT count(*)::int AS n FROM platform_logs WHERE tenant_id = $1', [tenant])).rows[0]
        .n;
    await waitFor(count, (n) => n >= BURST, 120_000);
    service.kill('SIGTERM');
    const result = await service.finished;
    const { inPostgres, inStream } = await storedIds(stores, tenant);
    console.log(
      'reliability burst',
      JSON.stringify({ logged: result.loggedIds.length, inPostgres: inPostgres.length, inStream: inStream.length }),
      result.stderr,
    );
    expect(result.loggedIds).toHaveLength(BURST);
    expect(compareIds(result.loggedIds, inPostgres)).toEqual({ missing: 0, duplicates: 0, unexpected: 0 });
    expect(compareIds(result.loggedIds, inStream)).toEqual({ missing: 0, duplicates: 0, unexpected: 0 });
    expect(result.stderr).not.toContain('dropping');
  }, 180_000);
});
