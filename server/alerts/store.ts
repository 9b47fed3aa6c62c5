import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Principal } from '../../src/api-types.js';
import type {
  AlertEvent,
  AlertFilters,
  AlertRule,
  AlertState,
  DeliveryStatus,
  EventDelivery,
  AlertEventKind,
  WebhookFormat,
  AlertKind,
  AlertCondition,
} from './api-types.js';
import type { RuleDefinition } from './rules.js';

/** A rule as stored, its webhook URL and secret still sealed. */
export interface RuleRow {
  id: string;
  tenant_id: string | null;
  name: string;
  kind: AlertKind;
  query: string;
  filters: AlertFilters;
  window_seconds: number | null;
  condition: AlertCondition | null;
  threshold: number | null;
  quiet_seconds: number | null;
  webhook_format: WebhookFormat;
  webhook_url: Buffer;
  webhook_origin: string;
  signing_secret: Buffer;
  muted: boolean;
  snoozed_until: Date | null;
  state: AlertState;
  state_since: Date;
  last_value: number | null;
  evaluated_through: Date | null;
  evaluation_error: string | null;
  evaluation_error_at: Date | null;
  delivery_status: DeliveryStatus | null;
  delivery_error: string | null;
  delivery_at: Date | null;
  delivery_failures: number;
  created_at: Date;
  updated_at: Date;
}

export interface EventRow {
  id: string;
  rule_id: string;
  dedupe_key: string;
  kind: AlertEventKind;
  window_start: Date | null;
  window_end: Date;
  value: number | null;
  signature: string | null;
  details: Record<string, unknown>;
  created_at: Date;
  delivery: EventDelivery;
  attempts: number;
  next_attempt_at: Date | null;
  last_error: string | null;
  delivered_at: Date | null;
}

type Queryable = pg.Pool | pg.PoolClient;

export function ruleDefinition(row: RuleRow): RuleDefinition {
  return {
    name: row.name,
    kind: row.kind,
    query: row.query,
    filters: row.filters,
    windowSeconds: row.window_seconds,
    condition: row.condition,
    threshold: row.threshold,
    quietSeconds: row.quiet_seconds,
    muted: row.muted,
    snoozedUntil: row.snoozed_until,
  };
}

/** The rule as the API answers it: no webhook URL beyond its origin, no secret. */
export function ruleToApi(row: RuleRow): AlertRule {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    tenantId: row.tenant_id,
    query: row.query,
    filters: row.filters,
    windowSeconds: row.window_seconds,
    condition: row.condition,
    threshold: row.threshold,
    quietSeconds: row.quiet_seconds,
    webhook: { format: row.webhook_format, origin: row.webhook_origin },
    muted: row.muted,
    snoozedUntil: row.snoozed_until?.toISOString() ?? null,
    state: row.state,
    stateSince: row.state_since.toISOString(),
    lastValue: row.last_value,
    evaluatedThrough: row.evaluated_through?.toISOString() ?? null,
    evaluationError:
      row.evaluation_error === null || row.evaluation_error_at === null
        ? null
        : { error: row.evaluation_error, at: row.evaluation_error_at.toISOString() },
    delivery:
      row.delivery_status === null || row.delivery_at === null
        ? null
        : {
            status: row.delivery_status,
            error: row.delivery_error,
            at: row.delivery_at.toISOString(),
            consecutiveFailures: row.delivery_failures,
          },
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function eventToApi(row: EventRow): AlertEvent {
  return {
    id: row.id,
    kind: row.kind,
    windowStart: row.window_start?.toISOString() ?? null,
    windowEnd: row.window_end.toISOString(),
    value: row.value,
    signature: row.signature,
    details: row.details,
    createdAt: row.created_at.toISOString(),
    delivery: row.delivery,
    attempts: row.attempts,
    lastError: row.last_error,
    deliveredAt: row.delivered_at?.toISOString() ?? null,
  };
}

/** `AND …` keeping to the rules a principal may see: a tenant key only its tenant's. */
function visibleTo(principal: Principal, params: unknown[]): string {
  if (principal.scope === 'platform') return '';
  params.push(principal.tenantId);
  return `AND tenant_id = $${params.length}`;
}

export interface NewRule {
  definition: RuleDefinition;
  tenantId: string | null;
  webhook: { format: WebhookFormat; sealedUrl: Buffer; origin: string; sealedSecret: Buffer };
}

export async function insertRule(pool: Queryable, rule: NewRule): Promise<RuleRow> {
  const { definition: d, webhook } = rule;
  const { rows } = await pool.query<RuleRow>(
    `INSERT INTO platform_log_alert_rules
       (id, tenant_id, name, kind, query, filters, window_seconds, condition, threshold, quiet_seconds,
        webhook_format, webhook_url, webhook_origin, signing_secret, muted, snoozed_until)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
     RETURNING *`,
    [
      randomUUID(),
      rule.tenantId,
      d.name,
      d.kind,
      d.query,
      JSON.stringify(d.filters),
      d.windowSeconds,
      d.condition,
      d.threshold,
      d.quietSeconds,
      webhook.format,
      webhook.sealedUrl,
      webhook.origin,
      webhook.sealedSecret,
      d.muted,
      d.snoozedUntil,
    ],
  );
  return rows[0];
}

export async function listRules(pool: Queryable, principal: Principal): Promise<RuleRow[]> {
  const params: unknown[] = [];
  const { rows } = await pool.query<RuleRow>(
    `SELECT * FROM platform_log_alert_rules WHERE true ${visibleTo(principal, params)} ORDER BY created_at, id`,
    params,
  );
  return rows;
}

/** The rule, or null when it does not exist or the principal may not see it. */
export async function getRule(
  pool: Queryable,
  principal: Principal,
  id: string,
  lock = false,
): Promise<RuleRow | null> {
  const params: unknown[] = [id];
  const { rows } = await pool.query<RuleRow>(
    `SELECT * FROM platform_log_alert_rules WHERE id = $1 ${visibleTo(principal, params)} ${lock ? 'FOR UPDATE' : ''}`,
    params,
  );
  return rows[0] ?? null;
}

export interface RuleUpdate {
  definition: RuleDefinition;
  webhook?: { format: WebhookFormat; sealedUrl?: Buffer; origin?: string; sealedSecret?: Buffer };
}

export async function updateRule(pool: Queryable, id: string, update: RuleUpdate): Promise<RuleRow> {
  const { definition: d, webhook } = update;
  const { rows } = await pool.query<RuleRow>(
    `UPDATE platform_log_alert_rules SET
       name = $2, query = $3, filters = $4, window_seconds = $5, condition = $6, threshold = $7, quiet_seconds = $8,
       muted = $9, snoozed_until = $10,
       webhook_format = coalesce($11, webhook_format),
       webhook_url = coalesce($12, webhook_url),
       webhook_origin = coalesce($13, webhook_origin),
       signing_secret = coalesce($14, signing_secret),
       updated_at = now()
     WHERE id = $1
     RETURNING *`,
    [
      id,
      d.name,
      d.query,
      JSON.stringify(d.filters),
      d.windowSeconds,
      d.condition,
      d.threshold,
      d.quietSeconds,
      d.muted,
      d.snoozedUntil,
      webhook?.format ?? null,
      webhook?.sealedUrl ?? null,
      webhook?.origin ?? null,
      webhook?.sealedSecret ?? null,
    ],
  );
  return rows[0];
}

export async function deleteRule(pool: Queryable, principal: Principal, id: string): Promise<boolean> {
  const params: unknown[] = [id];
  const { rowCount } = await pool.query(
    `DELETE FROM platform_log_alert_rules WHERE id = $1 ${visibleTo(principal, params)}`,
    params,
  );
  return (rowCount ?? 0) > 0;
}

export class InvalidHistoryCursorError extends Error {}

/** A page of a rule's history, newest first, keyset on (window_end, id). */
export async function ruleHistory(
  pool: Queryable,
  ruleId: string,
  limit: number,
  cursor: string | undefined,
): Promise<{ events: EventRow[]; nextCursor: string | null }> {
  const params: unknown[] = [ruleId, limit + 1];
  let after = '';
  if (cursor !== undefined) {
    const [end, id] = decodeHistoryCursor(cursor);
    params.push(end, id);
    after = `AND (window_end, id) < ($3::timestamptz, $4::uuid)`;
  }
  const { rows } = await pool.query<EventRow & { window_end_exact: string }>(
    `SELECT *, to_char(window_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS window_end_exact
     FROM platform_log_alert_events WHERE rule_id = $1 ${after}
     ORDER BY window_end DESC, id DESC LIMIT $2`,
    params,
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    events: page,
    nextCursor:
      rows.length > limit ? Buffer.from(JSON.stringify([last.window_end_exact, last.id])).toString('base64url') : null,
  };
}

const EXACT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function decodeHistoryCursor(cursor: string): [string, string] {
  try {
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw new Error('not base64url');
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      EXACT_TIME.test(value[0]) &&
      !Number.isNaN(Date.parse(value[0])) &&
      UUID.test(value[1])
    ) {
      return value as [string, string];
    }
  } catch {
    // answered below
  }
  throw new InvalidHistoryCursorError('is not a cursor this server made');
}
