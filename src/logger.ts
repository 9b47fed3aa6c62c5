import type { Logger as PinoLogger } from 'pino';
import { callerLocation, type CallerLocation } from './caller.js';
import { activeSpanIds, currentLogScope, mergeContext, type LogScope } from './context.js';
import { uuidv7 } from './id.js';
import type { LogOutputs } from './outputs.js';
import type { CloseReport } from './transport-report.js';
import type { DataSanitizer } from './safe-data.js';
import { safeString } from './safe-string.js';
import { isoTimestamp } from './timestamp.js';
import { isErrorLike, serializeError } from './serialize-error.js';
import { parseLevel } from './config.js';
import { PLATFORM_TENANT_ID, type LevelName, type LogContext, type PinoLevel } from './types.js';

/** pino's numeric levels. */
export const LEVEL_VALUES: Record<PinoLevel, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

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
const CONTEXT_KEY_SET = new Set<string>(CONTEXT_KEYS);
const TRACE_KEYS = new Set<string>(['traceId', 'spanId']);
const NO_CONTEXT: LogContext = {};

/** Where a logger.pino (and the children made of it) finds the context of its PlatformLogger. */
const OWN_CONTEXT = Symbol('platform-logging context');

/** What child() takes: context keys, and any other key, which goes into the data of every entry. */
export type ChildBindings = LogContext | Record<string, unknown>;

/** What every logger of one createLogger() call shares. */
export interface LoggerCore {
  /** The pino logger without bindings, whose level is every logger's; each PlatformLogger binds its fields on a child of it. */
  readonly pino: PinoLogger;
  /** The root of `logger.pino`: the same outputs and level, with pinoMixin for what a plain pino call lacks. */
  readonly publicPino: PinoLogger;
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
 * The platform's logger: a thin layer over pino that writes each entry with the LogEntry
 * fields it has. Log calls never throw.
 */
export class PlatformLogger {
  readonly context: Readonly<LogContext>;
  readonly #core: LoggerCore;
  /** The data child() bound beyond the context keys, on every entry. */
  readonly #data: Record<string, unknown> | null;
  #pinoChild: PinoLogger | undefined;
  /** The pino child without this logger's trace ids, for entries in an active span, whose ids win. */
  #pinoChildInSpan: PinoLogger | undefined;
  #publicPino: PinoLogger | undefined;

  constructor(core: LoggerCore, context: LogContext = {}, data: Record<string, unknown> | null = null) {
    this.#core = core;
    this.context = Object.freeze(cleanContext(context, core.maxStringLength));
    this.#data = data;
  }

  trace(message: string, data?: unknown): void;
  trace(data: object, message?: string): void;
  trace(first: unknown, second?: unknown): void {
    if (this.#accepts('trace'))
      this.#write(
        'trace',
        readCall(false, arguments.length, first, second, undefined),
        this.#callerOf('trace', PlatformLogger.prototype.trace),
      );
  }

  debug(message: string, data?: unknown): void;
  debug(data: object, message?: string): void;
  debug(first: unknown, second?: unknown): void {
    if (this.#accepts('debug'))
      this.#write(
        'debug',
        readCall(false, arguments.length, first, second, undefined),
        this.#callerOf('debug', PlatformLogger.prototype.debug),
      );
  }

  info(message: string, data?: unknown): void;
  info(data: object, message?: string): void;
  info(first: unknown, second?: unknown): void {
    if (this.#accepts('info'))
      this.#write(
        'info',
        readCall(false, arguments.length, first, second, undefined),
        this.#callerOf('info', PlatformLogger.prototype.info),
      );
  }

  /** `warn(message, data?)`, or `warn(message, err, data?)` like error. */
  warn(message: string, data?: unknown): void;
  warn(message: string, err: unknown, data: unknown): void;
  warn(data: object, message?: string): void;
  warn(first: unknown, second?: unknown, third?: unknown): void {
    if (this.#accepts('warn'))
      this.#write(
        'warn',
        readCall(true, arguments.length, first, second, third),
        this.#callerOf('warn', PlatformLogger.prototype.warn),
      );
  }

  /**
   * `error(message, err, data?)`: err may be anything (an Error, a string, an object).
   * With two arguments, an Error or a primitive is the error, an object is data.
   */
  error(message: string, errOrData?: unknown, data?: unknown): void;
  error(data: object, message?: string): void;
  error(first: unknown, second?: unknown, third?: unknown): void {
    if (this.#accepts('error'))
      this.#write(
        'error',
        readCall(true, arguments.length, first, second, third),
        this.#callerOf('error', PlatformLogger.prototype.error),
      );
  }

  /** Like error; stored as an error entry. */
  fatal(message: string, errOrData?: unknown, data?: unknown): void;
  fatal(data: object, message?: string): void;
  fatal(first: unknown, second?: unknown, third?: unknown): void {
    if (this.#accepts('fatal'))
      this.#write(
        'fatal',
        readCall(true, arguments.length, first, second, third),
        this.#callerOf('fatal', PlatformLogger.prototype.fatal),
      );
  }

  /**
   * A logger whose entries carry these bindings on top of this logger's: context keys (null
   * or undefined inherit), and any other key into the data of every entry.
   */
  child(bindings: ChildBindings): PlatformLogger {
    let extra: Record<string, unknown> | null = null;
    for (const [key, value] of Object.entries(bindings)) {
      if (!CONTEXT_KEY_SET.has(key)) (extra ??= {})[key] = value;
    }
    const data = extra === null ? this.#data : { ...this.#data, ...this.#core.sanitize(extra) };
    return new PlatformLogger(this.#core, mergeContext(bindings as LogContext, this.context), data);
  }

  /** The lowest level written, shared by every logger of the same createLogger() call; settable at any time. */
  get level(): LevelName {
    return this.#core.pino.level as LevelName;
  }

  set level(level: LevelName) {
    const name = parseLevel('level', level);
    this.#core.pino.level = name;
    this.#core.publicPino.level = name;
  }

  /**
   * A real pino Logger with this logger's context, level and outputs, for pino-http,
   * hono-pino or any code written for pino. Its entries get an id, the active span's ids
   * and the request scope's context like this logger's.
   */
  get pino(): PinoLogger {
    if (this.#publicPino === undefined) {
      const bindings: Record<string, unknown> = this.#bindings(false, false);
      if (this.#data !== null) bindings.data = this.#data;
      const logger = this.#core.publicPino.child(bindings);
      // inherited by the children pino-http and others make of it
      Object.defineProperty(logger, OWN_CONTEXT, { value: this.context });
      this.#publicPino = logger;
    }
    return this.#publicPino;
  }

  isLevelEnabled(level: PinoLevel): boolean {
    return this.#core.pino.isLevelEnabled(level);
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

  #accepts(level: PinoLevel): boolean {
    const core = this.#core;
    return LEVEL_VALUES[level] >= core.pino.levelVal && !core.outputs.closed;
  }

  /**
   * Where the code calling `method` is, when entries of this level carry it. Taken in the
   * logging method itself: the fewer frames V8 walks to reach the caller, the cheaper.
   */
  #callerOf(level: PinoLevel, method: Function): CallerLocation | null {
    return LEVEL_VALUES[level] >= this.#core.callerLocationFrom ? callerLocation(method) : null;
  }

  #write(level: PinoLevel, call: Call, caller: CallerLocation | null): void {
    try {
      const scope = currentLogScope();
      const logger = scope === undefined ? this : this.#inScope(scope);
      logger.#emit(level, call, caller);
    } catch (failure) {
      this.#writeUnserializable(level, call.message, failure);
    }
  }

  /** This logger with the scope's context filling its gaps, made once per scope. */
  #inScope(scope: LogScope): PlatformLogger {
    let logger = scope.merged.get(this);
    if (logger === undefined) {
      const context = mergeContext(this.context, scope.context);
      logger = CONTEXT_KEYS.every((key) => (context[key] ?? null) === this.context[key])
        ? this
        : new PlatformLogger(this.#core, context, this.#data);
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
  #emit(level: PinoLevel, { message, err, data }: Call, caller: CallerLocation | null): void {
    const core = this.#core;
    const now = Date.now();
    const fields: EntryFields = { timestamp: isoTimestamp(now), id: uuidv7(now) };
    if (caller !== null && caller.file !== null) {
      fields.file = caller.file;
      if (caller.line !== null) fields.line = caller.line;
      if (caller.function !== null) fields.function = caller.function;
    }
    const span = activeSpanIds();
    if (span !== null) {
      fields.traceId = span.traceId;
      fields.spanId = span.spanId;
    }
    let safeData = core.sanitize(data);
    if (this.#data !== null) safeData = safeData === null ? this.#data : { ...this.#data, ...safeData };
    if (err !== undefined && err !== null) {
      const error = serializeError(err, core.maxStringLength);
      if (error.errorType !== null) fields.errorType = error.errorType;
      if (error.errorCode !== null) fields.errorCode = error.errorCode;
      if (error.errorStack !== null) fields.errorStack = error.errorStack;
      if (!isErrorLike(err)) safeData = withThrownValue(safeData, core.sanitize(err));
    }
    if (safeData !== null) fields.data = safeData;
    const ownTrace = this.context.traceId !== null || this.context.spanId !== null;
    const child =
      span !== null && ownTrace
        ? (this.#pinoChildInSpan ??= core.pino.child(this.#bindings(true, false)))
        : (this.#pinoChild ??= core.pino.child(this.#bindings(true, true)));
    child[level](fields, messageText(message, core.maxStringLength));
  }

  /**
   * The entry's fields that do not change from call to call (those with a value), bound once
   * on a pino child: with the platform tenant when the context has none, unless logger.pino's
   * mixin is to fill it from the scope; without the trace ids when an active span's replace them.
   */
  #bindings(platformTenant: boolean, withTrace: boolean): Record<string, string> {
    const core = this.#core;
    const bindings: Record<string, string> = { service: core.service, environment: core.environment };
    for (const key of CONTEXT_KEYS) {
      const value = this.context[key];
      if (value !== null && value !== undefined && (withTrace || !TRACE_KEYS.has(key))) bindings[key] = value;
    }
    if (platformTenant) bindings.tenantId ??= PLATFORM_TENANT_ID;
    if (core.version !== null) bindings.version = core.version;
    if (core.region !== null) bindings.region = core.region;
    return bindings;
  }

  /** Last resort when an entry could not be written: say so, with the message, and never throw. */
  #writeUnserializable(level: PinoLevel, message: unknown, failure: unknown): void {
    try {
      const core = this.#core;
      const now = Date.now();
      const reason = safeString(String((failure as Error)?.message ?? failure), 1_000);
      core.pino[level](
        { ...this.#bindings(true, true), timestamp: isoTimestamp(now), id: uuidv7(now), data: { reason } },
        `Log entry could not be serialized: ${messageText(message, core.maxStringLength)}`,
      );
    } catch {
      // The outputs themselves failed; there is nowhere left to write.
    }
  }
}

/**
 * pino's mixin for logger.pino: per entry, the timestamp and the id (the id's time), the
 * active span's ids, else the logger's own trace ids, and the request scope's context where
 * the logger's own is empty.
 */
export function pinoMixin(_merge: object, _level: number, logger: PinoLogger): Record<string, unknown> {
  const now = Date.now();
  const fields: Record<string, unknown> = { timestamp: isoTimestamp(now), id: uuidv7(now) };
  const own = (logger as { [OWN_CONTEXT]?: LogContext })[OWN_CONTEXT] ?? NO_CONTEXT;
  const scope = currentLogScope()?.context ?? NO_CONTEXT;
  for (const key of CONTEXT_KEYS) {
    const value = TRACE_KEYS.has(key)
      ? (own[key] ?? scope[key])
      : own[key] === null || own[key] === undefined
        ? scope[key]
        : undefined;
    if (value !== null && value !== undefined) fields[key] = value;
  }
  const span = activeSpanIds();
  if (span !== null) {
    fields.traceId = span.traceId;
    fields.spanId = span.spanId;
  }
  return fields;
}

/** What one log call says. */
interface Call {
  message: unknown;
  err: unknown;
  data: unknown;
}

/**
 * A plain object that does not say how it reads as text: pino's merge object when it comes
 * first, whereas a message object with its own toString is a message.
 */
function isMergeObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return (prototype === Object.prototype || prototype === null) && !Object.hasOwn(value, 'toString');
}

/**
 * A call's arguments, in the platform's order, `(message, data?)` and for warn and above
 * `(message, err, data?)`, or in pino's, `(data, message?)` where data's `err` is the error,
 * or `(err, message?)`.
 */
function readCall(takesError: boolean, count: number, first: unknown, second: unknown, third: unknown): Call {
  if (typeof first === 'object' && first !== null) {
    const message = typeof second === 'string' ? second : undefined;
    if (isErrorLike(first)) return { message: message ?? first.message, err: first, data: undefined };
    if (isMergeObject(first)) {
      const { err, ...data } = first as { err?: unknown };
      return isErrorLike(err)
        ? { message: message ?? '', err, data }
        : { message: message ?? '', err: undefined, data: first };
    }
  }
  if (takesError && (count >= 3 || isThrown(second))) return { message: first, err: second, data: third };
  return { message: first, err: undefined, data: second };
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
function withThrownValue(
  data: Record<string, unknown> | null,
  thrown: Record<string, unknown> | null,
): Record<string, unknown> {
  const value = thrown?.value !== undefined && Object.keys(thrown).length === 1 ? thrown.value : thrown;
  const key = data !== null && 'error' in data ? 'errorValue' : 'error';
  return { ...data, [key]: value };
}
