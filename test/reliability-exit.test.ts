import { describe, expect, test } from 'vitest';
import { startService } from './support/service-process.js';
import { compareIds, storedIds } from './support/stored-ids.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();
const BURST = 2_000;

describe('a service that ends right after a burst', () => {
  test.each(['exit', 'sigterm', 'throw'] as const)(
    `has all ${BURST} entries stored when it ends by %s`,
    async (end) => {
      const tenant = `burst-${end}`;
      const service = startService(stores, tenant, { mode: 'burst', count: BURST, end });
      if (end === 'sigterm') {
        await service.started;
        service.kill('SIGTERM');
      }
      const result = await service.finished;
      const expectedCode = { exit: 0, sigterm: 143, throw: 1 }[end];
      expect(result.code, result.stderr).toBe(expectedCode);
      if (end === 'throw') expect(result.stderr).toContain('unexpected failure after a burst');

      const { inPostgres, inStream } = await storedIds(stores, tenant);
      console.log(
        `reliability burst then ${end}`,
        JSON.stringify({ logged: result.loggedIds.length, stored: inPostgres.length, inStream: inStream.length }),
      );
      expect(result.loggedIds).toHaveLength(BURST);
      expect(compareIds(result.loggedIds, inPostgres)).toEqual({ missing: 0, duplicates: 0, unexpected: 0 });
      expect(compareIds(result.loggedIds, inStream)).toEqual({ missing: 0, duplicates: 0, unexpected: 0 });
    },
  );
});
