/**
 * Live stream latency: from a logger's error() call (through the worker-thread transports)
 * to a WebSocket client receiving the entry, at a steady rate, against the floor of the same
 * Redis (raw XADD -> XREAD BLOCK); the same without Redis (PostgreSQL polling); and the
 * server heap each idle stream client costs.
 *
 *   node --expose-gc --import tsx bench/live-latency.ts [--entries 500] [--rate 100] [--idle-clients 200]
 *
 * Needs the compiled transports (npm run build:lib). Works in its own schema and Redis keys,
 * removed at the end. Logger, server and measuring client share one process (one clock).
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { createClient } from 'redis';
import { migrate } from '../server/store/migrate.js';
import { ensurePartitionsAhead } from '../server/store/partitions.js';
import type { RedisClient } from '../server/stores.js';
import { createLogger } from '../src/factory.js';
import { PLATFORM_KEY } from '../test/server-fixtures.js';
import { TestSocket, startStreamServer, type StreamServer } from '../test/stream-fixtures.js';

export interface LiveLatencyBenchOptions {
  entries?: number;
  ratePerSecond?: number;
  idleClients?: number;
  databaseUrl?: string;
  redisUrl?: string;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LiveLatencyBenchResult {
  entries: number;
  ratePerSecond: number;
  rawRedis: LatencySummary;
  loggerToClientRedis: LatencySummary;
  loggerToClientPostgresOnly: LatencySummary;
  idleClients: number;
  heapBytesPerIdleClient: number;
  heapMeasuredAfterGc: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function summarize(latencies: number[]): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return {
    count: sorted.length,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    p99Ms: at(0.99),
    maxMs: sorted[sorted.length - 1] ?? NaN,
  };
}

/** Calls `send(i)` for i in [0, count) at a steady rate. */
async function atSteadyRate(
  count: number,
  ratePerSecond: number,
  send: (i: number) => void | Promise<void>,
): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    await send(i);
  }
}

/** The floor: XADD on one connection, XREAD BLOCK on another, same process. */
async function rawRedisLatency(
  redis: RedisClient,
  key: string,
  count: number,
  ratePerSecond: number,
): Promise<LatencySummary> {
  const reader = redis.duplicate();
  await reader.connect();
  const latencies: number[] = [];
  let lastId = '$';
  const reading = (async () => {
    while (latencies.length < count) {
      const reply = (await reader.xRead({ key, id: lastId }, { BLOCK: 2_000, COUNT: 100 })) as
        | { messages: { id: string; message: Record<string, string> }[] }[]
        | null;
      const at = performance.now();
      for (const { id, message } of reply?.[0]?.messages ?? []) {
        latencies.push(at - Number(message.sentAt));
        lastId = id;
      }
    }
  })();
  await sleep(50); // the reader is blocked on '$' before the first XADD
  await atSteadyRate(count, ratePerSecond, async () => {
    await redis.xAdd(key, '*', { sentAt: String(performance.now()) });
  });
  await reading;
  await reader.quit();
  return summarize(latencies);
}

/** logger.error() -> transports -> stream hub -> WebSocket client. */
async function loggerToClientLatency(
  server: StreamServer,
  transports: Parameters<typeof createLogger>[0]['transports'],
  count: number,
  ratePerSecond: number,
): Promise<LatencySummary> {
  const run = randomBytes(4).toString('hex');
  const logger = createLogger({ service: 'admin', environment: 'production', tenantId: `bench-${run}`, transports });
  const client = await TestSocket.open(server.wsUrl(), { authorization: `Bearer ${PLATFORM_KEY}` });
  await client.subscribe({ tenantId: `bench-${run}` });
  // Worker threads and connections start with the first entries: not what is measured.
  for (let i = 0; i < 10; i++) logger.error('live latency warm-up');
  await client.until((c) => c.entries().length >= 10, 30_000);
  const warmUp = client.entries().length;
  const sentAt: number[] = [];
  const latencies: number[] = [];
  client.ws.on('message', () => {
    const at = performance.now();
    const message = client.messages[client.messages.length - 1];
    const seq = Number(message.entry?.message.split(' ').pop());
    if (message.type === 'entry' && Number.isInteger(seq)) latencies.push(at - sentAt[seq]);
  });
  await atSteadyRate(count, ratePerSecond, (i) => {
    sentAt[i] = performance.now();
    logger.error(`live latency ${i}`);
  });
  await client.until((c) => c.entries().length >= warmUp + count, 30_000).catch(() => {});
  client.close();
  await logger.close();
  return summarize(latencies);
}

/** Server heap per idle subscribed client; the clients live in a worker thread (its own heap). */
async function heapPerIdleClient(server: StreamServer, clients: number): Promise<{ bytes: number; afterGc: boolean }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      gc?.();
      await sleep(50);
    }
    return process.memoryUsage().heapUsed;
  };
  const before = await settle();
  const baseCount = server.hub.clientCount();
  const worker = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const { WebSocket } = require(workerData.wsPath);
     const sockets = [];
     let open = 0;
     for (let i = 0; i < workerData.count; i++) {
       const ws = new WebSocket(workerData.url, { headers: { authorization: 'Bearer ' + workerData.key } });
       ws.on('open', () => {
         ws.send(JSON.stringify({ type: 'subscribe', filters: { tenantId: 'idle-' + i, level: ['error'] } }));
         if (++open === workerData.count) parentPort.postMessage('open');
       });
       ws.on('error', (error) => parentPort.postMessage('error: ' + error.message));
       sockets.push(ws);
     }
     parentPort.on('message', () => { for (const ws of sockets) ws.terminate(); parentPort.postMessage('closed'); });`,
    {
      eval: true,
      workerData: {
        wsPath: createRequire(import.meta.url).resolve('ws'),
        url: server.wsUrl(),
        key: PLATFORM_KEY,
        count: clients,
      },
    },
  );
  const next = () => new Promise<string>((resolve) => worker.once('message', resolve));
  const opened = await next();
  if (opened !== 'open') throw new Error(`idle clients failed: ${opened}`);
  while (server.hub.clientCount() < baseCount + clients) await sleep(20);
  await sleep(300); // their subscribe messages are handled
  const after = await settle();
  worker.postMessage('close');
  await next();
  await worker.terminate();
  return { bytes: (after - before) / clients, afterGc: gc !== undefined };
}

function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

export async function runLiveLatencyBench(options: LiveLatencyBenchOptions = {}): Promise<LiveLatencyBenchResult> {
  const entries = options.entries ?? 500;
  const ratePerSecond = options.ratePerSecond ?? 100;
  const idleClients = options.idleClients ?? 200;
  const baseUrl = options.databaseUrl ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const id = randomBytes(4).toString('hex');
  const schema = `bench_${id}`;
  const prefix = `bench:${id}:`;
  const streamKey = `${prefix}platform:logs:stream`;

  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const connectionString = withSearchPath(baseUrl, schema);
  const pool = new pg.Pool({ connectionString, max: 4 });
  const redis: RedisClient = createClient({ url: redisUrl });
  await redis.connect();
  const servers: StreamServer[] = [];
  try {
    await migrate(pool);
    await ensurePartitionsAhead(pool);
    const rawRedis = await rawRedisLatency(redis, `${prefix}raw`, entries, ratePerSecond);

    const limits = { maxClientsPerKey: idleClients + 10, maxClients: idleClients + 10 };
    const withRedis = await startStreamServer({ pool, redis, streamKey, limits });
    servers.push(withRedis);
    const loggerToClientRedis = await loggerToClientLatency(
      withRedis,
      { postgres: { connectionString }, redis: { url: redisUrl, streamKey, channel: `${prefix}platform:logs:events` } },
      entries,
      ratePerSecond,
    );

    const postgresOnly = await startStreamServer({ pool, notifyChannel: `${schema}_logs`, limits });
    servers.push(postgresOnly);
    const loggerToClientPostgresOnly = await loggerToClientLatency(
      postgresOnly,
      { postgres: { connectionString } },
      entries,
      ratePerSecond,
    );

    const heap = await heapPerIdleClient(withRedis, idleClients);
    return {
      entries,
      ratePerSecond,
      rawRedis,
      loggerToClientRedis,
      loggerToClientPostgresOnly,
      idleClients,
      heapBytesPerIdleClient: heap.bytes,
      heapMeasuredAfterGc: heap.afterGc,
    };
  } finally {
    for (const server of servers) await server.close();
    await pool.end();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    const keys: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch);
    if (keys.length > 0) await redis.del(keys);
    await redis.quit();
  }
}

export function printLiveLatencyBench(result: LiveLatencyBenchResult): void {
  const ms = (value: number) => value.toFixed(1);
  const row = (path: string, s: LatencySummary) => ({
    path,
    received: s.count,
    'p50 ms': ms(s.p50Ms),
    'p95 ms': ms(s.p95Ms),
    'p99 ms': ms(s.p99Ms),
    'max ms': ms(s.maxMs),
  });
  console.log(
    `Live stream latency, ${result.entries} entries at ${result.ratePerSecond}/s (goal: p99 < 100 ms with Redis):`,
  );
  console.table([
    row('baseline: raw XADD -> XREAD BLOCK', result.rawRedis),
    row('logger.error() -> Redis transport -> hub -> WebSocket', result.loggerToClientRedis),
    row('logger.error() -> PostgreSQL transport -> poll -> WebSocket (no Redis)', result.loggerToClientPostgresOnly),
  ]);
  console.log(
    `Server heap per idle subscribed WebSocket client (${result.idleClients} clients${result.heapMeasuredAfterGc ? '' : ', no --expose-gc: rough'}):`,
  );
  console.table([{ 'KiB per client': (result.heapBytesPerIdleClient / 1024).toFixed(1) }]);
}

function argument(name: string): number | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runLiveLatencyBench({
    entries: argument('entries'),
    ratePerSecond: argument('rate'),
    idleClients: argument('idle-clients'),
  })
    .then(printLiveLatencyBench)
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    });
}
