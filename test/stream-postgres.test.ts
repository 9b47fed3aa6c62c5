import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StoredLogEntry } from '../src/types.js';
import { PLATFORM_KEY, insertEntries, makeEntry } from './server-fixtures.js';
import { TestSocket, startStreamServer, type StreamServer } from './stream-fixtures.js';
import { useTestStores } from './support/stores.js';

// Without Redis, the live stream reads PostgreSQL (DESIGN decision 9).
const stores = useTestStores();
let server: StreamServer;
const opened: TestSocket[] = [];

async function open(target = server): Promise<TestSocket> {
  const socket = await TestSocket.open(target.wsUrl(), { authorization: `Bearer ${PLATFORM_KEY}` });
  opened.push(socket);
  return socket;
}

function entryAt(msAgo: number, overrides: Partial<StoredLogEntry> = {}): StoredLogEntry {
  return makeEntry({ timestamp: new Date(Date.now() - msAgo).toISOString(), ...overrides });
}

beforeAll(async () => {
  server = await startStreamServer({ pool: stores.pool, notifyChannel: `${stores.schema}_logs`, pollIntervalMs: 100 });
});

afterEach(() => {
  for (const socket of opened.splice(0)) socket.close();
});

afterAll(async () => {
  await server?.close();
});

describe('live stream without Redis', () => {
  it('delivers rows inserted into platform_logs, filtered, including rows committed after newer ones', async () => {
    expect(server.hub.mode).toBe('postgres');
    const socket = await open();
    await socket.subscribe({ tenantId: 'tenant-pg', level: ['error'] });
    const newer = entryAt(0, { tenantId: 'tenant-pg', level: 'error', message: 'newer' });
    await insertEntries(stores.pool, [
      newer,
      entryAt(0, { tenantId: 'tenant-pg', level: 'info' }),
      entryAt(0, { tenantId: 'tenant-x', level: 'error' }),
    ]);
    await socket.until((s) => s.entryIds().includes(newer.id));
    // A batch from another process: older timestamps, committed later.
    const older = entryAt(3_000, { tenantId: 'tenant-pg', level: 'error', message: 'older' });
    await insertEntries(stores.pool, [older]);
    await socket.until((s) => s.entryIds().includes(older.id));

    expect(socket.entryIds()).toEqual([newer.id, older.id]);
    expect(socket.entries()[0].entry).toEqual(newer);
  });

  it('resumes from the last stream id without a gap or a duplicate', async () => {
    const first = await open();
    await first.subscribe({ tenantId: 'tenant-resume' });
    const before = [entryAt(30, { tenantId: 'tenant-resume' }), entryAt(20, { tenantId: 'tenant-resume' })];
    await insertEntries(stores.pool, before);
    await first.until((s) => s.entries().length === 2);
    first.close();
    const lastSeen = first.entries()[1].streamId!;

    const missed = [entryAt(10, { tenantId: 'tenant-resume' }), entryAt(5, { tenantId: 'tenant-resume' })];
    await insertEntries(stores.pool, missed);
    const second = await open();
    expect(await second.subscribe({ tenantId: 'tenant-resume' }, lastSeen)).toEqual({
      type: 'subscribed',
      streamId: lastSeen,
    });
    const live = entryAt(0, { tenantId: 'tenant-resume' });
    await insertEntries(stores.pool, [live]);
    await second.until((s) => s.entryIds().includes(live.id));

    expect([...first.entryIds(), ...second.entryIds()]).toEqual([...before, ...missed, live].map((e) => e.id));
  });

  it('reads at once on a NOTIFY, without waiting for the next poll', async () => {
    const channel = `${stores.schema}_notify`;
    const notified = await startStreamServer({ pool: stores.pool, notifyChannel: channel, pollIntervalMs: 3_600_000 });
    try {
      const socket = await open(notified);
      await socket.subscribe({ tenantId: 'tenant-notify' });
      const entry = entryAt(0, { tenantId: 'tenant-notify' });
      await insertEntries(stores.pool, [entry]);
      await stores.pool.query(`NOTIFY ${channel}, '1'`);
      await socket.until((s) => s.entryIds().includes(entry.id));
    } finally {
      await notified.close();
    }
  });
});
