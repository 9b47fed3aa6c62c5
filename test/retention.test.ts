import { beforeAll, describe, expect, test } from 'vitest';
import { runRetention } from '../server/retention/index.js';
import { ensurePartitions } from '../server/store/partitions.js';
import { LOG_LEVELS, type LogLevel } from '../src/types.js';
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

const RETENTION = { debug: 1, info: 7, warn: 14, error: 30 } as const;
const today = utcMidnight(new Date());
const now = new Date(today.getTime() + 6 * 3_600_000);
const policy = { now, retentionDays: RETENTION, maxRetentionDays: 90 };
const daysAgo = (days: number) => new Date(today.getTime() - days * DAY);

describe('runRetention drops what is past retention, keeps the rest', () => {
  /** Per level, entries on both sides of the first day whose partition is kept. */
  const seeded = {} as Record<LogLevel, { expired: string[]; kept: string[] }>;
  // the last partition ahead (end of next month) is removed so that a run must create it again
  const endOfNextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 2, 1));
  const missingAhead = partitionName('warn', new Date(endOfNextMonth.getTime() - DAY));
  let dryRun: Awaited<ReturnType<typeof runRetention>>;

  beforeAll(async () => {
    await ensurePartitions(stores.pool, daysAgo(34), today);
    await stores.pool.query(`DROP TABLE ${missingAhead}`);
    await stores.pool.query('DELETE FROM platform_log_partitions WHERE name = $1', [missingAhead]);
    for (const level of LOG_LEVELS) {
      const firstKeptDay = daysAgo(RETENTION[level]);
      seeded[level] = {
        expired: [
          await insertEntry(stores.pool, level, new Date(firstKeptDay.getTime() - 3 * DAY + 3_600_000)),
          await insertEntry(stores.pool, level, new Date(firstKeptDay.getTime() - 1)),
        ],
        kept: [
          // past retention by six hours, but its partition still holds younger entries
          await insertEntry(stores.pool, level, firstKeptDay),
          await insertEntry(stores.pool, level, new Date(now.getTime() - 3_600_000)),
        ],
      };
    }
  });

  const allIds = () => LOG_LEVELS.flatMap((level) => [...seeded[level].expired, ...seeded[level].kept]).sort();

  test('a dry run changes nothing and reports what it would do', async () => {
    const before = await partitionsSnapshot(stores.pool);
    dryRun = await runRetention({ pool: stores.pool, ...policy, dryRun: true });

    expect(dryRun.status).toBe('completed');
    expect(dryRun.dryRun).toBe(true);
    expect(dryRun.created).toEqual([missingAhead]);
    expect(dryRun.rowsRemoved).toBe(8);
    expect(await storedIds(stores.pool, allIds())).toEqual(allIds());
    expect(await partitionsSnapshot(stores.pool)).toEqual(before);
  });

  test('drops every partition whose entries are all past retention, and nothing else', async () => {
    const report = await runRetention({ pool: stores.pool, ...policy });

    expect(report.status).toBe('completed');
    const kept = LOG_LEVELS.flatMap((level) => seeded[level].kept).sort();
    expect(await storedIds(stores.pool, allIds())).toEqual(kept);
    for (const level of LOG_LEVELS) {
      const firstKeptDay = daysAgo(RETENTION[level]);
      const droppedOfLevel = report.dropped.filter((p) => p.level === level);
      // seeded from 34 days ago; every day before the first kept day goes
      expect(droppedOfLevel).toHaveLength(34 - RETENTION[level]);
      expect(droppedOfLevel.every((p) => p.reason === 'retention' && new Date(p.upperBound) <= firstKeptDay)).toBe(
        true,
      );
      expect(droppedOfLevel.find((p) => p.upperBound === firstKeptDay.toISOString())).toMatchObject({
        name: partitionName(level, new Date(firstKeptDay.getTime() - DAY)),
        lowerBound: new Date(firstKeptDay.getTime() - DAY).toISOString(),
        rows: 1,
      });
      expect(await tableExists(stores.pool, partitionName(level, new Date(firstKeptDay.getTime() - DAY)))).toBe(false);
      expect(await tableExists(stores.pool, partitionName(level, firstKeptDay))).toBe(true);
    }
    expect(report.rowsRemoved).toBe(8);
    expect(report.created).toEqual([missingAhead]);
    // the dry run announced exactly this
    expect(dryRun.dropped).toEqual(report.dropped);

    const { rows } = await stores.pool.query('SELECT name FROM platform_log_partitions WHERE name = ANY($1::text[])', [
      report.dropped.map((p) => p.name),
    ]);
    expect(rows).toEqual([]);
  });

  test('leaves partitions ahead for every day from yesterday to the end of next month', async () => {
    const { rows } = await stores.pool.query<{ level: string; day: string }>(
      `SELECT l.level, d::date::text AS day
       FROM platform_log_partition_widths l
       CROSS JOIN generate_series($1::date, $2::date - 1, interval '1 day') d
       WHERE NOT EXISTS (
         SELECT 1 FROM platform_log_partitions p
         WHERE p.level = l.level AND p.lower_bound <= d AND d < p.upper_bound
       )`,
      [new Date(now.getTime() - DAY), endOfNextMonth],
    );
    expect(rows).toEqual([]);
    expect(await tableExists(stores.pool, missingAhead)).toBe(true);
  });

  test('a second run changes nothing', async () => {
    const before = await partitionsSnapshot(stores.pool);
    const report = await runRetention({ pool: stores.pool, ...policy });
    expect(report).toMatchObject({
      status: 'completed',
      dropped: [],
      created: [],
      defaultPartitions: [],
      rowsRemoved: 0,
    });
    expect(await partitionsSnapshot(stores.pool)).toEqual(before);
  });
});

describe('runRetention', () => {
  test('drops everything past the maximum retention whatever the level', async () => {
    await ensurePartitions(stores.pool, daysAgo(95), daysAgo(89));
    await ensurePartitions(stores.pool, daysAgo(60), daysAgo(59));
    const expired = [
      await insertEntry(stores.pool, 'error', new Date(daysAgo(95).getTime() + 3_600_000)),
      await insertEntry(stores.pool, 'error', new Date(daysAgo(90).getTime() - 1)),
    ];
    const kept = [
      await insertEntry(stores.pool, 'error', daysAgo(90)),
      await insertEntry(stores.pool, 'error', daysAgo(60)),
    ];

    const report = await runRetention({ pool: stores.pool, ...policy, retentionDays: { ...RETENTION, error: 365 } });

    expect(await storedIds(stores.pool, [...expired, ...kept])).toEqual([...kept].sort());
    const droppedErrors = report.dropped.filter((p) => p.level === 'error');
    expect(droppedErrors.map((p) => p.name)).toEqual(
      [95, 94, 93, 92, 91].map((d) => partitionName('error', daysAgo(d))),
    );
    expect(droppedErrors.every((p) => p.reason === 'max-age')).toBe(true);
    expect(
      report.dropped
        .filter((p) => p.level === 'info' && p.upperBound <= daysAgo(90).toISOString())
        .every((p) => p.reason === 'max-age'),
    ).toBe(true);
    expect(report.rowsRemoved).toBe(2);
  });

  test('two runs at once do not conflict: exactly one does the work', async () => {
    await ensurePartitions(stores.pool, daysAgo(60), daysAgo(55));
    const ids = [];
    for (let day = 60; day > 55; day--) {
      for (const level of LOG_LEVELS)
        ids.push(await insertEntry(stores.pool, level, new Date(daysAgo(day).getTime() + 60_000)));
    }
    // past every level's retention, with what earlier tests left there
    const { rows: expired } = await stores.pool.query<{ name: string }>(
      'SELECT name FROM platform_log_partitions WHERE upper_bound <= $1 ORDER BY name',
      [daysAgo(30)],
    );
    const { rows: counted } = await stores.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM platform_logs WHERE tableoid::regclass::text = ANY($1::text[])',
      [expired.map((row) => row.name)],
    );

    const reports = await Promise.all([
      runRetention({ pool: stores.pool, ...policy }),
      runRetention({ pool: stores.pool, ...policy }),
    ]);

    expect(reports.map((report) => report.status).sort()).toEqual(['completed', 'skipped']);
    const dropped = reports.flatMap((report) => report.dropped.map((p) => p.name)).sort();
    expect(dropped).toEqual(expired.map((row) => row.name));
    expect(reports.reduce((sum, report) => sum + report.rowsRemoved, 0)).toBe(counted[0].n);
    expect(await storedIds(stores.pool, ids)).toEqual([]);
  });

  test('waits out a long reader without making writers queue behind it', async () => {
    await ensurePartitions(stores.pool, daysAgo(50), daysAgo(49));
    const expired = await insertEntry(stores.pool, 'info', daysAgo(50));
    const reader = await stores.pool.connect();
    let readerDone = 0;
    let writerDone = 0;
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM platform_logs_info');
      const release = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        await reader.query('COMMIT');
        readerDone = performance.now();
      })();
      const run = runRetention({ pool: stores.pool, ...policy });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const kept = await insertEntry(stores.pool, 'info', new Date(now.getTime() - 60_000));
      writerDone = performance.now();

      const [report] = await Promise.all([run, release]);

      expect(writerDone).toBeLessThan(readerDone);
      expect(report.dropped.find((p) => p.name === partitionName('info', daysAgo(50)))?.rows).toBe(1);
      expect(await storedIds(stores.pool, [expired, kept])).toEqual([kept]);
    } finally {
      reader.release();
    }
  });

  test('refuses retention settings that are not positive whole days, and changes nothing', async () => {
    await ensurePartitions(stores.pool, daysAgo(40), daysAgo(39));
    const before = await partitionsSnapshot(stores.pool);
    await expect(runRetention({ pool: stores.pool, ...policy, retentionDays: { info: 0 } })).rejects.toThrow(
      'retention days for info must be a positive whole number, got 0',
    );
    await expect(runRetention({ pool: stores.pool, ...policy, maxRetentionDays: 1.5 })).rejects.toThrow(
      'maximum retention days must be a positive whole number, got 1.5',
    );
    await expect(runRetention({ pool: stores.pool, now: new Date('not a date') })).rejects.toThrow(
      '`now` is not a valid date',
    );
    expect(await partitionsSnapshot(stores.pool)).toEqual(before);
  });

  test('deletes expired rows from the DEFAULT partitions, and only those', async () => {
    // times that no partition covers land in the level's DEFAULT partition
    const old = await insertEntry(stores.pool, 'warn', daysAgo(200));
    const future = await insertEntry(stores.pool, 'warn', new Date(now.getTime() + 400 * DAY));
    const { rows } = await stores.pool.query(
      'SELECT tableoid::regclass::text AS part FROM platform_logs WHERE id = ANY($1::uuid[])',
      [[old, future]],
    );
    expect(rows.map((row) => row.part)).toEqual(['platform_logs_warn_default', 'platform_logs_warn_default']);

    const dry = await runRetention({ pool: stores.pool, ...policy, dryRun: true });
    expect(dry.defaultPartitions).toEqual([{ name: 'platform_logs_warn_default', rows: 1 }]);
    expect(await storedIds(stores.pool, [old, future])).toEqual([old, future].sort());

    const report = await runRetention({ pool: stores.pool, ...policy });
    expect(report.defaultPartitions).toEqual([{ name: 'platform_logs_warn_default', rows: 1 }]);
    expect(report.rowsRemoved).toBe(1);
    expect(await storedIds(stores.pool, [old, future])).toEqual([future]);
  });
});
