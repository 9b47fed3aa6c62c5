import type pg from 'pg';
import { payloadBody, eventType } from './payloads.js';
import type { SecretBox } from './secrets.js';
import type { EventRow, RuleRow } from './store.js';
import { deliverWebhook, type DeliveryResult, type WebhookPolicy } from './webhook.js';

export interface AlertLogger {
  info(message: string, data?: Record<string, unknown>): void;
  warn?(message: string, data?: Record<string, unknown>): void;
  error(message: string, err?: unknown, data?: Record<string, unknown>): void;
}

/**
 * Attempts per notification, and the wait before each retry: `baseMs` × 3^(attempt − 1), plus
 * up to 10% so that many failed deliveries do not all come back at once. Retries are made by
 * the runs that follow (every interval), so a wait shorter than the interval waits for the next.
 */
export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
}

/** 6 attempts over about 30 minutes: at once, then after about 15 s, 45 s, 2¼ min, 7 min, 20 min. */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseMs: 15_000 };

export function retryDelayMs(retry: RetryPolicy, attempts: number, random: () => number = Math.random): number {
  const delay = retry.baseMs * 3 ** Math.max(0, attempts - 1);
  return Math.round(delay * (1 + 0.1 * random()));
}

export interface NotifyContext {
  pool: pg.Pool;
  box: SecretBox;
  policy: WebhookPolicy;
  retry: RetryPolicy;
  now: () => Date;
  logger?: AlertLogger;
}

/**
 * One attempt at an event's notification, its outcome recorded on the event and on the rule
 * (what GET /alerts shows as `delivery`). `final` makes a failure the last attempt (a test-fire).
 */
export async function attemptDelivery(
  context: NotifyContext,
  rule: RuleRow,
  event: EventRow,
  final = false,
): Promise<DeliveryResult> {
  const at = context.now();
  const result = await deliverWebhook(
    {
      url: context.box.open(rule.webhook_url),
      secret: context.box.open(rule.signing_secret),
      format: rule.webhook_format,
      id: event.id,
      eventType: eventType(event.kind),
      body: payloadBody(rule, event, at),
    },
    context.policy,
    () => at.getTime(),
  );
  const attempts = event.attempts + 1;
  const done = context.now();
  if (result.ok) {
    await context.pool.query(
      `UPDATE platform_log_alert_events SET delivery = 'delivered', attempts = $2, delivered_at = $3, last_error = NULL, next_attempt_at = NULL WHERE id = $1`,
      [event.id, attempts, done],
    );
    await context.pool.query(
      `UPDATE platform_log_alert_rules SET delivery_status = 'ok', delivery_error = NULL, delivery_at = $2, delivery_failures = 0 WHERE id = $1`,
      [rule.id, done],
    );
    return result;
  }
  const failed = final || attempts >= context.retry.maxAttempts;
  const next = failed ? null : new Date(done.getTime() + retryDelayMs(context.retry, attempts));
  await context.pool.query(
    `UPDATE platform_log_alert_events SET delivery = $2, attempts = $3, last_error = $4, next_attempt_at = $5 WHERE id = $1`,
    [event.id, failed ? 'failed' : 'pending', attempts, result.error, next],
  );
  await context.pool.query(
    `UPDATE platform_log_alert_rules SET delivery_status = $2, delivery_error = $3, delivery_at = $4, delivery_failures = delivery_failures + 1 WHERE id = $1`,
    [rule.id, failed ? 'failed' : 'retrying', result.error, done],
  );
  // the rule and event ids, never the URL: its path or query may be a credential
  context.logger?.warn?.('alert webhook delivery failed', {
    alert: {
      ruleId: rule.id,
      eventId: event.id,
      attempt: attempts,
      final: failed,
      error: result.error,
      status: result.status,
    },
  });
  return result;
}

export interface DeliveryCounts {
  delivered: number;
  retrying: number;
  failed: number;
}

/**
 * Sends the notifications that are due, at most `limit`, a few rules at a time and each
 * rule's in the order of their windows.
 */
export async function deliverDue(context: NotifyContext, limit = 500, concurrency = 8): Promise<DeliveryCounts> {
  const counts: DeliveryCounts = { delivered: 0, retrying: 0, failed: 0 };
  const { rows: events } = await context.pool.query<EventRow>(
    `SELECT * FROM platform_log_alert_events
     WHERE delivery = 'pending' AND next_attempt_at <= $1
     ORDER BY next_attempt_at, window_end, id LIMIT $2`,
    [context.now(), limit],
  );
  if (events.length === 0) return counts;
  const { rows: rules } = await context.pool.query<RuleRow>(
    `SELECT * FROM platform_log_alert_rules WHERE id = ANY($1::uuid[])`,
    [[...new Set(events.map((event) => event.rule_id))]],
  );
  const byRule = new Map<string, EventRow[]>();
  for (const event of events) byRule.set(event.rule_id, [...(byRule.get(event.rule_id) ?? []), event]);
  const queue = rules.map((rule) => ({
    rule,
    events: byRule.get(rule.id)!.sort((a, b) => a.window_end.getTime() - b.window_end.getTime()),
  }));
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      for (const event of next.events) {
        try {
          const result = await attemptDelivery(context, next.rule, event);
          if (result.ok) counts.delivered += 1;
          else if (event.attempts + 1 >= context.retry.maxAttempts) counts.failed += 1;
          else counts.retrying += 1;
        } catch (error) {
          context.logger?.error('alert delivery could not be recorded', error, {
            alert: { ruleId: next.rule.id, eventId: event.id },
          });
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  return counts;
}
