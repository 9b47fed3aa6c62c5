/** The levels an entry is stored with. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** pino's levels, which loggers take: trace is stored as debug, fatal as error. */
export const PINO_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type PinoLevel = (typeof PINO_LEVELS)[number];
/** A logger's lowest level: one of pino's, or `silent` for nothing at all. */
export type LevelName = PinoLevel | 'silent';

export const SERVICE_NAMES = [
  'orchestrator',
  'admin',
  'storefront',
  'creator-portal',
  'mcp-server',
  'inngest',
  'webhook-handler',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const ENVIRONMENTS = ['development', 'test', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/**
 * The tenant id of entries that belong to the platform rather than to a tenant.
 * Written explicitly so that "no tenant" is a decision, never an accident.
 */
export const PLATFORM_TENANT_ID = '_platform';

/** Context that a logger carries and adds to every entry it writes. */
export interface LogContext {
  tenantId?: string | null;
  tenantSlug?: string | null;
  userId?: string | null;
  sessionId?: string | null;
  impersonatorId?: string | null;
  requestId?: string | null;
  traceId?: string | null;
  spanId?: string | null;
  action?: string | null;
}

/**
 * One log entry as the stores keep it and the API and the stream return it: every key is
 * present, a field with no value is null. On the wire (one JSON line from the logger to the
 * worker) the fields without a value are left out.
 */
export interface LogEntry {
  /** UUIDv7 made in the logger; the same id reaches PostgreSQL and Redis. */
  id: string;
  /** ISO-8601 UTC with milliseconds. */
  timestamp: string;
  level: LogLevel;

  tenantId: string;
  tenantSlug: string | null;

  userId: string | null;
  sessionId: string | null;
  impersonatorId: string | null;

  requestId: string | null;
  traceId: string | null;
  spanId: string | null;

  service: ServiceName | string;
  action: string | null;
  file: string | null;
  line: number | null;
  function: string | null;

  message: string;
  data: Record<string, unknown> | null;

  errorType: string | null;
  errorCode: string | null;
  errorStack: string | null;

  environment: Environment | string;
  version: string | null;
  region: string | null;
}

/** The field names of LogEntry, in wire order. */
export const LOG_ENTRY_FIELDS = [
  'id',
  'timestamp',
  'level',
  'tenantId',
  'tenantSlug',
  'userId',
  'sessionId',
  'impersonatorId',
  'requestId',
  'traceId',
  'spanId',
  'service',
  'action',
  'file',
  'line',
  'function',
  'message',
  'data',
  'errorType',
  'errorCode',
  'errorStack',
  'environment',
  'version',
  'region',
] as const satisfies readonly (keyof LogEntry)[];

/** An entry as stored: the wire entry plus what the transport worker derives from it. */
export interface StoredLogEntry extends LogEntry {
  /** Stable hash grouping similar errors; set on warn and error entries. */
  errorSignature: string | null;
  /** The generalized message the signature was computed from. */
  messageTemplate: string | null;
}

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

export function isLevelName(value: unknown): value is LevelName {
  return value === 'silent' || (typeof value === 'string' && (PINO_LEVELS as readonly string[]).includes(value));
}
