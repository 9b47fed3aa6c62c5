/**
 * The reliability tests at a larger scale, printed as tables:
 * - exit: bursts, exits and crashes of a service process with the stores up or down, each
 *   beside the same run of the transports as they were at --baseline (built from git in a
 *   folder of its own): ids logged against ids in PostgreSQL and seen by a reader following
 *   the Redis stream, after a later start of the service, and how long the exit took.
 * - outage: a service process logs steadily through createLogger while PostgreSQL, then
 *   Redis, is unreachable (through a TCP proxy), then back; logged vs stored and the
 *   service's event-loop delay.
 * - exports: another key's query latency while 20 exports are read at about 1 KB/s, beside
 *   the same queries with no export running, and beside exports on the queries' pool with no
 *   limits, as the server ran them before exports had a budget of their own.
 *
 *   npm run build:lib && npx tsx bench/reliability.ts [--outage-seconds 30] [--rate 200] [--only exit,outage,exports] [--baseline e915f9d]
 *
 * Works in its own schema and Redis keys, removed at the end.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createClient } from 'redis';
import { loadServerSettings } from '../server/settings.js';
import { migrate } from '../server/store/migrate.js';
import { ensurePartitionsAhead } from '../server/store/partitions.js';
import { openStores } from '../server/stores.js';
import { waitFor } from '../test/fixtures/transport-harness.js';
import { TENANT_A_KEY, TENANT_B_KEY, TEST_KEYS, insertEntries, makeEntry } from '../test/server-fixtures.js';
import { startLogServer } from '../test/support/log-server.js';
import { startService, type ServiceResult, type ServiceRun } from '../test/support/service-process.js';
import { openExport, spacedRequests, timedGet, type OpenExport } from '../test/support/slow-client.js';
import { compareIds, storedIds } from '../test/support/stored-ids.js';
import { TcpProxy } from '../test/support/tcp-proxy.js';
import { LOG_LEVELS } from '../src/types.js';
import { percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    'outage-seconds': { type: 'string', default: '30' },
    rate: { type: 'string', default: '200' },
    only: { type: 'string', default: 'exit,outage,exports' },
    baseline: { type: 'string', default: 'e915f9d' },
  },
});
const only = new Set(values.only.split(','));
const outageMs = Number(values['outage-seconds']) * 1000;
const rate = Number(values.rate);
const baseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const id = randomBytes(5).toString('hex');
const schema = `bench_reliability_${id}`;
const prefix = `bench:${id}:`;
const url = new URL(baseUrl);
url.searchParams.set('options', `-c search_path=${schema}`);
const databaseUrl = url.toString();
const admin = new pg.Pool({ connectionString: baseUrl, max: 1 });
await admin.query(`CREATE SCHEMA ${schema}`);
const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
const postgresProxy = await new TcpProxy(Number(url.port || 5432)).start();
const redisProxy = await new TcpProxy(Number(new URL(redisUrl).port || 6379)).start();

/** Logged vs stored while each store is down for the outage. */
async function outageRows(): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const store of ['postgres', 'redis'] as const) {
    const proxy = store === 'postgres' ? postgresProxy : redisProxy;
    const stores = {
      pool,
      databaseUrl: store === 'postgres' ? postgresProxy.url(databaseUrl) : databaseUrl,
      redisUrl: store === 'redis' ? redisProxy.url(redisUrl) : redisUrl,
      streamKey: `${prefix}stream`,
      channel: `${prefix}events`,
    };
    const tenant = `outage-${store}`;
    const service = startService(stores, tenant, { mode: 'steady', rate, durationMs: outageMs + 5_000 });
    await service.started;
    await sleep(2_000);
    proxy.pause();
    await sleep(outageMs);
    proxy.resume();
    const result = await service.finished;
    const stored = await storedIds({ pool, redisUrl, streamKey: stores.streamKey }, tenant);
    rows.push({
      store,
      outageS: outageMs / 1000,
      logged: result.loggedIds.length,
      inPostgres: stored.inPostgres.length,
      inStream: stored.inStream.length,
      missingPg: compareIds(result.loggedIds, stored.inPostgres).missing,
      missingStream: compareIds(result.loggedIds, stored.inStream).missing,
      loopP50Ms: result.eventLoop?.p50Ms,
      loopP99Ms: result.eventLoop?.p99Ms,
      loopMaxMs: result.eventLoop?.maxMs,
    });
  }
  return rows;
}

/** logging-service.mjs in a build of the transports as they were at `commit`, in a temporary folder. */
function buildBaseline(commit: string): { script: string; dir: string } {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'bench-baseline-'));
  execFileSync(
    'sh',
    [
      '-c',
      `git archive ${commit} src transports test/support/logging-service.mjs tsconfig.json tsconfig.build.json package.json | tar -x -C ${dir}`,
    ],
    { cwd: root },
  );
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(
    join(dir, 'tsconfig.bench.json'),
    JSON.stringify({ extends: './tsconfig.build.json', include: ['src', 'transports'] }),
  );
  execFileSync('npx', ['tsc', '-p', 'tsconfig.bench.json'], { cwd: dir, stdio: 'inherit' });
  return { script: join(dir, 'test/support/logging-service.mjs'), dir };
}

/** Ids of a tenant's entries as a reader following the stream sees them (repeats kept): the stream keeps only its last 10,000. */
function followStream(streamKey: string) {
  const seen = new Map<string, string[]>();
  const client = createClient({ url: redisUrl });
  let running = true;
  const done = (async () => {
    await client.connect();
    let last = '0-0';
    while (running) {
      const answer = (await client.xRead({ key: streamKey, id: last }, { BLOCK: 200, COUNT: 10_000 })) as
        | { messages: { id: string; message: { entry: string } }[] }[]
        | null;
      for (const message of answer?.[0]?.messages ?? []) {
        last = message.id;
        // not JSON.parse: the reader must keep up with a burst, and a stored entry's JSON begins with its id, its tenant soon after
        const [, id, tenant] = /^\{"id":"([^"]+)".*?"tenantId":"([^"]*)"/.exec(message.message.entry) ?? [];
        let ids = seen.get(tenant);
        if (!ids) seen.set(tenant, (ids = []));
        ids.push(id);
      }
    }
    await client.close();
  })();
  return {
    ids: (tenant: string) => seen.get(tenant) ?? [],
    stop: async () => {
      running = false;
      await done;
    },
  };
}

type Outage = 'none' | 'postgres' | 'both';
interface ExitScenario {
  name: string;
  outage: Outage;
  run: ServiceRun;
  /**
   * What ends the process: it ends itself, or it is sent SIGTERM or SIGKILL `afterMs` after it
   * has logged, or (`whenSpooled`) once both spools hold every entry, at most 5 s on.
   */
  signal?: { name: 'SIGTERM' | 'SIGKILL'; afterMs: number; whenSpooled?: boolean };
  /** Stores up: the process runs until PostgreSQL holds every entry (at most 120 s), then gets SIGTERM. */
  untilStored?: boolean;
}

const EXIT_SCENARIOS: ExitScenario[] = [
  {
    name: 'burst of 100,000, stores up',
    outage: 'none',
    run: { mode: 'burst', count: 100_000, end: 'sigterm' },
    untilStored: true,
  },
  { name: '20,000 then process.exit, stores up', outage: 'none', run: { mode: 'burst', count: 20_000, end: 'exit' } },
  {
    name: '500 then process.exit, PostgreSQL down',
    outage: 'postgres',
    run: { mode: 'burst', count: 500, end: 'exit' },
  },
  {
    name: '1,000 then SIGTERM, both stores down',
    outage: 'both',
    run: { mode: 'burst', count: 1_000, end: 'sigterm' },
    signal: { name: 'SIGTERM', afterMs: 500 },
  },
  {
    name: '2,000 then kill -9, both stores down',
    outage: 'both',
    run: { mode: 'burst', count: 2_000, end: 'sigterm' },
    signal: { name: 'SIGKILL', afterMs: 5_000, whenSpooled: true },
  },
];

/** Records in a spool folder's files (none when there is no folder). */
function spooledRecords(dir: string): number {
  try {
    return readdirSync(dir).reduce(
      (sum, name) => sum + readFileSync(join(dir, name), 'utf8').split('\n').length - 1,
      0,
    );
  } catch {
    return 0;
  }
}

async function pgIds(tenant: string): Promise<string[]> {
  return (await pool.query<{ id: string }>('SELECT id FROM platform_logs WHERE tenant_id = $1', [tenant])).rows.map(
    (row) => row.id,
  );
}

/** Each exit scenario with the transports as they are and as they were at the baseline: what was logged, stored (after a later start) and how long the end took. */
async function exitRows(): Promise<Record<string, unknown>[]> {
  const baseline = buildBaseline(values.baseline);
  const variants = [
    { variant: `baseline (${values.baseline})`, script: baseline.script },
    { variant: 'spool', script: fileURLToPath(new URL('../test/support/logging-service.mjs', import.meta.url)) },
  ];
  const rows: Record<string, unknown>[] = [];
  try {
    for (const scenario of EXIT_SCENARIOS) {
      for (const { variant, script } of variants) {
        const tenant = `exit-${randomBytes(4).toString('hex')}`;
        const spoolDir = mkdtempSync(join(tmpdir(), 'bench-spool-'));
        const streamKey = `${prefix}exit:stream`;
        // a stream long enough for the burst, so that the reader cannot fall behind its trimming (the baseline's service ignores MAX_LEN)
        const env = { LOG_SPOOL_DIR: spoolDir, MAX_LEN: '200000' };
        // through the proxies only when a store goes down: they cost the stores' throughput a good part on 2 cores
        const proxied = scenario.outage !== 'none';
        const stores = {
          databaseUrl: proxied ? postgresProxy.url(databaseUrl) : databaseUrl,
          redisUrl: proxied ? redisProxy.url(redisUrl) : redisUrl,
          streamKey,
          channel: `${prefix}exit:events`,
        };
        const follower = followStream(streamKey);
        try {
          if (scenario.outage !== 'none') postgresProxy.pause();
          if (scenario.outage === 'both') redisProxy.pause();
          const started = Date.now();
          const service = startService(stores, tenant, scenario.run, env, script);
          let endedAt = started;
          if (scenario.run.mode === 'burst' && scenario.run.end === 'sigterm') {
            await service.started;
            const count = (scenario.run as { count: number }).count;
            if (scenario.untilStored)
              await waitFor(
                async () => (await pgIds(tenant)).length,
                (n) => n >= count,
                120_000,
              );
            else if (scenario.signal?.whenSpooled) {
              const spooled = async () =>
                Math.min(
                  ...['postgres', 'redis-stream'].map((store) => spooledRecords(join(spoolDir, 'storefront', store))),
                );
              await waitFor(spooled, (n) => n >= count, scenario.signal.afterMs);
            } else await sleep(scenario.signal!.afterMs);
            endedAt = Date.now();
            service.kill(scenario.signal?.name ?? 'SIGTERM');
          }
          const result: ServiceResult = await service.finished;
          const endMs = Date.now() - endedAt;
          postgresProxy.resume();
          redisProxy.resume();
          // a later start of the service, which logs nothing: it sends what the first one spooled
          const later = startService(stores, tenant, { mode: 'burst', count: 0, end: 'sigterm' }, env, script);
          await later.started;
          const logged = result.loggedIds.length;
          await waitFor(
            async () => (await pgIds(tenant)).length + follower.ids(tenant).length,
            (n) => n >= 2 * logged,
            30_000,
          );
          await sleep(500);
          later.kill('SIGTERM');
          await later.finished;
          const inPostgres = await pgIds(tenant);
          const inStream = follower.ids(tenant);
          rows.push({
            scenario: scenario.name,
            variant,
            logged,
            inPostgres: logged - compareIds(result.loggedIds, inPostgres).missing,
            inStream: logged - compareIds(result.loggedIds, inStream).missing,
            duplicates:
              compareIds(result.loggedIds, inPostgres).duplicates + compareIds(result.loggedIds, inStream).duplicates,
            [scenario.run.mode === 'burst' && scenario.run.end === 'exit' ? 'runMs' : 'exitMs']: scenario.untilStored
              ? undefined
              : endMs,
            saysOnStderr: /platform-logging: .*(spooled|dropped)|entries not written|dropped/.test(result.stderr)
              ? 'yes'
              : 'no',
          });
        } finally {
          postgresProxy.resume();
          redisProxy.resume();
          await follower.stop();
          rmSync(spoolDir, { recursive: true, force: true });
        }
      }
    }
  } finally {
    rmSync(baseline.dir, { recursive: true, force: true });
  }
  return rows;
}

const EXPORTS = 20;
const EXPORT_ROWS = 100_000;

/** Exports of tenant A read at about 1 KB/s, while tenant B queries 50 times over 5 s and healthz is asked 10 times. */
async function exportRows(): Promise<Record<string, unknown>[]> {
  // Over 100 MB of NDJSON per export: far more than the sockets on the way hold, so every export waits for its reader.
  await pool.query(
    `INSERT INTO platform_logs (id, "timestamp", level, tenant_id, service, message, environment)
     SELECT gen_random_uuid(), now() - i * interval '10 milliseconds', 'info', 'tenant-a', 'storefront', repeat(md5(i::text) || ' ', 25), 'bench'
     FROM generate_series(1, $1) AS i`,
    [EXPORT_ROWS],
  );
  await insertEntries(
    pool,
    Array.from({ length: 1_000 }, (_, i) =>
      makeEntry({ tenantId: 'tenant-b', timestamp: new Date(Date.now() - i * 60_000).toISOString() }),
    ),
  );
  const settings = loadServerSettings({}); // the defaults
  const named = new URL(databaseUrl);
  named.searchParams.set('application_name', schema);
  const stores = await openStores({
    databaseUrl: named.toString(),
    dataDir: '/nonexistent',
    statementTimeoutMs: settings.statementTimeoutMs,
    exportPoolSize: settings.exportLimits.maxConcurrent,
  });
  const unlimited = { maxConcurrent: EXPORTS, maxConcurrentPerKey: EXPORTS };
  const runs = [
    { run: 'no export', exports: 0, exportPool: stores.exportPool, exportLimits: settings.exportLimits },
    {
      run: `${EXPORTS} slow exports, export budget`,
      exports: EXPORTS,
      exportPool: stores.exportPool,
      exportLimits: settings.exportLimits,
    },
    {
      run: `${EXPORTS} slow exports, one pool, no limits (before)`,
      exports: EXPORTS,
      exportPool: stores.pool,
      exportLimits: unlimited,
    },
  ];
  const rows: Record<string, unknown>[] = [];
  try {
    for (const { run, exports, exportPool, exportLimits } of runs) {
      const server = await startLogServer({
        pool: stores.pool,
        exportPool,
        exportLimits,
        redisUrl,
        streamKey: `${prefix}stream`,
        keys: TEST_KEYS,
      });
      const opened: OpenExport[] = [];
      try {
        opened.push(
          ...(await Promise.all(Array.from({ length: exports }, () => openExport(server.baseUrl, TENANT_A_KEY)))),
        );
        for (const exported of opened) if (exported.status === 200) exported.readSlowly(1024);
        await sleep(2_000); // the sockets fill and PostgreSQL waits for the readers
        const [queries, health] = await Promise.all([
          spacedRequests(50, 100, () => timedGet(server.baseUrl, '?from=30d&limit=100', TENANT_B_KEY)),
          spacedRequests(10, 500, () => timedGet(server.baseUrl, '/healthz')),
        ]);
        const ms = queries.map((answer) => answer.ms).sort((a, b) => a - b);
        const count = (status: number) => opened.filter((exported) => exported.status === status).length;
        rows.push({
          run,
          exportsRunning: count(200),
          exports429: count(429),
          exports503: count(503),
          queries: queries.length,
          queriesNot200: queries.filter((answer) => answer.status !== 200).length,
          p50Ms: Math.round(percentile(ms, 50)),
          p95Ms: Math.round(percentile(ms, 95)),
          maxMs: Math.round(ms[ms.length - 1]),
          healthzOk: `${health.filter((answer) => answer.status === 200).length}/${health.length}`,
          goal: 'p95 < 500 ms',
        });
      } finally {
        for (const exported of opened) exported.close();
        await server.stop();
      }
      while (
        (
          await pool.query(
            `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'COPY %' AND state = 'active'`,
            [schema],
          )
        ).rowCount
      )
        await sleep(100);
    }
  } finally {
    await stores.close();
  }
  return rows;
}

try {
  await migrate(pool);
  await ensurePartitionsAhead(pool);
  if (only.has('exit')) console.table(await exitRows());
  if (only.has('outage')) console.table(await outageRows());
  if (only.has('exports')) console.table(await exportRows());
} finally {
  await Promise.all([postgresProxy.stop(), redisProxy.stop()]);
  await pool.end();
  // a level at a time: the schema's hundreds of partitions at once would fill PostgreSQL's shared lock table
  for (const level of LOG_LEVELS) await admin.query(`DROP TABLE IF EXISTS ${schema}.platform_logs_${level} CASCADE`);
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
  const redis = createClient({ url: redisUrl });
  await redis.connect();
  const keys: string[] = [];
  for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 1_000 })) keys.push(...batch);
  if (keys.length > 0) await redis.del(keys);
  await redis.close();
}
