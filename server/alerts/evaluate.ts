import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { HttpError } from '../http/errors.js';
import { withJobLock } from '../retention/run-lock.js';
import { whereClause } from '../store/filters.js';
import type { AlertCondition, AlertEventKind, AlertFilters, AlertState } from './api-types.js';
import { evaluateGroupRule } from './groups.js';
import {
  DEFAULT_RETRY,
  deliverDue,
  type AlertLogger,
  type DeliveryCounts,
  type NotifyContext,
  type RetryPolicy,
} from './notify.js';
import { confinedRuleFilters } from './rules.js';
import { loadSecretBox, type SecretBox } from './secrets.js';
import type { RuleRow } from './store.js';
import { DEFAULT_WEBHOOK_TIMEOUT_MS, type WebhookPolicy } from './webhook.js';

export const DEFAULT_ALERT_INTERVAL_MS = 60_000;
/**
 * A window is evaluated this long after it ends: entries reach PostgreSQL up to a flush
 * interval (LOG_FLUSH_INTERVAL_MS, 5 s) after they are logged, so a window evaluated at once
 * would miss its last seconds.
 */
export const DEFAULT_ALERT_DELAY_MS = 10_000;
/** At most this many windows per rule after a downtime: a day at the default interval. */
export const DEFAULT_MAX_CATCH_UP_WINDOWS = 1_440;

export interface AlertRunOptions {
  pool: pg.Pool;
  /** LOG_ALERT_INTERVAL_MS: windows end on multiples of it (since the epoch); a whole number of seconds. */
  intervalMs?: number;
  /** LOG_ALERT_DELAY_MS: how long after its end a window is evaluated. */
  delayMs?: number;
  maxCatchUpWindows?: number;
  /** Webhook address policy (LOG_ALERT_WEBHOOK_ALLOWED_HOSTS) and timeout. */
  webhook?: Partial<WebhookPolicy>;
  retry?: RetryPolicy;
  /** LOG_SERVER_SECRET, which webhook URLs and secrets are sealed with; or the box itself. */
  serverSecret?: string;
  box?: SecretBox;
  logger?: AlertLogger;
  now?: () => Date;
  /** Rules evaluated at once, each on a connection of `pool` (besides the one holding the lock). */
  concurrency?: number;
}

export interface AlertRunReport {
  status: 'completed' | 'skipped';
  at: string;
  rules: number;
  /** Windows evaluated, over every rule (more than the rules after a downtime). */
  windows: number;
  /** History events made: changes of state and error groups found. */
  events: number;
  /** Rules whose evaluation failed (logged; retried at the next run). */
  failed: number;
  deliveries: DeliveryCounts;
  durationMs: number;
}

export function checkInterval(intervalMs: number): void {
  if (!Number.isInteger(intervalMs) || intervalMs < 1000 || intervalMs % 1000 !== 0 || intervalMs > 3_600_000) {
    throw new Error(
      `alerts: the interval must be a whole number of seconds from 1 to 3600, in milliseconds; got ${intervalMs}`,
    );
  }
}

/** The end of the latest window that may be evaluated at `now`. */
export function latestWindowEnd(now: Date, intervalMs: number, delayMs: number): number {
  return Math.floor((now.getTime() - delayMs) / intervalMs) * intervalMs;
}

/**
 * The window ends a rule has still to evaluate, oldest first: every multiple of the interval
 * after the last one it evaluated, up to `latest` (at most `max`, the newest); only `latest`
 * for a rule never evaluated, since nothing is owed from before it existed.
 */
export function dueWindowEnds(
  evaluatedThrough: Date | null,
  latest: number,
  intervalMs: number,
  max: number,
): number[] {
  if (evaluatedThrough === null) return [latest];
  const first = Math.floor(evaluatedThrough.getTime() / intervalMs) * intervalMs + intervalMs;
  const ends: number[] = [];
  for (let end = Math.max(first, latest - (max - 1) * intervalMs); end <= latest; end += intervalMs) ends.push(end);
  return ends;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export interface CountedRule {
  query: string;
  filters: AlertFilters;
  tenantId: string | null;
  windowSeconds: number;
}

/**
 * The count of each window [end − window, end) of the rule, in one reading of the entries:
 * counted in buckets of the greatest common divisor of the interval and the window, which both
 * the starts and ends fall on, then summed per window. The entries are filtered by the API's
 * own filters (rules.ts ruleFilters → store/filters.ts whereClause), confined to the rule's tenant.
 */
export async function windowCounts(
  db: pg.Pool | pg.PoolClient,
  rule: CountedRule,
  ends: number[],
  intervalMs: number,
  now: Date,
): Promise<number[]> {
  if (ends.length === 0) return [];
  const windowMs = rule.windowSeconds * 1000;
  const bucketMs = gcd(intervalMs, windowMs);
  const from = ends[0] - windowMs;
  const to = ends[ends.length - 1];
  const filters = confinedRuleFilters(rule, { from: new Date(from), to: new Date(to) }, now);
  if (!filters) return ends.map(() => 0);
  const params: unknown[] = [];
  const where = whereClause(filters, params);
  params.push(bucketMs);
  const { rows } = await db.query<{ bucket: string; count: number }>(
    `SELECT floor(extract(epoch FROM "timestamp") * 1000 / $${params.length}::bigint)::bigint AS bucket, count(*)::int AS count
     FROM platform_logs ${where} GROUP BY 1`,
    params,
  );
  // prefix sums over the buckets of [from, to)
  const first = from / bucketMs;
  const sums = new Float64Array((to - from) / bucketMs + 1);
  for (const row of rows) {
    const index = Number(row.bucket) - first;
    if (index >= 0 && index < sums.length - 1) sums[index + 1] += row.count;
  }
  for (let i = 1; i < sums.length; i++) sums[i] += sums[i - 1];
  return ends.map((end) => sums[(end - from) / bucketMs] - sums[(end - windowMs - from) / bucketMs]);
}

export function conditionHolds(condition: AlertCondition, threshold: number, count: number): boolean {
  return condition === 'below' ? count < threshold : count > threshold;
}

export interface Transition {
  kind: 'firing' | 'resolved';
  end: number;
  value: number;
}

/** The changes of state over the counted windows, from `state`: ok or resolved → firing → resolved. */
export function transitions(
  state: AlertState,
  condition: AlertCondition,
  threshold: number,
  ends: number[],
  counts: number[],
): { state: AlertState; changes: Transition[] } {
  const changes: Transition[] = [];
  let current = state;
  ends.forEach((end, i) => {
    const holds = conditionHolds(condition, threshold, counts[i]);
    if (holds && current !== 'firing') {
      current = 'firing';
      changes.push({ kind: 'firing', end, value: counts[i] });
    } else if (!holds && current === 'firing') {
      current = 'resolved';
      changes.push({ kind: 'resolved', end, value: counts[i] });
    }
  });
  return { state: current, changes };
}

export interface NewEvent {
  kind: AlertEventKind;
  dedupeKey: string;
  windowStart: Date | null;
  windowEnd: Date;
  value: number | null;
  signature?: string | null;
  details?: Record<string, unknown>;
  /** none: recorded in the history, sends nothing. */
  notify: boolean;
}

/** Whether the rule's notifications are held back at `at`: muted, or snoozed until after it. */
export function suppressed(rule: Pick<RuleRow, 'muted' | 'snoozed_until'>, at: Date): boolean {
  return rule.muted || (rule.snoozed_until !== null && rule.snoozed_until.getTime() > at.getTime());
}

/**
 * Records what an evaluation found, in one transaction: the rule's new state and the windows it
 * evaluated, only if no other run got there first (evaluated_through is as it was read), and
 * the events, each at most once per rule and dedupe key. Returns the events made, or null when
 * another run had evaluated these windows.
 */
export async function recordEvaluation(
  pool: pg.Pool,
  rule: RuleRow,
  update: { state: AlertState; stateSince: Date | null; lastValue: number | null; evaluatedThrough: Date },
  events: NewEvent[],
  now: Date,
  /** More to write in the same transaction (an error-group rule's groups). */
  also?: (client: pg.PoolClient) => Promise<void>,
): Promise<number | null> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<Pick<RuleRow, 'muted' | 'snoozed_until'>>(
      `UPDATE platform_log_alert_rules SET state = $2, state_since = coalesce($3, state_since), last_value = $4, evaluated_through = $5,
         evaluation_error = NULL, evaluation_error_at = NULL
       WHERE id = $1 AND evaluated_through IS NOT DISTINCT FROM $6
       RETURNING muted, snoozed_until`,
      [rule.id, update.state, update.stateSince, update.lastValue, update.evaluatedThrough, rule.evaluated_through],
    );
    if (rows.length === 0) {
      await client.query('ROLLBACK');
      return null;
    }
    let made = 0;
    for (const event of events) {
      const delivery = !event.notify ? 'none' : suppressed(rows[0], event.windowEnd) ? 'suppressed' : 'pending';
      const { rowCount } = await client.query(
        `INSERT INTO platform_log_alert_events
           (id, rule_id, dedupe_key, kind, window_start, window_end, value, signature, details, delivery, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (rule_id, dedupe_key) DO NOTHING`,
        [
          randomUUID(),
          rule.id,
          event.dedupeKey,
          event.kind,
          event.windowStart,
          event.windowEnd,
          event.value,
          event.signature ?? null,
          JSON.stringify(event.details ?? {}),
          delivery,
          delivery === 'pending' ? now : null,
        ],
      );
      made += rowCount ?? 0;
    }
    await also?.(client);
    await client.query('COMMIT');
    return made;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Evaluations that changed nothing but the windows evaluated and the last count (most, every
 * minute): written together in one statement at the end of the run rather than one transaction
 * each, each still only if no other run got there first.
 */
export class QuietUpdates {
  private readonly rows: { id: string; old: Date | null; lastValue: number | null; through: Date }[] = [];

  add(rule: RuleRow, lastValue: number | null, through: Date): void {
    this.rows.push({ id: rule.id, old: rule.evaluated_through, lastValue, through });
  }

  async flush(pool: pg.Pool): Promise<void> {
    for (let start = 0; start < this.rows.length; start += 1_000) {
      const batch = this.rows.slice(start, start + 1_000);
      await pool.query(
        `UPDATE platform_log_alert_rules r SET evaluated_through = u.through, last_value = u.last_value, evaluation_error = NULL, evaluation_error_at = NULL
         FROM unnest($1::uuid[], $2::timestamptz[], $3::int[], $4::timestamptz[]) AS u(id, old, last_value, through)
         WHERE r.id = u.id AND r.evaluated_through IS NOT DISTINCT FROM u.old`,
        [
          batch.map((row) => row.id),
          batch.map((row) => row.old),
          batch.map((row) => row.lastValue),
          batch.map((row) => row.through),
        ],
      );
    }
    this.rows.length = 0;
  }
}

interface RuleOutcome {
  windows: number;
  events: number;
}

async function evaluateCountRule(
  pool: pg.Pool,
  rule: RuleRow,
  ends: number[],
  intervalMs: number,
  now: Date,
  quiet?: QuietUpdates,
): Promise<RuleOutcome> {
  const windowMs = rule.window_seconds! * 1000;
  const counts = await windowCounts(
    pool,
    { query: rule.query, filters: rule.filters, tenantId: rule.tenant_id, windowSeconds: rule.window_seconds! },
    ends,
    intervalMs,
    now,
  );
  const { state, changes } = transitions(rule.state, rule.condition ?? 'above', rule.threshold!, ends, counts);
  const last = changes[changes.length - 1];
  const events: NewEvent[] = changes.map((change) => ({
    kind: change.kind,
    dedupeKey: `${change.kind}:${new Date(change.end).toISOString()}`,
    windowStart: new Date(change.end - windowMs),
    windowEnd: new Date(change.end),
    value: change.value,
    details: { threshold: rule.threshold, condition: rule.condition, windowSeconds: rule.window_seconds },
    notify: true,
  }));
  if (events.length === 0 && quiet) {
    quiet.add(rule, counts[counts.length - 1], new Date(ends[ends.length - 1]));
    return { windows: ends.length, events: 0 };
  }
  const made = await recordEvaluation(
    pool,
    rule,
    {
      state,
      stateSince: last ? new Date(last.end) : null,
      lastValue: counts[counts.length - 1],
      evaluatedThrough: new Date(ends[ends.length - 1]),
    },
    events,
    now,
  );
  return { windows: made === null ? 0 : ends.length, events: made ?? 0 };
}

/** Evaluates one rule over the windows it is owed; what it found is recorded, nothing is sent. */
export async function evaluateRule(
  pool: pg.Pool,
  rule: RuleRow,
  options: { intervalMs: number; latest: number; maxCatchUpWindows: number; now: Date; quiet?: QuietUpdates },
): Promise<RuleOutcome> {
  const ends = dueWindowEnds(rule.evaluated_through, options.latest, options.intervalMs, options.maxCatchUpWindows);
  if (ends.length === 0) return { windows: 0, events: 0 };
  if (rule.kind === 'count') return evaluateCountRule(pool, rule, ends, options.intervalMs, options.now, options.quiet);
  return evaluateGroupRule(pool, rule, ends, options.intervalMs, options.now, options.quiet);
}

/** How long the history of a rule, and what its error-group rules know, are kept: the longest retention of entries. */
export const ALERT_HISTORY_DAYS = 90;

export async function pruneAlertHistory(pool: pg.Pool, now: Date): Promise<void> {
  const before = new Date(now.getTime() - ALERT_HISTORY_DAYS * 86_400_000);
  await pool.query(`DELETE FROM platform_log_alert_events WHERE window_end < $1 AND delivery <> 'pending'`, [before]);
  await pool.query('DELETE FROM platform_log_alert_groups WHERE last_seen < $1', [before]);
}

export function webhookPolicy(partial: Partial<WebhookPolicy> | undefined): WebhookPolicy {
  return { allowedHosts: [], timeoutMs: DEFAULT_WEBHOOK_TIMEOUT_MS, ...partial };
}

/**
 * One run of the alerts, as the Inngest cron, the built-in timer and the tests call it: every
 * rule evaluated over the windows it is owed (a day at most after a downtime), then the
 * notifications due sent. One run at a time across processes (an advisory lock; a second run
 * skips); a window evaluated twice anyway (a lost lock) finds its events already made, since
 * each is made once per rule and window.
 */
export async function runAlerts(options: AlertRunOptions): Promise<AlertRunReport> {
  const started = Date.now();
  const clock = options.now ?? (() => new Date());
  const now = clock();
  const intervalMs = options.intervalMs ?? DEFAULT_ALERT_INTERVAL_MS;
  checkInterval(intervalMs);
  const latest = latestWindowEnd(now, intervalMs, options.delayMs ?? DEFAULT_ALERT_DELAY_MS);
  const maxCatchUpWindows = options.maxCatchUpWindows ?? DEFAULT_MAX_CATCH_UP_WINDOWS;
  const empty: DeliveryCounts = { delivered: 0, retrying: 0, failed: 0 };
  const report: AlertRunReport = {
    status: 'completed',
    at: now.toISOString(),
    rules: 0,
    windows: 0,
    events: 0,
    failed: 0,
    deliveries: empty,
    durationMs: 0,
  };

  const run = await withJobLock(options.pool, 'platform_log_alerts', async (client) => {
    const box = options.box ?? (await loadSecretBox(client, options.serverSecret));
    const { rows: rules } = await client.query<RuleRow>('SELECT * FROM platform_log_alert_rules ORDER BY id');
    report.rules = rules.length;
    const queue = [...rules];
    const quiet = new QuietUpdates();
    const worker = async () => {
      for (let rule = queue.shift(); rule; rule = queue.shift()) {
        try {
          const outcome = await evaluateRule(options.pool, rule, { intervalMs, latest, maxCatchUpWindows, now, quiet });
          report.windows += outcome.windows;
          report.events += outcome.events;
        } catch (error) {
          report.failed += 1;
          options.logger?.error('alert rule evaluation failed', error, { alert: { ruleId: rule.id } });
          // shown on the rule: a query refused names its field; anything else is in the logs
          const shown =
            error instanceof HttpError
              ? `${error.parameter ? `${error.parameter}: ` : ''}${error.message}`
              : 'the evaluation failed; it is tried again at every run';
          await options.pool
            .query(
              'UPDATE platform_log_alert_rules SET evaluation_error = $2, evaluation_error_at = $3 WHERE id = $1',
              [rule.id, shown, now],
            )
            .catch(() => {});
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 3, rules.length)) }, worker));
    await quiet.flush(options.pool);
    // once an hour: history and known error groups past the longest retention go
    if (Math.floor(latest / intervalMs) % Math.max(1, Math.round(3_600_000 / intervalMs)) === 0)
      await pruneAlertHistory(options.pool, now);
    const context: NotifyContext = {
      pool: options.pool,
      box,
      policy: webhookPolicy(options.webhook),
      retry: options.retry ?? DEFAULT_RETRY,
      now: clock,
      logger: options.logger,
    };
    report.deliveries = await deliverDue(context);
  });
  if (!run.acquired) report.status = 'skipped';
  report.durationMs = Date.now() - started;
  return report;
}
