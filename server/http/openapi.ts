import { LOG_ENTRY_FIELDS, LOG_LEVELS } from '../../src/types.js';
import { alertPaths, alertSchemas } from '../alerts/openapi.js';
import { MAX_TREND_BUCKETS } from '../store/aggregates.js';
import { EXPORT_FORMATS } from '../store/export.js';
import { MAX_SEARCH_LENGTH } from './params.js';

const string = { type: 'string' } as const;
const nullableString = { type: ['string', 'null'] } as const;

const filterParameters = [
  {
    name: 'level',
    in: 'query',
    description: 'One or several levels, comma-separated or repeated.',
    schema: { type: 'array', items: { type: 'string', enum: LOG_LEVELS } },
    style: 'form',
    explode: true,
  },
  {
    name: 'service',
    in: 'query',
    description: 'One or several service names, comma-separated or repeated.',
    schema: { type: 'array', items: string },
    style: 'form',
    explode: true,
  },
  ...['tenantId', 'tenantSlug', 'userId', 'requestId', 'traceId', 'errorSignature'].map((name) => ({
    name,
    in: 'query',
    description: 'Exact match.',
    schema: string,
  })),
  {
    name: 'from',
    in: 'query',
    description: 'ISO-8601 time (UTC when no zone is given) or relative to now (15m, 24h, 7d). Default 24h.',
    schema: string,
  },
  { name: 'to', in: 'query', description: 'ISO-8601 time or relative to now; exclusive.', schema: string },
  {
    name: 'q',
    in: 'query',
    description:
      'A query in the query language (Datadog log search syntax; docs/api.md, "Query language"): words, "phrases", field:value, @data.path:value, ' +
      `field:(a OR b), >, >=, <, <=, [a TO b], value*, _exists_:field, AND, OR, NOT, -term, parentheses. ANDed with the other filters. At most ${MAX_SEARCH_LENGTH} characters; ` +
      'a syntax error is a 400 with `position` and `expected`.',
    schema: { type: 'string', maxLength: MAX_SEARCH_LENGTH },
  },
];

const stats = {
  type: 'object',
  description:
    'What the answer cost: the partitions its levels and time bounds leave to read, and the store time in ms.',
  required: ['partitionsScanned', 'durationMs'],
  properties: { partitionsScanned: { type: 'integer' }, durationMs: { type: 'number' } },
} as const;

const entryProperties: Record<string, unknown> = Object.fromEntries(
  LOG_ENTRY_FIELDS.map((field) => [field, nullableString]),
);
Object.assign(entryProperties, {
  id: { type: 'string', format: 'uuid' },
  timestamp: { type: 'string', format: 'date-time' },
  level: { type: 'string', enum: LOG_LEVELS },
  tenantId: string,
  service: string,
  message: string,
  environment: string,
  line: { type: ['integer', 'null'] },
  data: { type: ['object', 'null'] },
  errorSignature: nullableString,
  messageTemplate: nullableString,
});

const error = {
  description: 'Error',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};
const standardErrors = {
  '400': { ...error, description: 'An invalid parameter, named in `parameter`.' },
  '401': { ...error, description: 'No valid key.' },
  '414': { ...error, description: 'Query string over 8 KB.' },
  '429': { ...error, description: 'Rate limit exceeded; see Retry-After.' },
  '503': { ...error, description: 'A store is unavailable.' },
};
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const limit = (max: number, fallback: number) => ({
  name: 'limit',
  in: 'query',
  schema: { type: 'integer', minimum: 1, maximum: max, default: fallback },
});
const cursor = {
  name: 'cursor',
  in: 'query',
  description: 'Opaque; the nextCursor of the previous page.',
  schema: string,
};

/** The OpenAPI 3.1 description of the HTTP API. */
export function openApiDocument(options: { exportMaxRows: number }) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Platform logs API',
      version: '1.0.0',
      description: 'Query, search, aggregate, export and stream platform log entries.',
    },
    servers: [{ url: '/api/platform/logs' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A key from LOG_API_KEYS.' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: string,
            parameter: { type: 'string', description: 'The parameter at fault.' },
            position: {
              type: 'integer',
              description: 'For a query syntax error: the offset in q (0 is its first character).',
            },
            expected: { type: 'string', description: 'For a query syntax error: what was expected at that position.' },
          },
        },
        StoredLogEntry: { type: 'object', required: Object.keys(entryProperties), properties: entryProperties },
        Health: {
          type: 'object',
          properties: {
            postgres: { type: 'string', enum: ['ok', 'down'] },
            redis: { type: 'string', enum: ['ok', 'down', 'not configured'] },
          },
        },
        Principal: {
          oneOf: [
            { type: 'object', required: ['scope'], properties: { scope: { const: 'platform' } } },
            {
              type: 'object',
              required: ['scope', 'tenantId'],
              properties: { scope: { const: 'tenant' }, tenantId: string },
            },
          ],
        },
        ErrorGroup: {
          type: 'object',
          properties: {
            signature: string,
            level: { type: 'string', enum: LOG_LEVELS },
            count: { type: 'integer' },
            firstSeen: { type: 'string', format: 'date-time' },
            lastSeen: { type: 'string', format: 'date-time' },
            template: nullableString,
            errorType: nullableString,
            errorCode: nullableString,
            services: { type: 'array', items: string },
            tenants: { type: 'integer' },
            users: { type: 'integer' },
            sample: { $ref: '#/components/schemas/StoredLogEntry' },
            trend: {
              type: 'array',
              items: { type: 'object', properties: { start: string, count: { type: 'integer' } } },
            },
          },
        },
        ...alertSchemas,
      },
    },
    paths: {
      ...alertPaths,
      '/': {
        get: {
          summary: 'Entries matching the filters, newest first, in keyset pages.',
          parameters: [...filterParameters, limit(1000, 100), cursor],
          responses: {
            '200': {
              description: 'A page',
              ...json({
                type: 'object',
                required: ['entries', 'nextCursor', 'stats'],
                properties: {
                  entries: { type: 'array', items: { $ref: '#/components/schemas/StoredLogEntry' } },
                  nextCursor: nullableString,
                  stats,
                },
              }),
            },
            ...standardErrors,
          },
        },
      },
      '/facets': {
        get: {
          summary: "A field's top values among the entries matching the filters, with the entries holding each.",
          parameters: [
            ...filterParameters,
            {
              name: 'field',
              in: 'query',
              required: true,
              description:
                'A column (level, service, tenantId, errorType, version, region, …) or a data path (@cart.total); arrays count each element.',
              schema: string,
            },
            limit(100, 10),
          ],
          responses: {
            '200': {
              description: 'The top values, most entries first',
              ...json({
                type: 'object',
                properties: {
                  field: string,
                  values: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        value: { type: ['string', 'number', 'boolean', 'null'] },
                        count: { type: 'integer' },
                      },
                    },
                  },
                  missing: { type: 'integer', description: 'Matching entries without a value for the field.' },
                  stats,
                },
              }),
            },
            ...standardErrors,
          },
        },
      },
      '/fields': {
        get: {
          summary: 'The data paths of the newest matching entries, with their JSON types.',
          parameters: [
            ...filterParameters,
            {
              name: 'sample',
              in: 'query',
              description: 'Entries read, newest first.',
              schema: { type: 'integer', minimum: 1, maximum: 100000, default: 10000 },
            },
          ],
          responses: {
            '200': {
              description: 'The paths, most entries first',
              ...json({
                type: 'object',
                properties: {
                  fields: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        path: string,
                        entries: { type: 'integer' },
                        types: {
                          type: 'array',
                          items: {
                            type: 'object',
                            properties: {
                              type: {
                                type: 'string',
                                enum: ['string', 'number', 'boolean', 'null', 'object', 'array'],
                              },
                              entries: { type: 'integer' },
                            },
                          },
                        },
                      },
                    },
                  },
                  sampled: { type: 'integer' },
                  complete: { type: 'boolean', description: 'Whether every matching entry with data was read.' },
                  stats,
                },
              }),
            },
            ...standardErrors,
          },
        },
      },
      '/{id}/context': {
        get: {
          summary:
            'The entries around one entry (same tenant, service or request), keyset on its exact position, within a day of it.',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
            { name: 'before', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 500, default: 50 } },
            { name: 'after', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 500, default: 50 } },
            {
              name: 'by',
              in: 'query',
              schema: { type: 'string', enum: ['tenant', 'service', 'request'], default: 'tenant' },
            },
          ],
          responses: {
            '200': {
              description: 'The entry and its neighbours, oldest first on each side',
              ...json({
                type: 'object',
                properties: {
                  entry: { $ref: '#/components/schemas/StoredLogEntry' },
                  by: { type: 'string', enum: ['tenant', 'service', 'request'] },
                  before: { type: 'array', items: { $ref: '#/components/schemas/StoredLogEntry' } },
                  after: { type: 'array', items: { $ref: '#/components/schemas/StoredLogEntry' } },
                  stats,
                },
              }),
            },
            '404': { ...error, description: "No such entry, or another tenant's" },
            ...standardErrors,
          },
        },
      },
      '/{id}': {
        get: {
          summary: "One entry; 404 when absent or another tenant's.",
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
          responses: {
            '200': { description: 'The entry', ...json({ $ref: '#/components/schemas/StoredLogEntry' }) },
            '404': { ...error, description: 'Not found' },
            ...standardErrors,
          },
        },
      },
      '/histogram': {
        get: {
          summary: 'Counts per level in time buckets.',
          parameters: [
            ...filterParameters,
            { name: 'buckets', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 60 } },
          ],
          responses: {
            '200': {
              description: 'The histogram, oldest bucket first',
              ...json({
                type: 'object',
                properties: {
                  stats,
                  bucketSeconds: { type: 'integer' },
                  buckets: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        start: { type: 'string', format: 'date-time' },
                        counts: {
                          type: 'object',
                          properties: Object.fromEntries(LOG_LEVELS.map((l) => [l, { type: 'integer' }])),
                        },
                      },
                    },
                  },
                },
              }),
            },
            ...standardErrors,
          },
        },
      },
      '/aggregates': {
        get: {
          summary: 'Warn and error entries grouped by signature.',
          parameters: [
            ...filterParameters,
            { name: 'sort', in: 'query', schema: { type: 'string', enum: ['count', 'lastSeen'], default: 'count' } },
            limit(500, 50),
            cursor,
            {
              name: 'buckets',
              in: 'query',
              description: 'Trend buckets over the range.',
              schema: { type: 'integer', minimum: 1, maximum: MAX_TREND_BUCKETS, default: 24 },
            },
          ],
          responses: {
            '200': {
              description: 'Groups',
              ...json({
                type: 'object',
                properties: {
                  groups: { type: 'array', items: { $ref: '#/components/schemas/ErrorGroup' } },
                  nextCursor: nullableString,
                  stats,
                },
              }),
            },
            ...standardErrors,
          },
        },
      },
      '/export': {
        get: {
          summary: 'Every matching entry as a streamed attachment, newest first.',
          parameters: [
            ...filterParameters,
            { name: 'format', in: 'query', schema: { type: 'string', enum: EXPORT_FORMATS, default: 'ndjson' } },
            limit(options.exportMaxRows, options.exportMaxRows),
          ],
          responses: {
            '200': {
              description:
                "NDJSON (one StoredLogEntry per line) or CSV (RFC 4180, a header row, data as JSON text, a cell that begins with =, +, -, @, tab or CR prefixed with ')",
              content: { 'application/x-ndjson': { schema: string }, 'text/csv': { schema: string } },
            },
            ...standardErrors,
            '429': {
              ...error,
              description:
                'Rate limit exceeded, or as many exports running as the key or the server may run; see Retry-After.',
            },
          },
        },
      },
      '/whoami': {
        get: {
          summary: 'The scope of the key.',
          responses: {
            '200': { description: 'The principal', ...json({ $ref: '#/components/schemas/Principal' }) },
            ...standardErrors,
          },
        },
      },
      '/stream/ticket': {
        post: {
          summary: 'A single-use ticket (30 s) to open the live stream from a browser.',
          responses: {
            '200': {
              description: 'The ticket',
              ...json({
                type: 'object',
                properties: { ticket: string, expiresAt: { type: 'string', format: 'date-time' } },
              }),
            },
            ...standardErrors,
          },
        },
      },
      '/stream': {
        get: {
          summary:
            'Live stream over WebSocket (see docs/api.md for the protocol). Authenticate with ?ticket= or the Bearer header.',
          parameters: [{ name: 'ticket', in: 'query', schema: string }],
          responses: { '101': { description: 'Switching to WebSocket' }, '401': error },
        },
      },
      '/stream/sse': {
        get: {
          summary: 'Live stream as Server-Sent Events; same filters as the WebSocket subscription.',
          parameters: [
            { name: 'ticket', in: 'query', schema: string },
            { name: 'level', in: 'query', schema: string },
            { name: 'tenantId', in: 'query', schema: string },
            { name: 'service', in: 'query', schema: string },
            { name: 'q', in: 'query', schema: string },
            { name: 'resumeFrom', in: 'query', schema: string },
          ],
          responses: {
            '200': { description: 'text/event-stream', content: { 'text/event-stream': { schema: string } } },
            '401': error,
          },
        },
      },
      '/healthz': {
        get: {
          summary: 'Whether the stores answer. No key needed.',
          security: [],
          responses: {
            '200': { description: 'Healthy', ...json({ $ref: '#/components/schemas/Health' }) },
            '503': { description: 'A configured store is down', ...json({ $ref: '#/components/schemas/Health' }) },
          },
        },
      },
      '/openapi.json': {
        get: {
          summary: 'This document. No key needed.',
          security: [],
          responses: { '200': { description: 'OpenAPI 3.1' } },
        },
      },
    },
  };
}
