import { z } from 'zod';
import type { Principal } from '../../src/api-types.js';
import { confineToPrincipal } from '../auth.js';
import { HttpError, badParameter } from '../http/errors.js';
import { FILTER_PARAMETERS, MAX_QUERY_STRING_BYTES, QueryParams, parseFilters } from '../http/params.js';
import type { LogFilters } from '../store/filters.js';
import {
  ALERT_CONDITIONS,
  ALERT_KINDS,
  WEBHOOK_FORMATS,
  type AlertCondition,
  type AlertFilters,
  type AlertKind,
  type WebhookFormat,
} from './api-types.js';
import { WebhookAddressError, parseWebhookUrl, resolveWebhookTarget, type AddressPolicy } from './address-guard.js';

export const MAX_WINDOW_SECONDS = 86_400;
export const MAX_QUIET_SECONDS = 90 * 86_400;
export const DEFAULT_QUIET_SECONDS = 86_400;
export const MAX_THRESHOLD = 1_000_000_000;

/** A rule's definition, checked: what the store keeps (apart from its webhook's URL and secret). */
export interface RuleDefinition {
  name: string;
  kind: AlertKind;
  query: string;
  filters: AlertFilters;
  windowSeconds: number | null;
  condition: AlertCondition | null;
  threshold: number | null;
  quietSeconds: number | null;
  muted: boolean;
  snoozedUntil: Date | null;
}

export interface WebhookInput {
  url?: string;
  format?: WebhookFormat;
  secret?: string;
}

const oneOrMany = z.union([z.string(), z.array(z.string()).max(50)]);
const text = z.string().max(500);

const filtersSchema = z.strictObject({
  level: oneOrMany.optional(),
  service: oneOrMany.optional(),
  tenantId: text.optional(),
  tenantSlug: text.optional(),
  userId: text.optional(),
  requestId: text.optional(),
  traceId: text.optional(),
  errorSignature: text.optional(),
});

const webhookSchema = z.strictObject({
  url: z.string().optional(),
  format: z.enum(WEBHOOK_FORMATS).optional(),
  secret: z.string().min(16, 'must be at least 16 characters').max(200, 'must be at most 200 characters').optional(),
});

const wholeNumber = (min: number, max: number) =>
  z
    .number()
    .int('must be a whole number')
    .min(min, `must be from ${min} to ${max}`)
    .max(max, `must be from ${min} to ${max}`);

const fields = {
  name: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters')
    .refine((name) => !name.includes('\u0000'), 'must not contain NUL characters'),
  kind: z.enum(ALERT_KINDS),
  query: z.string().max(MAX_QUERY_STRING_BYTES, 'is too long'),
  filters: filtersSchema,
  windowSeconds: wholeNumber(1, MAX_WINDOW_SECONDS),
  condition: z.enum(ALERT_CONDITIONS),
  threshold: wholeNumber(0, MAX_THRESHOLD),
  quietSeconds: wholeNumber(60, MAX_QUIET_SECONDS),
  webhook: webhookSchema,
  muted: z.boolean(),
  snoozedUntil: z.string().nullable(),
};

const createSchema = z.strictObject({
  name: fields.name,
  kind: fields.kind.optional(),
  query: fields.query.optional(),
  filters: fields.filters.optional(),
  windowSeconds: fields.windowSeconds.optional(),
  condition: fields.condition.optional(),
  threshold: fields.threshold.optional(),
  quietSeconds: fields.quietSeconds.optional(),
  webhook: fields.webhook,
  muted: fields.muted.optional(),
  snoozedUntil: fields.snoozedUntil.optional(),
});

const patchSchema = z.strictObject({
  name: fields.name.optional(),
  kind: fields.kind.optional(),
  query: fields.query.optional(),
  filters: fields.filters.optional(),
  windowSeconds: fields.windowSeconds.nullable().optional(),
  condition: fields.condition.nullable().optional(),
  threshold: fields.threshold.nullable().optional(),
  quietSeconds: fields.quietSeconds.nullable().optional(),
  webhook: fields.webhook.optional(),
  muted: fields.muted.optional(),
  snoozedUntil: fields.snoozedUntil.optional(),
});

/** The first problem zod found, as a 400 naming the field (`webhook.url`, `filters.level`). */
function zodError(error: z.ZodError): HttpError {
  const issue = error.issues[0];
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const key = [...path, issue.keys[0]].join('.');
    return badParameter(key, 'unknown field');
  }
  const field = path.join('.') || 'body';
  if (issue.code === 'invalid_type' && issue.input === undefined) return badParameter(field, 'is required');
  return badParameter(field, issue.message);
}

function parseWith<T>(schema: z.ZodType<T>, body: unknown): T {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw badParameter('body', 'must be a JSON object');
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw zodError(parsed.error);
  return parsed.data;
}

function normalizeFilters(filters: z.infer<typeof filtersSchema> | undefined): AlertFilters {
  const out: AlertFilters = {};
  if (!filters) return out;
  const list = (value: string | string[] | undefined) =>
    value === undefined
      ? undefined
      : (Array.isArray(value) ? value : value.split(',')).map((item) => item.trim()).filter((item) => item !== '');
  const level = list(filters.level)?.map((item) => item.toLowerCase());
  if (level?.length) out.level = [...new Set(level)];
  const service = list(filters.service);
  if (service?.length) out.service = [...new Set(service)];
  for (const key of ['tenantId', 'tenantSlug', 'userId', 'requestId', 'traceId', 'errorSignature'] as const) {
    const value = filters[key];
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

/** The field of a rule that a filter parameter of the query API comes from. */
const FIELD_OF_PARAMETER: Record<string, string> = {
  q: 'query',
  level: 'filters.level',
  service: 'filters.service',
  tenantId: 'filters.tenantId',
  tenantSlug: 'filters.tenantSlug',
  userId: 'filters.userId',
  requestId: 'filters.requestId',
  traceId: 'filters.traceId',
  errorSignature: 'filters.errorSignature',
};

/**
 * The entries filters of a rule over [from, to): its query and structured filters go through
 * the query API's own parser (parseFilters, the parameters as a query string would carry them),
 * so a rule matches exactly what GET /api/platform/logs?q=… would, and a fault in them is a 400
 * naming the rule's field (`query`, `filters.level`), with whatever else the parser said (the
 * position of a query's syntax error).
 */
export function ruleFilters(
  rule: { query: string; filters: AlertFilters },
  range: { from: Date; to: Date },
  now: Date,
): LogFilters {
  const search = new URLSearchParams();
  if (rule.query.trim() !== '') search.set('q', rule.query);
  for (const [name, value] of Object.entries(rule.filters) as [keyof AlertFilters, string | string[] | undefined][]) {
    if (Array.isArray(value)) for (const item of value) search.append(name, item);
    else if (value !== undefined) search.set(name, value);
  }
  search.set('from', range.from.toISOString());
  search.set('to', range.to.toISOString());
  try {
    return parseFilters(new QueryParams(`http://rule.invalid/?${search}`, FILTER_PARAMETERS), now);
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    const field = error.parameter === undefined ? 'query' : (FIELD_OF_PARAMETER[error.parameter] ?? error.parameter);
    const message = error.status === 414 ? 'the query and filters are too long' : error.message;
    // every other property the parser gave (a syntax error's position) is kept
    const {
      status: _status,
      parameter: _parameter,
      name: _name,
      ...details
    } = error as HttpError & Record<string, unknown>;
    throw Object.assign(new HttpError(400, message, field), details);
  }
}

/** Who a rule speaks for when it counts: its tenant, or the platform. */
export function rulePrincipal(tenantId: string | null): Principal {
  return tenantId === null ? { scope: 'platform' } : { scope: 'tenant', tenantId };
}

/** A rule's filters over the range, confined to its tenant; null when they can match nothing. */
export function confinedRuleFilters(
  rule: { query: string; filters: AlertFilters; tenantId: string | null },
  range: { from: Date; to: Date },
  now: Date,
): LogFilters | null {
  return confineToPrincipal(rulePrincipal(rule.tenantId), ruleFilters(rule, range, now));
}

function parseSnooze(value: string | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(time))
    throw badParameter('snoozedUntil', 'must be an ISO-8601 time or null');
  return new Date(time);
}

/** The checks that depend on the kind, on a whole definition (made or patched). */
function checkDefinition(definition: RuleDefinition, principal: Principal, now: Date): void {
  if (definition.kind === 'count') {
    if (definition.windowSeconds === null) throw badParameter('windowSeconds', 'is required for a count rule');
    if (definition.threshold === null) throw badParameter('threshold', 'is required for a count rule');
    if (definition.condition === 'below' && definition.threshold < 1) {
      throw badParameter('threshold', 'must be at least 1 for a "below" rule: a count is never below 0');
    }
  } else {
    for (const field of ['windowSeconds', 'threshold', 'condition'] as const) {
      if (definition[field] !== null) throw badParameter(field, 'applies to count rules only');
    }
    if (definition.kind === 'new_group' && definition.quietSeconds !== null)
      throw badParameter('quietSeconds', 'applies to regression rules only');
  }
  if (definition.kind !== 'regression' && definition.quietSeconds !== null)
    throw badParameter('quietSeconds', 'applies to regression rules only');
  if (
    principal.scope === 'tenant' &&
    definition.filters.tenantId !== undefined &&
    definition.filters.tenantId !== principal.tenantId
  ) {
    throw badParameter('filters.tenantId', "a tenant key's rules count only its own tenant's entries");
  }
  ruleFilters(definition, { from: new Date(now.getTime() - 60_000), to: now }, now);
}

export interface CreateInput {
  definition: RuleDefinition;
  webhook: { url: string; format: WebhookFormat; secret?: string };
}

/** A POST body, checked; a 400 naming the field at fault otherwise. */
export function parseCreateBody(body: unknown, principal: Principal, now: Date): CreateInput {
  const input = parseWith(createSchema, body);
  const kind = input.kind ?? 'count';
  const definition: RuleDefinition = {
    name: input.name,
    kind,
    query: input.query ?? '',
    filters: normalizeFilters(input.filters),
    windowSeconds: input.windowSeconds ?? null,
    condition: kind === 'count' ? (input.condition ?? 'above') : (input.condition ?? null),
    threshold: input.threshold ?? null,
    quietSeconds: kind === 'regression' ? (input.quietSeconds ?? DEFAULT_QUIET_SECONDS) : (input.quietSeconds ?? null),
    muted: input.muted ?? false,
    snoozedUntil: parseSnooze(input.snoozedUntil),
  };
  checkDefinition(definition, principal, now);
  if (input.webhook.url === undefined) throw badParameter('webhook.url', 'is required');
  return {
    definition,
    webhook: { url: input.webhook.url, format: input.webhook.format ?? 'json', secret: input.webhook.secret },
  };
}

export interface PatchInput {
  definition: RuleDefinition;
  webhook?: WebhookInput;
}

/** A PATCH body applied to the stored definition, checked as a whole. */
export function parsePatchBody(body: unknown, current: RuleDefinition, principal: Principal, now: Date): PatchInput {
  const input = parseWith(patchSchema, body);
  if (input.kind !== undefined && input.kind !== current.kind)
    throw badParameter('kind', 'cannot change; make a new rule');
  const definition: RuleDefinition = {
    ...current,
    ...(input.name !== undefined && { name: input.name }),
    ...(input.query !== undefined && { query: input.query }),
    ...(input.filters !== undefined && { filters: normalizeFilters(input.filters) }),
    ...(input.windowSeconds !== undefined && { windowSeconds: input.windowSeconds }),
    ...(input.condition !== undefined && { condition: input.condition }),
    ...(input.threshold !== undefined && { threshold: input.threshold }),
    ...(input.quietSeconds !== undefined && { quietSeconds: input.quietSeconds }),
    ...(input.muted !== undefined && { muted: input.muted }),
    ...(input.snoozedUntil !== undefined && { snoozedUntil: parseSnooze(input.snoozedUntil) }),
  };
  if (definition.kind === 'count' && definition.condition === null) definition.condition = 'above';
  checkDefinition(definition, principal, now);
  return { definition, webhook: input.webhook };
}

/** A preview body: a rule's definition without its webhook. */
export function parsePreviewBody(body: unknown, principal: Principal, now: Date): RuleDefinition {
  const withWebhook =
    body !== null && typeof body === 'object' && !Array.isArray(body) ? { webhook: {}, ...body } : body;
  const input = parseWith(createSchema.extend({ name: fields.name.optional() }), withWebhook);
  const kind = input.kind ?? 'count';
  const definition: RuleDefinition = {
    name: input.name ?? 'preview',
    kind,
    query: input.query ?? '',
    filters: normalizeFilters(input.filters),
    windowSeconds: input.windowSeconds ?? null,
    condition: kind === 'count' ? (input.condition ?? 'above') : (input.condition ?? null),
    threshold: input.threshold ?? null,
    quietSeconds: kind === 'regression' ? (input.quietSeconds ?? DEFAULT_QUIET_SECONDS) : (input.quietSeconds ?? null),
    muted: false,
    snoozedUntil: null,
  };
  checkDefinition(definition, principal, now);
  return definition;
}

/**
 * A webhook URL checked as a delivery would check it: syntax, then every address its host
 * resolves to (address-guard.ts). A 400 naming `webhook.url`, whose message never repeats the URL.
 */
export async function checkWebhookUrl(url: string, policy: AddressPolicy): Promise<URL> {
  try {
    const parsed = parseWebhookUrl(url);
    await resolveWebhookTarget(parsed, policy);
    return parsed;
  } catch (error) {
    if (error instanceof WebhookAddressError) throw badParameter('webhook.url', error.message);
    throw error;
  }
}

/** What the API shows of a webhook URL: its scheme, host and port, never its path or query. */
export function webhookOrigin(url: URL): string {
  return `${url.protocol}//${url.host}`;
}
