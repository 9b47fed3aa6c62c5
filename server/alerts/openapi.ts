import { ALERT_CONDITIONS, ALERT_KINDS, ALERT_STATES, WEBHOOK_FORMATS } from './api-types.js';

/** The alerts' part of the OpenAPI document (docs/api.md, "Alerts"): paths under /api/platform/logs. */
const string = { type: 'string' } as const;
const nullableString = { type: ['string', 'null'] } as const;
const time = { type: 'string', format: 'date-time' } as const;
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const error = json({ type: 'object', required: ['error'], properties: { error: string, parameter: string } });
const rule = { $ref: '#/components/schemas/AlertRule' };
const id = [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }];
const errors = {
  '400': { description: 'Invalid; `parameter` names the field', ...error },
  '401': { description: 'No valid key', ...error },
  '404': { description: "No such rule, or another tenant's", ...error },
};

const definition = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    kind: { type: 'string', enum: ALERT_KINDS, default: 'count' },
    query: { type: 'string', description: "In the syntax of the query API's `q`." },
    filters: {
      type: 'object',
      properties: {
        level: { type: 'array', items: string },
        service: { type: 'array', items: string },
        ...Object.fromEntries(
          ['tenantId', 'tenantSlug', 'userId', 'requestId', 'traceId', 'errorSignature'].map((name) => [name, string]),
        ),
      },
    },
    windowSeconds: { type: 'integer', minimum: 1, maximum: 86_400 },
    condition: { type: 'string', enum: ALERT_CONDITIONS, default: 'above' },
    threshold: { type: 'integer', minimum: 0 },
    quietSeconds: { type: 'integer', minimum: 60 },
    muted: { type: 'boolean' },
    snoozedUntil: { ...nullableString, format: 'date-time' },
  },
};

export const alertSchemas = {
  AlertRule: {
    type: 'object',
    properties: {
      ...definition.properties,
      id: { type: 'string', format: 'uuid' },
      tenantId: nullableString,
      webhook: { type: 'object', properties: { format: { type: 'string', enum: WEBHOOK_FORMATS }, origin: string } },
      state: { type: 'string', enum: ALERT_STATES },
      stateSince: time,
      lastValue: { type: ['integer', 'null'] },
      evaluatedThrough: { ...nullableString, format: 'date-time' },
      delivery: { type: ['object', 'null'] },
      createdAt: time,
      updatedAt: time,
    },
  },
  AlertEvent: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      kind: { type: 'string', enum: ['firing', 'resolved', 'new_group', 'regression', 'test'] },
      windowStart: nullableString,
      windowEnd: time,
      value: { type: ['integer', 'null'] },
      signature: nullableString,
      details: { type: 'object' },
      delivery: { type: 'string', enum: ['pending', 'delivered', 'failed', 'suppressed', 'none'] },
      attempts: { type: 'integer' },
      lastError: nullableString,
      deliveredAt: nullableString,
    },
  },
};

const webhookInput = {
  type: 'object',
  required: ['url'],
  properties: {
    url: string,
    format: { type: 'string', enum: WEBHOOK_FORMATS },
    secret: { type: 'string', minLength: 16 },
  },
};

export const alertPaths = {
  '/alerts': {
    get: {
      summary: "The rules the key may see (a tenant key: its tenant's).",
      responses: {
        '200': {
          description: 'Rules',
          ...json({ type: 'object', properties: { rules: { type: 'array', items: rule } } }),
        },
        ...errors,
      },
    },
    post: {
      summary: 'Makes a rule; the answer holds its signing secret, this once.',
      requestBody: {
        required: true,
        ...json({
          ...definition,
          required: ['name', 'webhook'],
          properties: { ...definition.properties, webhook: webhookInput },
        }),
      },
      responses: { '201': { description: 'The rule', ...json(rule) }, ...errors },
    },
  },
  '/alerts/preview': {
    post: {
      summary: 'How often a rule would have fired over the last 24 hours.',
      requestBody: { required: true, ...json(definition) },
      responses: { '200': { description: 'The preview', ...json({ type: 'object' }) }, ...errors },
    },
  },
  '/alerts/{id}': {
    get: {
      summary: 'One rule.',
      parameters: id,
      responses: { '200': { description: 'The rule', ...json(rule) }, ...errors },
    },
    patch: {
      summary: 'Changes a rule (not its kind); checked as a whole.',
      parameters: id,
      requestBody: {
        required: true,
        ...json({
          ...definition,
          properties: { ...definition.properties, webhook: { ...webhookInput, required: [] } },
        }),
      },
      responses: { '200': { description: 'The rule', ...json(rule) }, ...errors },
    },
    delete: {
      summary: 'Deletes a rule and its history.',
      parameters: id,
      responses: { '204': { description: 'Deleted' }, ...errors },
    },
  },
  '/alerts/{id}/history': {
    get: {
      summary: "The rule's changes of state, groups found and notifications, newest first.",
      parameters: [
        ...id,
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
        { name: 'cursor', in: 'query', schema: string },
      ],
      responses: {
        '200': {
          description: 'A page',
          ...json({
            type: 'object',
            properties: {
              events: { type: 'array', items: { $ref: '#/components/schemas/AlertEvent' } },
              nextCursor: nullableString,
            },
          }),
        },
        ...errors,
      },
    },
  },
  '/alerts/{id}/test': {
    post: {
      summary: 'Sends a test notification now, once.',
      parameters: id,
      responses: { '200': { description: 'What the receiver answered', ...json({ type: 'object' }) }, ...errors },
    },
  },
};
