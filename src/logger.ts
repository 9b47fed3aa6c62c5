import type { Logger as PinoLogger } from 'pino';
import { callerLocation, type CallerLocation } from './caller.js';
import { activeSpanIds, currentLogScope, mergeContext, type LogScope } from './context.js';
import { uuidv7 } from './id.js';
import { timestampField } from './timestamp.js';
import type { LogOutputs } from './outputs.js';
import type { CloseReport } from './transport-report.js';
import type { DataSanitizer } from './safe-data.js';
import { safeString } from './safe-string.js';
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
  /** The per-entry fields of the entry being written, as partial JSON, which pino's timestamp function writes. */
  readonly entryFields: { json: string };
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

// The fields usually empty are bound once as null on the pino child; an entry that has them
// uses a child without those bindings and carries them itself, so each key appears once.
const OWN_TRACE = 1;
const OWN_ERROR = 2;
const OWN_LOCATION = 4;

/**
 * The platform's logger: a thin layer over pino that writes every entry with exactly the
 * LogEntry fields. Log calls never throw.
 */
export class PlatformLogger {
  readonly context: Readonly<LogContext>;
  readonly #core: LoggerCore;
  readonly #children: (PinoLogger | undefined)[] = [];

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
   * transport has written what it was given, or spooled what its store did not take in time,
   * to a report per store (written, spooled, dropped). Entries logged afterwards are dropped.
   */
  close(options: CloseOptions = {}): Promise<CloseReport> {
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
   * The fields that change with every entry are written here as partial JSON, which pino
   * puts into the line through its timestamp function; pino itself only adds the level,
   * the bound fields and the message. The caller's location comes serialized once per
   * call site, the ids and the timestamp need no escaping.
   */
  #emit(level: LogLevel, message: unknown, err: unknown, data: unknown, caller: CallerLocation | null): void {
    const core = this.#core;
    const now = Date.now();
    let fields = `${timestampField(now)},"id":"${uuidv7(now)}"`;
    let shape = 0;
    if (caller !== null) {
      fields += caller.json;
      shape |= OWN_LOCATION;
    }
    if (this.context.traceId === null) {
      const span = activeSpanIds();
      if (span !== null) {
        fields += `,"traceId":${JSON.stringify(span.traceId)},"spanId":${JSON.stringify(span.spanId)}`;
        shape |= OWN_TRACE;
      }
    }
    let safeData = core.sanitize(data);
    if (err !== undefined && err !== null) {
      const error = serializeError(err, core.maxStringLength);
      fields += `,"errorType":${JSON.stringify(error.errorType)},"errorCode":${JSON.stringify(error.errorCode)},"errorStack":${JSON.stringify(error.errorStack)}`;
      if (!isErrorLike(err)) safeData = withThrownValue(safeData, core.sanitize(err));
      shape |= OWN_ERROR;
    }
    core.entryFields.json = fields + (safeData === null ? ',"data":null' : `,"data":${JSON.stringify(safeData)}`);
    this.#pinoChild(shape)[level](messageText(message, core.maxStringLength));
  }

  #pinoChild(shape: number): PinoLogger {
    return (this.#children[shape] ??= this.#core.pino.child(this.#bindings(shape)));
  }

  /** The entry's fields that do not change from call to call, serialized once by pino. */
  #bindings(shape: number): Record<string, unknown> {
    const core = this.#core;
    const context = this.context;
    const bindings: Record<string, unknown> = {
      tenantId: context.tenantId ?? PLATFORM_TENANT_ID,
      tenantSlug: context.tenantSlug,
      userId: context.userId,
      sessionId: context.sessionId,
      impersonatorId: context.impersonatorId,
      requestId: context.requestId,
      service: core.service,
      action: context.action,
      environment: core.environment,
      version: core.version,
      region: core.region,
    };
    if (!(shape & OWN_TRACE)) {
      bindings.traceId = context.traceId;
      bindings.spanId = context.spanId;
    }
    if (!(shape & OWN_ERROR)) {
      bindings.errorType = null;
      bindings.errorCode = null;
      bindings.errorStack = null;
    }
    if (!(shape & OWN_LOCATION)) {
      bindings.file = null;
      bindings.line = null;
      bindings.function = null;
    }
    return bindings;
  }

  /** Last resort when an entry could not be written: say so, with the message, and never throw. */
  #writeUnserializable(level: LogLevel, message: unknown, failure: unknown): void {
    try {
      const core = this.#core;
      const now = Date.now();
      core.entryFields.json = timestampField(now);
      const reason = safeString(String((failure as Error)?.message ?? failure), 1_000);
      core.pino[level](
        { ...this.#bindings(0), id: uuidv7(now), data: { reason } },
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
