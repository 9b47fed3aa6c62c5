import { runWithLogContext } from './context.js';
import { uuidv7 } from './id.js';
import type { PlatformLogger } from './logger.js';
import { safeString } from './safe-string.js';
import type { LogContext } from './types.js';

/**
 * A request as far as headers go: a Fetch API Request (Hono's c.req.raw), a Node
 * IncomingMessage, or anything whose headers are a Headers, a Map, a plain object or have a
 * get(name); names are matched in any case.
 */
export type RequestWithHeaders = {
  headers: Iterable<[string, unknown]> | Record<string, unknown> | { get(name: string): string | null };
};

const HEADER_CONTEXT = [
  ['x-tenant-id', 'tenantId'],
  ['x-tenant-slug', 'tenantSlug'],
  ['x-user-id', 'userId'],
  ['x-session-id', 'sessionId'],
  ['x-impersonator-id', 'impersonatorId'],
  ['x-request-id', 'requestId'],
] as const satisfies readonly (readonly [string, keyof LogContext])[];

const MAX_HEADER_VALUE = 256;

// W3C Trace Context: version-traceid-parentid-flags; a later version may append fields.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** The request's header values by lower-case name, whatever object carries them. */
function headerLookup(headers: RequestWithHeaders['headers']): (name: string) => unknown {
  const iterable = typeof (headers as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function';
  const get = (headers as { get?: unknown }).get;
  if (!iterable && typeof get === 'function') return (name) => get.call(headers, name);
  const byName = new Map<string, unknown>();
  for (const [name, value] of iterable ? (headers as Iterable<[string, unknown]>) : Object.entries(headers)) {
    const key = String(name).toLowerCase();
    if (!byName.has(key)) byName.set(key, value);
  }
  return (name) => byName.get(name);
}

/** A header's (first) value, trimmed, cut with a marker past 256 characters; null when empty. JSON escapes the rest. */
function headerValue(raw: unknown): string | null {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : safeString(trimmed, MAX_HEADER_VALUE);
}

/** traceId and spanId from a W3C traceparent header; null when the header is absent or invalid. */
export function parseTraceparent(value: string | null): { traceId: string; spanId: string } | null {
  if (value === null) return null;
  const match = TRACEPARENT.exec(value);
  if (match === null) return null;
  const [, version, traceId, spanId, , rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return null;
  return { traceId, spanId };
}

/**
 * The log context a request's headers carry, with a new request id when it has none. A
 * traceparent gives the trace id only: its span id is the caller's span, not this service's
 * (with OpenTelemetry, the active span's ids are taken per entry).
 */
export function requestLogContext(request: RequestWithHeaders): LogContext {
  const header = headerLookup(request.headers);
  const context: LogContext = {};
  for (const [name, key] of HEADER_CONTEXT) context[key] = headerValue(header(name));
  context.requestId ??= uuidv7();
  context.traceId = parseTraceparent(headerValue(header('traceparent')))?.traceId ?? null;
  context.spanId = null;
  return context;
}

/** A child of base carrying the request's tenant, user, session, request and trace ids. */
export function createRequestLogger(request: RequestWithHeaders, base: PlatformLogger): PlatformLogger {
  return base.child(requestLogContext(request));
}

/** Runs fn in the request's scope: getLogger() and every logger used inside carry its context. */
export function withRequestLogger<T>(
  request: RequestWithHeaders,
  base: PlatformLogger,
  fn: (logger: PlatformLogger) => T,
): T {
  const logger = createRequestLogger(request, base);
  return runWithLogContext(logger, () => fn(logger));
}
