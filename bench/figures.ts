/**
 * Each benchmark's result as figures of the common table, each beside the baseline measured
 * in the same run, with the goal the project set for it.
 */
import type { AggregatesBenchResult } from './aggregates.js';
import type { IngestBenchResult } from './ingest.js';
import type { LiveLatencyBenchResult, LatencySummary } from './live-latency.js';
import { CALLER_OFF, CALLER_ON, PINO_CALLER, RAW_PINO, type BenchRow } from './logger.js';
import type { Figure } from './report.js';
import type { RetentionBenchResult } from './retention.js';
import type { SearchBenchResult } from './search.js';

function named<T extends { name: string }>(rows: T[], name: (n: string) => boolean, what: string): T {
  const row = rows.find((r) => name(r.name));
  if (!row) throw new Error(`benchmark result has no ${what}`);
  return row;
}

export function loggerFigures(rows: BenchRow[]): Figure[] {
  const raw = named(rows, (n) => n === RAW_PINO, 'raw pino row');
  const againstRaw = rows
    .filter((row) => row !== raw)
    .map((row) => ({
      benchmark: 'logger',
      measure: `${row.name} (CPU time)`,
      value: row.opsPerSecond,
      unit: 'ops/s',
      baseline: { name: 'raw pino, same sink', value: raw.opsPerSecond },
      goal:
        row.name === CALLER_ON
          ? { on: 'ratio' as const, atLeast: 0.45 }
          : row.name === CALLER_OFF
            ? { on: 'ratio' as const, atLeast: 0.9 }
            : undefined,
    }));
  const pinoCaller = rows.find((row) => row.name === PINO_CALLER);
  const callerOn = named(rows, (n) => n === CALLER_ON, 'caller-on row');
  const againstPinoCaller = pinoCaller
    ? [
        {
          benchmark: 'logger',
          measure: `${CALLER_ON} (CPU time)`,
          value: callerOn.opsPerSecond,
          unit: 'ops/s',
          baseline: { name: `${PINO_CALLER}, same sink`, value: pinoCaller.opsPerSecond },
          goal: { on: 'ratio' as const, atLeast: 3 },
        },
      ]
    : [];
  return [...againstRaw, ...againstPinoCaller];
}

export function ingestFigures(result: IngestBenchResult): Figure[] {
  const figures: Figure[] = [
    {
      benchmark: 'ingest',
      measure: 'end to end: logger → worker → committed rows',
      value: result.endToEndPerSecond,
      unit: 'rows/s',
      baseline: {
        name: `raw COPY, one statement (medians of ${result.endToEndRunsPerSecond.length} runs between ${result.rawCopyRunsPerSecond.length})`,
        value: result.rawCopyPerSecond,
      },
      goal: { on: 'ratio', atLeast: 0.8 },
    },
    {
      benchmark: 'ingest',
      measure: 'transport worker CPU per line: parse, normalize, COPY text',
      value: result.transportCpu.perLineMicros,
      unit: 'µs',
      baseline: { name: 'JSON.parse of the same line', value: result.transportCpu.parseOnlyMicros },
    },
  ];
  for (const size of result.perBatchSize) {
    figures.push({
      benchmark: 'ingest',
      measure: `INSERT … unnest, batches of ${size.batchSize.toLocaleString('en-US')}`,
      value: size.unnestPerSecond,
      unit: 'rows/s',
      baseline: { name: 'COPY + staging, same batches', value: size.copyStagingPerSecond },
    });
  }
  figures.push({
    benchmark: 'ingest',
    measure: 'INSERT … unnest with the tsvector column + GIN index',
    value: result.fullText.withPerSecond,
    unit: 'rows/s',
    baseline: { name: 'same, without them', value: result.fullText.withoutPerSecond },
  });
  return figures;
}

const isBaseline = (name: string) => name.startsWith('baseline');

export function searchFigures(result: SearchBenchResult): Figure[] {
  const baseline = named(result.queries, isBaseline, 'baseline query');
  return result.queries
    .filter((query) => query !== baseline)
    .flatMap((query) =>
      (['p50Ms', 'p95Ms'] as const).map((key) => ({
        benchmark: 'search',
        measure: `${query.name}, first page, ${key.slice(0, 3)}`,
        value: query[key],
        unit: 'ms',
        baseline: { name: `newest page of 24 h, ${key.slice(0, 3)}`, value: baseline[key] },
      })),
    );
}

export function exportFigures(result: SearchBenchResult): Figure[] {
  const baseline = named(result.export, isBaseline, 'baseline export');
  return result.export
    .filter((run) => !isBaseline(run.name))
    .map((run) => ({
      benchmark: 'export',
      measure: `${run.name} (${run.rows.toLocaleString('en-US')} rows)`,
      value: run.rowsPerSecond,
      unit: 'rows/s',
      baseline: { name: baseline.name.replace(/^baseline: /, ''), value: baseline.rowsPerSecond },
      goal: { on: 'value', atLeast: 100_000 },
    }));
}

/** The entries counted for the aggregates goal (a 30-day, all-tenant view under 300 ms). */
const AGGREGATES_GOAL_ROWS = 1_000_000;

export function aggregatesFigures(result: AggregatesBenchResult): Figure[] {
  const { templates } = result;
  const generalize = `generalizeMessage over ${result.messages} labelled lines, one core`;
  const figures: Figure[] = [
    {
      benchmark: 'aggregates',
      measure: generalize,
      value: templates.generalizeMessage,
      unit: 'messages/s',
      baseline: { name: 'one regex replace', value: templates.oneRegex },
    },
    {
      benchmark: 'aggregates',
      measure: generalize,
      value: templates.generalizeMessage,
      unit: 'messages/s',
      baseline: { name: 'identity function', value: templates.identity },
    },
  ];
  for (const rollup of result.views.filter((v) => v.source === 'rollup')) {
    const entries = result.views.find((v) => v.source === 'entries' && v.view === rollup.view);
    if (!entries) throw new Error(`aggregates benchmark result has no entries row for ${rollup.view}`);
    const goal = rollup.view.startsWith('30 days, all tenants')
      ? {
          on: 'value' as const,
          atMost: 300,
          statedFor: result.rows < AGGREGATES_GOAL_ROWS ? 'at 1M entries' : undefined,
        }
      : undefined;
    for (const key of ['p50Ms', 'p95Ms'] as const) {
      figures.push({
        benchmark: 'aggregates',
        measure: `${rollup.view} (${rollup.groups} groups), with the rollup, ${key.slice(0, 3)}`,
        value: rollup[key],
        unit: 'ms',
        baseline: { name: `same view from the entries only, ${key.slice(0, 3)}`, value: entries[key] },
        goal,
      });
    }
  }
  return figures;
}

export function liveLatencyFigures(result: LiveLatencyBenchResult): Figure[] {
  const raw = result.rawRedis;
  const latency = (path: string, summary: LatencySummary, key: keyof LatencySummary, goalMs?: number): Figure => ({
    benchmark: 'live latency',
    measure: `${path}, ${key.slice(0, 3)}`,
    value: summary[key],
    unit: 'ms',
    baseline: { name: `raw XADD → XREAD BLOCK, ${key.slice(0, 3)}`, value: raw[key] },
    goal: goalMs === undefined ? undefined : { on: 'value', atMost: goalMs },
  });
  const redisPath = 'logger.error() → Redis → hub → WebSocket';
  const postgresPath = 'logger.error() → PostgreSQL → poll → WebSocket (no Redis)';
  return [
    latency(redisPath, result.loggerToClientRedis, 'p50Ms'),
    latency(redisPath, result.loggerToClientRedis, 'p95Ms'),
    latency(redisPath, result.loggerToClientRedis, 'p99Ms', 100),
    latency(postgresPath, result.loggerToClientPostgresOnly, 'p50Ms'),
    latency(postgresPath, result.loggerToClientPostgresOnly, 'p99Ms'),
    {
      benchmark: 'live latency',
      measure: `server heap per idle stream client (${result.idleClients} clients${result.heapMeasuredAfterGc ? '' : ', without --expose-gc: rough'})`,
      value: result.heapBytesPerIdleClient / 1024,
      unit: 'KiB',
    },
  ];
}

export function retentionFigures(result: RetentionBenchResult): Figure[] {
  const approach = <T extends { approach: string }>(rows: T[], prefix: string) =>
    named(
      rows.map((row) => ({ ...row, name: row.approach })),
      (n) => n.startsWith(prefix),
      `'${prefix}' row`,
    );
  const drop = approach(result.expiry, 'runRetention');
  const del = approach(result.expiry, 'DELETE');
  const vacuum = approach(result.expiry, '  then VACUUM');
  const dropQueued = approach(result.lockQueue, 'runRetention');
  const dropUnbounded = approach(result.lockQueue, 'DROP TABLE');
  const day = `a day of ${result.rows.toLocaleString('en-US')} INFO entries`;
  return [
    {
      benchmark: 'retention',
      measure: `expire ${day}: runRetention (DROP partition)`,
      value: drop.ms,
      unit: 'ms',
      baseline: { name: 'DELETE of the same rows', value: del.ms },
    },
    {
      benchmark: 'retention',
      measure: 'INFO table size after runRetention',
      value: drop.bytesAfter / 1_048_576,
      unit: 'MB',
      baseline: { name: 'after DELETE + VACUUM', value: vacuum.bytesAfter / 1_048_576 },
    },
    {
      benchmark: 'retention',
      measure: 'max insert wait during runRetention',
      value: drop.maxInsertMs,
      unit: 'ms',
      baseline: { name: 'during DELETE', value: del.maxInsertMs },
    },
    {
      benchmark: 'retention',
      measure: `max insert wait, runRetention behind a ${result.readerMs.toLocaleString('en-US')} ms reader`,
      value: dropQueued.maxInsertMs,
      unit: 'ms',
      baseline: { name: 'DROP TABLE without lock timeout', value: dropUnbounded.maxInsertMs },
    },
  ];
}
