import { readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sleep, waitFor } from './fixtures/transport-harness.js';
import { startService, type ServiceRun } from './support/service-process.js';
import { compareIds, storedIds } from './support/stored-ids.js';
import { useTestStores } from './support/stores.js';
import { TcpProxy } from './support/tcp-proxy.js';

const stores = useTestStores();
let postgresProxy: TcpProxy;
let redisProxy: TcpProxy;

beforeAll(async () => {
  postgresProxy = await new TcpProxy(Number(new URL(stores.databaseUrl).port || 5432)).start();
  redisProxy = await new TcpProxy(Number(new URL(stores.redisUrl).port || 6379)).start();
});
afterAll(async () => {
  await Promise.all([postgresProxy.stop(), redisProxy.stop()]);
});

/** A service process whose stores are reached through the proxies. */
function service(tenant: string, run: ServiceRun, env: NodeJS.ProcessEnv = {}) {
  return startService(
    { ...stores, databaseUrl: postgresProxy.url(stores.databaseUrl), redisUrl: redisProxy.url(stores.redisUrl) },
    tenant,
    run,
    env,
  );
}

/** Logs `count` entries, then runs until it is sent a signal. */
const staying = (count: number): ServiceRun => ({ mode: 'burst', count, end: 'sigterm' });
const spoolFiles = (store: string) => {
  try {
    return readdirSync(join(stores.spoolDir, 'storefront', store)).filter((name) => name.endsWith('.spool'));
  } catch {
    return [];
  }
};

/** Records in the service's spool for a store: what a kill -9 can no longer take. */
const spooledRecords = (store: string) =>
  spoolFiles(store).reduce(
    (sum, name) => sum + readFileSync(join(stores.spoolDir, 'storefront', store, name), 'utf8').split('\n').length - 1,
    0,
  );

/** Kills the process with -9 once both spools hold `count` records (the worker has taken every entry), at most 10 s on. */
async function killOnceSpooled(process: ReturnType<typeof service>, count: number) {
  await process.started;
  await waitFor(
    async () => Math.min(spooledRecords('postgres'), spooledRecords('redis-stream')),
    (n) => n >= count,
    10_000,
  );
  process.kill('SIGKILL');
  return process.finished;
}

/** A later start of the service, which logs nothing: it runs until both stores hold `expected` entries of the tenant. */
async function nextStart(tenant: string, expected: number) {
  const next = service(tenant, staying(0));
  await next.started;
  await waitFor(
    () => storedIds(stores, tenant),
    ({ inPostgres, inStream }) => inPostgres.length >= expected && inStream.length >= expected,
    30_000,
  );
  await sleep(300); // anything sent twice would have arrived
  next.kill('SIGTERM');
  return next.finished;
}

async function expectStoredOnce(tenant: string, logged: string[]) {
  const { inPostgres, inStream } = await storedIds(stores, tenant);
  expect(compareIds(logged, inPostgres)).toEqual({ missing: 0, duplicates: 0, unexpected: 0 });
  expect(compareIds(logged, inStream)).toEqual({ missing: 0, duplicates: 0, unexpected: 0 });
  return { inPostgres: inPostgres.length, inStream: inStream.length };
}

function outage<T>(body: () => Promise<T>): Promise<T> {
  postgresProxy.pause();
  redisProxy.pause();
  return body().finally(() => {
    postgresProxy.resume();
    redisProxy.resume();
  });
}

describe('a service whose stores are down', () => {
  test('killed (kill -9) during an outage: the next start stores every entry logged before the kill, each once, in both stores', {
    timeout: 120_000,
  }, async () => {
    const tenant = 'kill-9';
    const killed = await outage(() => killOnceSpooled(service(tenant, staying(2_000)), 2_000));
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.loggedIds).toHaveLength(2_000);
    expect(spoolFiles('postgres').length).toBeGreaterThan(0);
    expect(spoolFiles('redis-stream').length).toBeGreaterThan(0);

    await nextStart(tenant, 2_000);
    const stored = await expectStoredOnce(tenant, killed.loggedIds);
    console.log('reliability kill -9 during an outage', JSON.stringify({ logged: killed.loggedIds.length, ...stored }));
    expect(spoolFiles('postgres')).toEqual([]);
    expect(spoolFiles('redis-stream')).toEqual([]);
  });

  test('SIGTERM during an outage: exits within the exit timeout, says on stderr what it spooled and where; the next start stores it, each once', {
    timeout: 120_000,
  }, async () => {
    const tenant = 'sigterm';
    const { result, exitMs } = await outage(async () => {
      const first = service(tenant, staying(1_000));
      await first.started;
      await sleep(500);
      const signalled = Date.now();
      first.kill('SIGTERM');
      const result = await first.finished;
      return { result, exitMs: Date.now() - signalled };
    });
    console.log(
      'reliability SIGTERM during an outage',
      JSON.stringify({
        exitMs,
        stderr: result.stderr.split('\n').filter((line) => line.startsWith('platform-logging:')),
      }),
    );
    expect(result.code).toBe(143);
    // the exit timeout (2 s) plus room for a busy machine to end a process; bench/reliability measures the figure
    expect(exitMs).toBeLessThan(6_000);
    const spoolDir = join(stores.spoolDir, 'storefront');
    expect(result.stderr).toContain(
      `platform-logging: postgres wrote 0, spooled 1,000 to ${spoolDir}/postgres, dropped 0; redis-stream wrote 0, spooled 1,000 to ${spoolDir}/redis-stream, dropped 0`,
    );

    await nextStart(tenant, 1_000);
    await expectStoredOnce(tenant, result.loggedIds);
  });

  test('a spool whose last record was cut off (a crash mid-write): every other record is stored', {
    timeout: 120_000,
  }, async () => {
    const tenant = 'cut-off';
    const killed = await outage(() => killOnceSpooled(service(tenant, staying(500)), 500));
    const dir = join(stores.spoolDir, 'storefront', 'postgres');
    const [last] = spoolFiles('postgres').sort().reverse();
    const lines = readFileSync(join(dir, last), 'utf8').split('\n');
    const cut = JSON.parse(lines[lines.length - 2].slice(9)).e.id as string;
    truncateSync(join(dir, last), statSync(join(dir, last)).size - 40);

    await nextStart(tenant, 499);
    const { inPostgres, inStream } = await storedIds(stores, tenant);
    expect(compareIds(killed.loggedIds, inPostgres)).toEqual({ missing: 1, duplicates: 0, unexpected: 0 });
    expect(inPostgres).not.toContain(cut);
    expect(compareIds(killed.loggedIds, inStream)).toEqual({ missing: 0, duplicates: 0, unexpected: 0 });
  });

  test('a spool folder that cannot be written: a clear message, entries kept in memory, and what is unwritten at exit dropped, counted and said', {
    timeout: 120_000,
  }, async () => {
    const blocker = join(stores.spoolDir, 'blocker');
    writeFileSync(blocker, '');
    const env = { LOG_SPOOL_DIR: join(blocker, 'spool') };
    const run = async (tenant: string, count: number, storeBack: boolean) => {
      postgresProxy.pause();
      const process = service(tenant, staying(count), env);
      try {
        await process.started;
        await sleep(500);
        if (storeBack) {
          postgresProxy.resume();
          await waitFor(
            () => storedIds(stores, tenant),
            ({ inPostgres }) => inPostgres.length === count,
            20_000,
          );
        }
      } finally {
        process.kill('SIGTERM');
      }
      const result = await process.finished;
      postgresProxy.resume();
      return result;
    };

    const inMemory = await run('unwritable-memory', 300, true);
    expect(inMemory.stderr).toMatch(
      /spool \S*blocker\/spool\/storefront\/postgres cannot be written \(.*ENOTDIR.*\): entries the store cannot take are kept in memory only/,
    );
    expect(inMemory.stderr).not.toContain('platform-logging: postgres wrote');

    const dropped = await run('unwritable-exit', 200, false);
    expect(dropped.stderr).toMatch(
      /platform-logging: postgres wrote 0, spooled 0, dropped 200 \(spool unwritable: 200; ENOTDIR[^)]*\); redis-stream wrote 200, spooled 0, dropped 0\n/,
    );
    expect((await storedIds(stores, 'unwritable-exit')).inStream).toHaveLength(200);
  });
});
