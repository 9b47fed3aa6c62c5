import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, type RunningServer } from '../server/server.js';
import { loadServerSettings } from '../server/settings.js';
import { PLATFORM_KEY, insertEntries, makeEntry } from './server-fixtures.js';
import { freePort } from './support/free-port.js';
import { postgresBinaries, startStandbyPair, type StandbyPair } from './support/standby.js';

// A real streaming standby that this file makes itself (pg_basebackup -R), on spare ports.
const bin = postgresBinaries();
let pair: StandbyPair;
let server: RunningServer;
let primary: pg.Pool;

beforeAll(async () => {
  if (!bin) return;
  pair = await startStandbyPair(bin);
  const env = {
    NODE_ENV: 'test',
    LOG_CONSOLE: 'off',
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    DATABASE_URL: pair.primaryUrl,
    DATABASE_READ_URL: pair.standbyUrl,
    LOG_API_KEYS: `${PLATFORM_KEY}:platform`,
    LOG_READ_MAX_LAG_MS: '1000',
  };
  server = await startServer(loadServerSettings(env), env);
  primary = new pg.Pool({ connectionString: pair.primaryUrl, max: 2 });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await primary?.end();
  pair?.stop();
});

async function query(
  path: string,
): Promise<{ status: number; servedBy: string | null; body: { id?: string; entries?: { id: string }[] } }> {
  const response = await fetch(`${server.url}/api/platform/logs${path}`, {
    headers: { authorization: `Bearer ${PLATFORM_KEY}` },
  });
  return {
    status: response.status,
    servedBy: response.headers.get('x-served-by'),
    body: (await response.json()) as { id?: string; entries?: { id: string }[] },
  };
}

describe.skipIf(!bin)(
  'a read replica for queries (skipped: no PostgreSQL server binaries in /usr/lib/postgresql)',
  () => {
    test('reads come from the replica while the primary takes writes, and from the primary once the replica stops', {
      timeout: 120_000,
    }, async () => {
      const written = makeEntry({ tenantId: 'tenant-replica', message: 'written to the primary' });
      await insertEntries(primary, [written]);
      let answer;
      for (let i = 0; i < 100; i++) {
        answer = await query('?tenantId=tenant-replica');
        if (answer.body.entries?.some((entry) => entry.id === written.id)) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(answer).toMatchObject({ status: 200, servedBy: 'replica' });
      expect(answer!.body.entries!.map((entry) => entry.id)).toContain(written.id);

      // writes go on on the primary while the replica answers every kind of read
      const writing = insertEntries(
        primary,
        Array.from({ length: 200 }, (_, i) => makeEntry({ tenantId: 'tenant-replica', message: `more ${i}` })),
      );
      for (const path of [
        '?tenantId=tenant-replica',
        '/histogram?tenantId=tenant-replica',
        '/aggregates',
        `/${written.id}`,
        '/export?tenantId=tenant-replica',
      ]) {
        const response = await fetch(`${server.url}/api/platform/logs${path}`, {
          headers: { authorization: `Bearer ${PLATFORM_KEY}` },
        });
        expect([path, response.status, response.headers.get('x-served-by')]).toEqual([path, 200, 'replica']);
        await response.arrayBuffer();
      }
      await writing;

      // a replica that falls behind is not read from: its replay paused, a new entry is the primary's alone
      const standby = new pg.Pool({ connectionString: pair.standbyUrl, max: 1 });
      await standby.query('SELECT pg_wal_replay_pause()');
      const late = makeEntry({ tenantId: 'tenant-replica', message: 'written while the replica lags' });
      await insertEntries(primary, [late]);
      const servedBy = async (id: string) => (await query(`/${id}`)).servedBy;
      await expect.poll(() => servedBy(late.id), { timeout: 15_000, interval: 250 }).toBe('primary');
      await standby.query('SELECT pg_wal_replay_resume()');
      await expect.poll(() => servedBy(late.id), { timeout: 15_000, interval: 250 }).toBe('replica');
      await standby.end();

      pair.stopStandby();
      const afterStop = await query(`/${written.id}`);
      expect(afterStop).toMatchObject({ status: 200, servedBy: 'primary', body: { id: written.id } });
    });
  },
);
