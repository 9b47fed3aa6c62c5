/**
 * Shapes of the alerts API (docs/api.md, "Alerts"), shared by the server and the web UI.
 * Types only: the UI imports this file.
 */

export const ALERT_KINDS = ['count', 'new_group', 'regression'] as const;
/** count: entries matching a query in a window; new_group: a signature seen for the first time; regression: a group back after a quiet period or in a newer version. */
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ALERT_CONDITIONS = ['above', 'below'] as const;
/** above: fires when the count is over the threshold; below: when it is under it ("went quiet"). */
export type AlertCondition = (typeof ALERT_CONDITIONS)[number];

export const ALERT_STATES = ['ok', 'firing', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const WEBHOOK_FORMATS = ['json', 'slack'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** The structured filters of a rule, with the query API's parameter names. */
export interface AlertFilters {
  level?: string[];
  service?: string[];
  tenantId?: string;
  tenantSlug?: string;
  userId?: string;
  requestId?: string;
  traceId?: string;
  errorSignature?: string;
}

export type DeliveryStatus = 'ok' | 'retrying' | 'failed';

/** A rule as the API answers it: never its webhook URL (only its origin) nor its signing secret. */
export interface AlertRule {
  id: string;
  name: string;
  kind: AlertKind;
  /** The tenant whose entries the rule counts; null for a platform-wide rule. */
  tenantId: string | null;
  query: string;
  filters: AlertFilters;
  /** count rules: the window counted at each evaluation. */
  windowSeconds: number | null;
  condition: AlertCondition | null;
  threshold: number | null;
  /** regression rules: how long a group must have been quiet to count as back. */
  quietSeconds: number | null;
  webhook: { format: WebhookFormat; origin: string };
  muted: boolean;
  snoozedUntil: string | null;
  state: AlertState;
  stateSince: string;
  /** The count of the last window evaluated (count rules), or the groups it found (error-group rules). */
  lastValue: number | null;
  /** The end of the last window evaluated; null before the first evaluation. */
  evaluatedThrough: string | null;
  /** Why the last evaluation failed (its query or filters are refused), until one succeeds. */
  evaluationError: { error: string; at: string } | null;
  /** The last delivery attempt: null before any. */
  delivery: { status: DeliveryStatus; error: string | null; at: string; consecutiveFailures: number } | null;
  createdAt: string;
  updatedAt: string;
}

/** The answer to POST /alerts: the rule, and its signing secret, shown this once. */
export interface CreatedAlertRule extends AlertRule {
  webhook: { format: WebhookFormat; origin: string; secret: string };
}

export interface AlertRuleList {
  rules: AlertRule[];
}

export type AlertEventKind = 'firing' | 'resolved' | 'new_group' | 'regression' | 'test';
export type EventDelivery = 'pending' | 'delivered' | 'failed' | 'suppressed' | 'none';

/** One entry of a rule's history: a change of state or an error group found, and its notification. */
export interface AlertEvent {
  id: string;
  kind: AlertEventKind;
  windowStart: string | null;
  windowEnd: string;
  value: number | null;
  signature: string | null;
  details: Record<string, unknown>;
  createdAt: string;
  delivery: EventDelivery;
  attempts: number;
  lastError: string | null;
  deliveredAt: string | null;
}

export interface AlertHistory {
  events: AlertEvent[];
  nextCursor: string | null;
}

/** POST /alerts/:id/test. */
export interface TestFireResult {
  delivered: boolean;
  /** The receiver's HTTP status, when it answered. */
  status: number | null;
  error: string | null;
  event: AlertEvent;
}

/** POST /alerts/preview: how often a rule would have fired over the last 24 hours. */
export interface AlertPreview {
  from: string;
  to: string;
  intervalSeconds: number;
  evaluations: number;
  /** Times the rule would have gone from not firing to firing. */
  firings: number;
  /** The periods it would have been firing, oldest first. */
  periods: { start: string; end: string | null; peak: number }[];
  /** Counted per evaluation (count rules): the window's count at each, for a chart. */
  counts: { at: string; count: number }[];
}
