import type { AlertCondition, AlertKind, AlertRule, WebhookFormat } from '../../../server/alerts/api-types.js';

/** The editor's fields, as text where the user types numbers: the API checks them and names a bad one. */
export interface RuleForm {
  name: string;
  kind: AlertKind;
  query: string;
  level: string[];
  service: string[];
  windowSeconds: string;
  condition: AlertCondition;
  threshold: string;
  quietSeconds: string;
  webhookUrl: string;
  webhookFormat: WebhookFormat;
  muted: boolean;
}

export const KIND_LABELS: Record<AlertKind, string> = {
  count: 'Count of matching entries',
  new_group: 'New error group',
  regression: 'Error group regression',
};

export function formFromRule(rule: AlertRule | null): RuleForm {
  return {
    name: rule?.name ?? '',
    kind: rule?.kind ?? 'count',
    query: rule?.query ?? '',
    level: rule?.filters.level ?? [],
    service: rule?.filters.service ?? [],
    windowSeconds: String(rule?.windowSeconds ?? 300),
    condition: rule?.condition ?? 'above',
    threshold: String(rule?.threshold ?? 10),
    quietSeconds: String(rule?.quietSeconds ?? 86_400),
    webhookUrl: '',
    webhookFormat: rule?.webhook.format ?? 'json',
    muted: rule?.muted ?? false,
  };
}

/** A number when the text is one, else the text itself, so the API names the field. */
function numberOrText(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  return /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/**
 * The JSON body for POST /alerts (`mode: 'create'`), PATCH (`'edit'`: the webhook only when a
 * new URL was typed) or the preview (no webhook).
 */
export function ruleBody(form: RuleForm, mode: 'create' | 'edit' | 'preview'): Record<string, unknown> {
  const filters: Record<string, unknown> = {};
  if (form.level.length) filters.level = form.level;
  if (form.service.length) filters.service = form.service;
  const body: Record<string, unknown> = { query: form.query, filters };
  if (mode !== 'preview') {
    body.name = form.name;
    body.muted = form.muted;
  }
  if (mode !== 'edit') body.kind = form.kind;
  if (form.kind === 'count') {
    body.windowSeconds = numberOrText(form.windowSeconds);
    body.condition = form.condition;
    body.threshold = numberOrText(form.threshold);
  } else if (mode === 'edit') {
    Object.assign(body, { windowSeconds: null, condition: null, threshold: null });
  }
  if (form.kind === 'regression') body.quietSeconds = numberOrText(form.quietSeconds);
  if (mode === 'create') body.webhook = { url: form.webhookUrl, format: form.webhookFormat };
  if (mode === 'edit')
    body.webhook = form.webhookUrl.trim()
      ? { url: form.webhookUrl, format: form.webhookFormat }
      : { format: form.webhookFormat };
  return body;
}

/** The editor field an API `parameter` names, or null when it is none of them. */
export function fieldOf(parameter: string | null): keyof RuleForm | null {
  switch (parameter) {
    case 'name':
    case 'kind':
    case 'query':
    case 'windowSeconds':
    case 'condition':
    case 'threshold':
    case 'quietSeconds':
      return parameter;
    case 'filters.level':
      return 'level';
    case 'filters.service':
      return 'service';
    case 'webhook':
    case 'webhook.url':
      return 'webhookUrl';
    case 'webhook.format':
      return 'webhookFormat';
    default:
      return null;
  }
}

/** "above 10 in 5 min", "new groups", "back after 1 d": what a rule watches, in a few words. */
export function describeRule(rule: AlertRule): string {
  if (rule.kind === 'new_group') return 'a new error group';
  if (rule.kind === 'regression')
    return `a group back after ${formatSeconds(rule.quietSeconds ?? 0)} or in a newer version`;
  return `${rule.condition === 'below' ? 'fewer than' : 'more than'} ${rule.threshold} in ${formatSeconds(rule.windowSeconds ?? 0)}`;
}

export function formatSeconds(seconds: number): string {
  if (seconds >= 86_400 && seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
