import { runWithLogContext } from './context.js';
import { uuidv7 } from './id.js';
import type { PlatformLogger } from './logger.js';
import type { LogContext } from './types.js';

/** A Fetch API Request (Hono's c.req.raw) or a Node IncomingMessage, as far as headers go. */
export type RequestWithHeaders =
  | { headers: { get(name: string): string | null } }
  | { headers: Record<string, string | string[] | undefined> };

const HEADER_CONTEXT = [
  ['x-tenant-id', 'tenantId'],
  ['x-tenant-slug', 'tenantSlug'],
  ['x-user-id', 'userId'],
  ['x-session-id', 'sessionId'],
  ['x-impersonator-id', 'impersonatorId'],
  ['x-request-id', 'requestId'],
] as const satisfies readonly (readonly [string, keyof LogContext])[];

const MAX_HEADER_VALUE = 256;
// Printable ASCII without spaces: ids, slugs and request ids, nothing that can forge a log line.
const ID_VALUE = /^[\x21-\x7e]+$/;

// W3C Trace Context: version-traceid-parentid-flags; a later version may append fields.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

function header(request: RequestWithHeaders, name: string): string | null {
  const headers = request.headers;
  const raw = typeof headers.get === 'function' ? (headers as { get(name: string): string | null }).get(name) : (headers as Record<string, unknown>)[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed.length > 0 && trimmed.length <= MAX_HEADER_VALUE && ID_VALUE.test(trimmed) ? trimmed : null;
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

/** The log context a request's headers carry, with a new request id when it has none. */
export function requestLogContext(request: RequestWithHeaders): LogContext {
  const context: LogContext = {};
  for (const [name, key] of HEADER_CONTEXT) context[key] = header(request, name);
  context.requestId ??= uuidv7();
  const trace = parseTraceparent(header(request, 'traceparent'));
  context.traceId = trace?.traceId ?? null;
  context.spanId = trace?.spanId ?? null;
  return context;
}

/** A child of base carrying the request's tenant, user, session, request and trace ids. */
export function createRequestLogger(request: RequestWithHeaders, base: PlatformLogger): PlatformLogger {
  return base.child(requestLogContext(request));
}

/** Runs fn in the request's scope: getLogger() and every logger used inside carry its context. */
export function withRequestLogger<T>(request: RequestWithHeaders, base: PlatformLogger, fn: (logger: PlatformLogger) => T): T {
  const logger = createRequestLogger(request, base);
  return runWithLogContext(logger, () => fn(logger));
}
