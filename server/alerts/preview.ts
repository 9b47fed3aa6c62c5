import type pg from 'pg';
import type { AlertPreview } from './api-types.js';
import { latestWindowEnd, transitions, windowCounts } from './evaluate.js';
import { previewGroupRule } from './groups.js';
import type { RuleDefinition } from './rules.js';

const DAY_MS = 86_400_000;
/** The most points of `counts` answered; more evaluations are shown by their peak per point. */
const MAX_POINTS = 1_440;

export interface PreviewOptions {
  intervalMs: number;
  delayMs: number;
  now: Date;
}

/**
 * How the rule would have behaved over the last 24 hours, evaluated exactly as the runs
 * evaluate it (the same windows, counts and changes of state), from an ok state.
 */
export async function previewRule(
  pool: pg.Pool,
  rule: RuleDefinition,
  tenantId: string | null,
  options: PreviewOptions,
): Promise<AlertPreview> {
  const { intervalMs } = options;
  const latest = latestWindowEnd(options.now, intervalMs, options.delayMs);
  const ends: number[] = [];
  for (let end = latest - DAY_MS + intervalMs; end <= latest; end += intervalMs) ends.push(end);
  const base = {
    from: new Date(ends[0] - intervalMs).toISOString(),
    to: new Date(latest).toISOString(),
    intervalSeconds: intervalMs / 1000,
    evaluations: ends.length,
  };
  if (rule.kind !== 'count')
    return { ...base, ...(await previewGroupRule(pool, rule, tenantId, ends, intervalMs, options.now)) };

  const counts = await windowCounts(
    pool,
    { query: rule.query, filters: rule.filters, tenantId, windowSeconds: rule.windowSeconds! },
    ends,
    intervalMs,
    options.now,
  );
  const { changes } = transitions('ok', rule.condition ?? 'above', rule.threshold!, ends, counts);
  const periods: AlertPreview['periods'] = [];
  for (const change of changes) {
    if (change.kind === 'firing')
      periods.push({ start: new Date(change.end).toISOString(), end: null, peak: change.value });
    else periods[periods.length - 1].end = new Date(change.end).toISOString();
  }
  // each period's peak: the largest count while it fired (the smallest, for a "below" rule)
  const below = rule.condition === 'below';
  for (const period of periods) {
    const start = Date.parse(period.start);
    const end = period.end === null ? Infinity : Date.parse(period.end);
    for (let i = 0; i < ends.length; i++) {
      if (ends[i] >= start && ends[i] < end)
        period.peak = below ? Math.min(period.peak, counts[i]) : Math.max(period.peak, counts[i]);
    }
  }
  const step = Math.ceil(ends.length / MAX_POINTS);
  const points: AlertPreview['counts'] = [];
  for (let i = 0; i < ends.length; i += step) {
    const slice = counts.slice(i, i + step);
    points.push({
      at: new Date(ends[Math.min(i + step, ends.length) - 1]).toISOString(),
      count: below ? Math.min(...slice) : Math.max(...slice),
    });
  }
  return { ...base, firings: periods.length, periods, counts: points };
}
