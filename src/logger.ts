import type { Logger as PinoLogger } from 'pino';
import { callerLocation, type CallerLocation } from './caller.js';
import { activeSpanIds, currentLogScope, mergeContext, type LogScope } from './context.js';
import { uuidv7 } from './id.js';
import type { LogOutputs } from './outputs.js';
import type { DataSanitizer } from './safe-data.js';
import { safeString } from './safe-string.js';
import { isoTimestamp } from './timestamp.js';
import { isErrorLike, serializeError } from './serialize-error.js';
import { PLATFORM_TENANT_ID, type LogContext, type LogLevel } from './types.js';

/** pino's numeric levels, which the platform levels keep. */
export const LEVEL_VALUES: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50 };

const CONTEXT_KEYS = [
  'tenantId',
  'tenantSlug',
  'userId',
  'sessionId',
  'impersonatorId',
  'requestId',
  'traceId',
  'spanId',
  'action',
] as const satisfies readonly (keyof LogContext)[];

/** What every logger of one createLogger() call shares. */
export interface LoggerCore {
  /** The pino logger without bindings; each PlatformLogger binds its fields on a child of it. */
  readonly pino: PinoLogger;
  readonly minLevel: LogLevel;
  /** Entries of this level value and above carry the caller's location (Infinity: none). */
  readonly callerLocationFrom: number;
  readonly maxStringLength: number;
  readonly sanitize: DataSanitizer;
  readonly service: string;
  readonly environment: string;
  readonly version: string | null;
  readonly region: string | null;
  readonly outputs: LogOutputs;
}

export interface CloseOptions {
  /** How long to wait for the transports to finish. Default 10 s. */
  timeoutMs?: number;
}

/** The fields that change from entry to entry: pino's merge object. Absent ones are left out of the line. */
interface EntryFields {
  timestamp: string;
  id: string;
  file?: string;
  line?: number;
  function?: string;
  traceId?: string;
  spanId?: string;
  errorType?: string;
  errorCode?: string;
  errorStack?: string;
  data?: Record<string, unknown>;
}

/**
 * The platform's logger: a thin layer over pino that writes every entry with exactly the
 * LogEntry fields. Log calls never throw.
 */
export class PlatformLogger {
  readonly context: Readonly<LogContext>;
  readonly #core: LoggerCore;
  #pinoChild: PinoLogger | undefined;

  constructor(core: LoggerCore, context: LogContext = {}) {
    this.#core = core;
    this.context = Object.freeze(cleanContext(context, core.maxStringLength));
  }

  debug(message: string, data?: unknown): void {
    if (this.#accepts('debug')) this.#write('debug', message, undefined, data, this.#callerOf('debug', PlatformLogger.prototype.debug));
  }

  info(message: string, data?: unknown): void {
    if (this.#accepts('info')) this.#write('info', message, undefined, data, this.#callerOf('info', PlatformLogger.prototype.info));
  }

  /** `warn(message, data?)`, or `warn(message, err, data?)` like error. */
  warn(message: string, data?: unknown): void;
  warn(message: string, err: unknown, data: unknown): void;
  warn(message: string, errOrData?: unknown, data?: unknown): void {
    if (!this.#accepts('warn')) return;
    const caller = this.#callerOf('warn', PlatformLogger.prototype.warn);
    if (arguments.length >= 3 || isThrown(errOrData)) this.#write('warn', message, errOrData, data, caller);
    else this.#write('warn', message, undefined, errOrData, caller);
  }

  /**
   * `error(message, err, data?)`: err may be anything (an Error, a string, an object).
   * With two arguments, an Error or a primitive is the error, an object is data.
   */
  error(message: string, errOrData?: unknown, data?: unknown): void {
    if (!this.#accepts('error')) return;
    const caller = this.#callerOf('error', PlatformLogger.prototype.error);
    if (arguments.length >= 3 || isThrown(errOrData)) this.#write('error', message, errOrData, data, caller);
    else this.#write('error', message, undefined, errOrData, caller);
  }

  /** A logger whose entries carry this context on top of this logger's (null or undefined inherit). */
  child(context: LogContext): PlatformLogger {
    return new PlatformLogger(this.#core, mergeContext(context, this.context));
  }

  isLevelEnabled(level: LogLevel): boolean {
    return LEVEL_VALUES[level] >= LEVEL_VALUES[this.#core.minLevel];
  }

  /** Resolves when the transports have taken every entry written so far. */
  flush(): Promise<void> {
    return this.#core.outputs.flush();
  }

  /**
   * Ends the outputs shared by this logger and all its relatives, resolving once every
   * transport has written what it was given. Entries logged afterwards are dropped.
   */
  close(options: CloseOptions = {}): Promise<void> {
    return this.#core.outputs.close(options.timeoutMs);
  }

  #accepts(level: LogLevel): boolean {
    const core = this.#core;
    return LEVEL_VALUES[level] >= LEVEL_VALUES[core.minLevel] && !core.outputs.closed;
  }

  /**
   * Where the code calling `method` is, when entries of this level carry it. Taken in the
   * logging method itself: the fewer frames V8 walks to reach the caller, the cheaper.
   */
  #callerOf(level: LogLevel, method: Function): CallerLocation | null {
    return LEVEL_VALUES[level] >= this.#core.callerLocationFrom ? callerLocation(method) : null;
  }

  #write(level: LogLevel, message: unknown, err: unknown, data: unknown, caller: CallerLocation | null): void {
    try {
      const scope = currentLogScope();
      const logger = scope === undefined ? this : this.#inScope(scope);
      logger.#emit(level, message, err, data, caller);
    } catch (failure) {
      this.#writeUnserializable(level, message, failure);
    }
  }

  /** This logger with the scope's context filling its gaps, made once per scope. */
  #inScope(scope: LogScope): PlatformLogger {
    let logger = scope.merged.get(this);
    if (logger === undefined) {
      const context = mergeContext(this.context, scope.context);
      logger = CONTEXT_KEYS.every((key) => (context[key] ?? null) === this.context[key]) ? this : new PlatformLogger(this.#core, context);
      scope.merged.set(this, logger);
    }
    return logger;
  }

  /**
   * One entry: the fields that change with every entry go to pino as the merge object, the
   * logger's context as the bindings of its pino child, serialized once. The timestamp is
   * the id's own time, so it travels beside the id rather than through pino's timestamp option. Nothing is shared
   * between calls, so a message or data that logs while being read gives two whole entries.
   */
  #emit(level: LogLevel, message: unknown, err: unknown, data: unknown, caller: CallerLocation | null): void {
    const core = this.#core;
    const now = Date.now();
    const fields: EntryFields = { timestamp: isoTimestamp(now), id: uuidv7(now) };
    if (caller !== null && caller.file !== null) {
      fields.file = caller.file;
      if (caller.line !== null) fields.line = caller.line;
      if (caller.function !== null) fields.function = caller.function;
    }
    if (this.context.traceId === null) {
      const span = activeSpanIds();
      if (span !== null) {
        fields.traceId = span.traceId;
        fields.spanId = span.spanId;
      }
    }
    let safeData = core.sanitize(data);
    if (err !== undefined && err !== null) {
      const error = serializeError(err, core.maxStringLength);
      if (error.errorType !== null) fields.errorType = error.errorType;
      if (error.errorCode !== null) fields.errorCode = error.errorCode;
      if (error.errorStack !== null) fields.errorStack = error.errorStack;
      if (!isErrorLike(err)) safeData = withThrownValue(safeData, core.sanitize(err));
    }
    if (safeData !== null) fields.data = safeData;
    const child = (this.#pinoChild ??= core.pino.child(this.#bindings()));
    child[level](fields, messageText(message, core.maxStringLength));
  }

  /** The entry's fields that do not change from call to call (those with a value), bound once on a pino child. */
  #bindings(): Record<string, string> {
    const core = this.#core;
    const bindings: Record<string, string> = { tenantId: this.context.tenantId ?? PLATFORM_TENANT_ID, service: core.service, environment: core.environment };
    for (const key of CONTEXT_KEYS) {
      const value = this.context[key];
      if (value !== null && value !== undefined && key !== 'tenantId') bindings[key] = value;
    }
    if (core.version !== null) bindings.version = core.version;
    if (core.region !== null) bindings.region = core.region;
    return bindings;
  }

  /** Last resort when an entry could not be written: say so, with the message, and never throw. */
  #writeUnserializable(level: LogLevel, message: unknown, failure: unknown): void {
    try {
      const core = this.#core;
      const now = Date.now();
      const reason = safeString(String((failure as Error)?.message ?? failure), 1_000);
      core.pino[level](
        { ...this.#bindings(), timestamp: isoTimestamp(now), id: uuidv7(now), data: { reason } },
        `Log entry could not be serialized: ${messageText(message, core.maxStringLength)}`,
      );
    } catch {
      // The outputs themselves failed; there is nowhere left to write.
    }
  }
}

/** With two arguments, whether the second is what was thrown rather than data. */
function isThrown(value: unknown): boolean {
  return isErrorLike(value) || (value !== null && value !== undefined && typeof value !== 'object');
}

function cleanContext(context: LogContext, maxStringLength: number): LogContext {
  const clean: LogContext = {};
  for (const key of CONTEXT_KEYS) {
    const value: unknown = context[key];
    clean[key] = value === null || value === undefined ? null : safeString(String(value), maxStringLength);
  }
  return clean;
}

function messageText(message: unknown, maxStringLength: number): string {
  if (typeof message === 'string') return safeString(message, maxStringLength);
  try {
    return safeString(String(message), maxStringLength);
  } catch {
    return '[message could not be converted to text]';
  }
}

/** A thrown value that is not an Error goes into data, under `error` unless data has one. */
function withThrownValue(data: Record<string, unknown> | null, thrown: Record<string, unknown> | null): Record<string, unknown> {
  const value = thrown?.value !== undefined && Object.keys(thrown).length === 1 ? thrown.value : thrown;
  const key = data !== null && 'error' in data ? 'errorValue' : 'error';
  return { ...data, [key]: value };
}
