import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import type { PlatformLogger } from './logger.js';
import type { LogContext } from './types.js';

/** The request scope: the context every entry logged inside it carries. */
export interface LogScope {
  readonly context: LogContext;
  /** The logger `getLogger()` returns inside the scope. */
  readonly logger: PlatformLogger | null;
  /** Loggers used inside the scope, each merged with the scope's context once. */
  readonly merged: WeakMap<PlatformLogger, PlatformLogger>;
}

const storage = new AsyncLocalStorage<LogScope>();
let defaultLogger: PlatformLogger | null = null;

function isLogger(value: LogContext | PlatformLogger): value is PlatformLogger {
  return typeof (value as PlatformLogger).child === 'function';
}

/**
 * Runs fn in a scope whose context every entry logged inside it (across awaits and timers)
 * carries, whichever logger writes it. Given a logger, `getLogger()` returns it inside fn.
 * Scopes nest: the inner context adds to the outer one.
 */
export function runWithLogContext<T>(contextOrLogger: LogContext | PlatformLogger, fn: () => T): T {
  const outer = storage.getStore();
  const logger = isLogger(contextOrLogger) ? contextOrLogger : (outer?.logger ?? null);
  const context = isLogger(contextOrLogger) ? contextOrLogger.context : contextOrLogger;
  return storage.run(
    { context: outer ? mergeContext(context, outer.context) : { ...context }, logger, merged: new WeakMap() },
    fn,
  );
}

export function currentLogScope(): LogScope | undefined {
  return storage.getStore();
}

/** The context of the active scope, if any. */
export function getLogContext(): LogContext | undefined {
  return storage.getStore()?.context;
}

/** The logger `getLogger()` returns outside any scope; createLogger sets the first one it makes. */
export function setDefaultLogger(logger: PlatformLogger | null): void {
  defaultLogger = logger;
}

/** Makes logger the default unless there is one already. */
export function offerDefaultLogger(logger: PlatformLogger): void {
  defaultLogger ??= logger;
}

/**
 * The scope's logger, else the default logger (the first createLogger made, or the one
 * given to setDefaultLogger). Its entries carry the scope's context either way.
 */
export function getLogger(): PlatformLogger {
  const logger = storage.getStore()?.logger ?? defaultLogger;
  if (logger === null)
    throw new Error('platform-logging: no logger yet; call createLogger() first or setDefaultLogger()');
  return logger;
}

/** own's values, with the gaps (null or undefined) filled from fallback. */
export function mergeContext(own: LogContext, fallback: LogContext): LogContext {
  const merged: LogContext = { ...fallback };
  for (const key of Object.keys(own) as (keyof LogContext)[]) {
    const value = own[key];
    if (value !== null && value !== undefined) merged[key] = value;
  }
  return merged;
}

interface OtelApi {
  trace: {
    getActiveSpan(): { spanContext(): { traceId: string; spanId: string } } | undefined;
  };
  isSpanContextValid(spanContext: { traceId: string; spanId: string }): boolean;
}

// Optional: @opentelemetry/api is used when the service has it, never required.
const otel: OtelApi | null = (() => {
  try {
    return createRequire(import.meta.url)('@opentelemetry/api') as OtelApi;
  } catch {
    return null;
  }
})();

/** traceId and spanId of the active OpenTelemetry span, when there is one. */
export function activeSpanIds(): { traceId: string; spanId: string } | null {
  if (otel === null) return null;
  const span = otel.trace.getActiveSpan();
  if (span === undefined) return null;
  const ids = span.spanContext();
  return otel.isSpanContextValid(ids) ? ids : null;
}
