import type pg from 'pg';
import { recordEvaluation } from './evaluate.js';
import type { RuleRow } from './store.js';

/** Error-group rules (new groups, regressions). */
export async function evaluateGroupRule(
  pool: pg.Pool,
  rule: RuleRow,
  ends: number[],
  _intervalMs: number,
  now: Date,
): Promise<{ windows: number; events: number }> {
  const made = await recordEvaluation(
    pool,
    rule,
    { state: rule.state, stateSince: null, lastValue: 0, evaluatedThrough: new Date(ends[ends.length - 1]) },
    [],
    now,
  );
  return { windows: made === null ? 0 : ends.length, events: made ?? 0 };
}

/** How often an error-group rule would have fired over the windows. */
export async function previewGroupRule(
  _pool: pg.Pool,
  _rule: import('./rules.js').RuleDefinition,
  _tenantId: string | null,
  _ends: number[],
  _now: Date,
): Promise<Pick<import('./api-types.js').AlertPreview, 'firings' | 'periods' | 'counts'>> {
  return { firings: 0, periods: [], counts: [] };
}
