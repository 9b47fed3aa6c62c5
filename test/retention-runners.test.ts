import { describe, expect, test, vi } from 'vitest';
import {
  retentionCommand,
  startRetentionTimer,
  type CommandIo,
  type RetentionLogger,
  type RetentionReport,
} from '../server/retention/index.js';
import { ensurePartitions } from '../server/store/partitions.js';
import {
  DAY,
  insertEntry,
  partitionName,
  partitionsSnapshot,
  storedIds,
  tableExists,
  utcMidnight,
} from './retention-seed.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();

/** Partitions for one day `days` ago, with one debug entry in them. */
async function seedExpiredDay(days: number) {
  const day = new Date(utcMidnight(new Date()).getTime() - days * DAY);
  await ensurePartitions(stores.pool, day, new Date(day.getTime() + DAY));
  const id = await insertEntry(stores.pool, 'debug', new Date(day.getTime() + 60_000));
  return { id, partition: partitionName('debug', day) };
}

function recordingLogger() {
  const reports: RetentionReport[] = [];
  const logger: RetentionLogger = {
    info: (_message, data) => {
      reports.push(data?.retention as RetentionReport);
    },
    error: vi.fn(),
  };
  return { logger, reports };
}

function capturingIo(env: NodeJS.ProcessEnv): CommandIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { env, out, err, stdout: (text) => out.push(text), stderr: (text) => err.push(text) };
}

describe('the built-in retention timer', () => {
  test('runs at start, logs the report, and stops', async () => {
    const seeded = await seedExpiredDay(70);
    const { logger, reports } = recordingLogger();

    const stop = startRetentionTimer({ pool: stores.pool, logger, intervalMs: 3_600_000 });
    try {
      await vi.waitFor(() => expect(reports).toHaveLength(1), { timeout: 20_000 });
    } finally {
      await stop();
    }

    expect(reports[0].status).toBe('completed');
    expect(reports[0].dropped.find((p) => p.name === seeded.partition)?.rows).toBe(1);
    expect(await storedIds(stores.pool, [seeded.id])).toEqual([]);
    expect(logger.error).not.toHaveBeenCalled();
  });

  test('runs again at every interval; two timers never run at once', { timeout: 90_000 }, async () => {
    const first = recordingLogger();
    const second = recordingLogger();
    const stops = [
      startRetentionTimer({ pool: stores.pool, logger: first.logger, intervalMs: 3_600_000 }),
      startRetentionTimer({ pool: stores.pool, logger: second.logger, intervalMs: 3_600_000 }),
    ];
    try {
      await vi.waitFor(() => expect(first.reports.length + second.reports.length).toBe(2), { timeout: 20_000 });
    } finally {
      await Promise.all(stops.map((stop) => stop()));
    }
    expect([...first.reports, ...second.reports].map((report) => report.status).sort()).toEqual([
      'completed',
      'skipped',
    ]);

    const ticking = recordingLogger();
    const stop = startRetentionTimer({ pool: stores.pool, logger: ticking.logger, intervalMs: 50, runAtStart: false });
    try {
      await vi.waitFor(() => expect(ticking.reports.length).toBeGreaterThanOrEqual(2), { timeout: 40_000 });
    } finally {
      await stop();
    }
    const count = ticking.reports.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ticking.reports).toHaveLength(count);
  });

  test('refuses an interval setInterval cannot keep', () => {
    const { logger } = recordingLogger();
    expect(() => startRetentionTimer({ pool: stores.pool, logger, intervalMs: 30 * DAY })).toThrow(
      'intervalMs must be a whole number',
    );
    expect(() => startRetentionTimer({ pool: stores.pool, logger, intervalMs: 0 })).toThrow(
      'intervalMs must be a whole number',
    );
  });
});

describe('the retention command', () => {
  test('--dry-run --json reports what it would drop and changes nothing', async () => {
    const seeded = await seedExpiredDay(80);
    const before = await partitionsSnapshot(stores.pool);
    const io = capturingIo({ DATABASE_URL: stores.databaseUrl });

    expect(await retentionCommand(['--dry-run', '--json'], io)).toBe(0);

    const report = JSON.parse(io.out.join('\n')) as RetentionReport;
    expect(report).toMatchObject({ status: 'completed', dryRun: true });
    expect(report.dropped.find((p) => p.name === seeded.partition)?.rows).toBe(1);
    expect(await partitionsSnapshot(stores.pool)).toEqual(before);
    expect(await storedIds(stores.pool, [seeded.id])).toEqual([seeded.id]);
  });

  test("runs retention with the environment's settings and prints a table", async () => {
    const seeded = await seedExpiredDay(40);
    const io = capturingIo({ DATABASE_URL: stores.databaseUrl, LOG_RETENTION_DEBUG_DAYS: '60' });
    const now = new Date(utcMidnight(new Date()).getTime() + 3_600_000).toISOString();

    expect(await retentionCommand(['--now', now], io)).toBe(0);

    const text = io.out.join('\n');
    expect(text).toContain(`Retention at ${now}`);
    expect(text).toContain('debug 60 d');
    expect(text).not.toContain(seeded.partition); // 40 days old, debug kept 60 days
    expect(await tableExists(stores.pool, seeded.partition)).toBe(true);
    expect(text).toMatch(/Rows removed: [\d,]+ in \d+ ms/);

    expect(await retentionCommand([], capturingIo({ DATABASE_URL: stores.databaseUrl }))).toBe(0);
    expect(await tableExists(stores.pool, seeded.partition)).toBe(false);
  });

  test('--help prints the usage', async () => {
    const io = capturingIo({});
    expect(await retentionCommand(['--help'], io)).toBe(0);
    expect(io.out.join('\n')).toContain('--dry-run   report what would be dropped and created, change nothing');
  });

  test('answers bad usage with a clear message and code 2', async () => {
    const cases: [string[], NodeJS.ProcessEnv, string][] = [
      [['--now', 'yesterday'], { DATABASE_URL: stores.databaseUrl }, '--now must be an ISO-8601 time, got "yesterday"'],
      [['--force'], { DATABASE_URL: stores.databaseUrl }, "Unknown option '--force'"],
      [[], {}, 'DATABASE_URL is not set'],
      [
        [],
        { DATABASE_URL: stores.databaseUrl, LOG_RETENTION_INFO_DAYS: 'seven' },
        'LOG_RETENTION_INFO_DAYS must be a whole number from 1 to',
      ],
    ];
    for (const [argv, env, message] of cases) {
      const io = capturingIo(env);
      expect(await retentionCommand(argv, io)).toBe(2);
      expect(io.err.join('\n')).toContain(message);
    }
  });

  test('exits 1 when the run fails', async () => {
    const url = new URL(stores.databaseUrl);
    url.searchParams.set('options', '-c search_path=no_such_schema');
    const io = capturingIo({ DATABASE_URL: url.toString() });
    expect(await retentionCommand([], io)).toBe(1);
    expect(io.err.join('\n')).toBe(
      'retention failed: no schema of the search_path exists, so there is no platform_logs to expire',
    );
  });
});
