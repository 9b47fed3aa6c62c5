import type { AlertEventKind } from './api-types.js';
import type { EventRow, RuleRow } from './store.js';

/** The event type a receiver sees, in the body's `type` and the X-Platform-Logs-Event header. */
export function eventType(kind: AlertEventKind): string {
  return `alert.${kind}`;
}

/**
 * The generic JSON body (docs/api.md, "Webhook payloads"). `id` is the event's: the same on
 * every attempt, so a receiver drops repeats by it. Never the webhook URL or secret.
 */
export function genericPayload(rule: RuleRow, event: EventRow, sentAt: Date) {
  return {
    id: event.id,
    type: eventType(event.kind),
    sentAt: sentAt.toISOString(),
    rule: {
      id: rule.id,
      name: rule.name,
      kind: rule.kind,
      tenantId: rule.tenant_id,
      query: rule.query,
      filters: rule.filters,
      windowSeconds: rule.window_seconds,
      condition: rule.condition,
      threshold: rule.threshold,
      quietSeconds: rule.quiet_seconds,
    },
    state: event.kind === 'resolved' ? 'resolved' : event.kind === 'test' ? rule.state : 'firing',
    window: { start: event.window_start?.toISOString() ?? null, end: event.window_end.toISOString() },
    value: event.value,
    group: event.signature === null ? null : { signature: event.signature, ...event.details },
    test: event.kind === 'test',
  };
}

function describe(rule: RuleRow, event: EventRow): string {
  const window = rule.window_seconds === null ? '' : ` in ${formatSeconds(rule.window_seconds)}`;
  const group = event.details as { template?: string; errorType?: string; reason?: string; version?: string };
  const groupName = group.template ?? group.errorType ?? event.signature ?? '';
  switch (event.kind) {
    case 'firing':
      return `${event.value} entries${window}, ${rule.condition} the threshold of ${rule.threshold}`;
    case 'resolved':
      return `back to ${event.value} entries${window} (threshold ${rule.condition} ${rule.threshold})`;
    case 'new_group':
      return `new error group: ${groupName}`;
    case 'regression':
      return group.reason === 'version'
        ? `error group back in version ${group.version}: ${groupName}`
        : `error group back after a quiet period: ${groupName}`;
    case 'test':
      return 'a test notification: the webhook works';
  }
}

function formatSeconds(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** Slack's "mrkdwn" needs &, < and > escaped. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A body Slack's incoming webhooks (and Mattermost, Discord's /slack endpoint) accept: `text` and blocks. */
export function slackPayload(rule: RuleRow, event: EventRow) {
  const icon = event.kind === 'resolved' ? ':white_check_mark:' : event.kind === 'test' ? ':bell:' : ':rotating_light:';
  const label = event.kind === 'resolved' ? 'Resolved' : event.kind === 'test' ? 'Test' : 'Firing';
  const headline = `${icon} ${label}: ${slackEscape(rule.name)}`;
  const detail = slackEscape(describe(rule, event));
  const context = [
    rule.query ? `query \`${slackEscape(rule.query)}\`` : null,
    rule.tenant_id ? `tenant ${slackEscape(rule.tenant_id)}` : 'platform-wide',
    `window end ${event.window_end.toISOString()}`,
  ].filter((part): part is string => part !== null);
  return {
    text: `${headline}: ${detail}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${headline}*\n${detail}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ') }] },
    ],
  };
}

export function payloadBody(rule: RuleRow, event: EventRow, sentAt: Date): string {
  return JSON.stringify(
    rule.webhook_format === 'slack' ? slackPayload(rule, event) : genericPayload(rule, event, sentAt),
  );
}
