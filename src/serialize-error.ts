import { types } from 'node:util';
import { safeString } from './safe-string.js';

/** The error fields of a log entry. */
export interface ErrorFields {
  errorType: string | null;
  errorCode: string | null;
  errorStack: string | null;
}

const NO_ERROR: ErrorFields = { errorType: null, errorCode: null, errorStack: null };

/** The type reported for a thrown value that is not an Error (a string, a plain object...). */
const NON_ERROR_TYPE = 'NonError';

const MAX_CAUSES = 10;

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  stack?: unknown;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** An Error, from this realm or another, or an object shaped like one (e.g. a parsed error). */
export function isErrorLike(value: unknown): value is ErrorLike {
  if (value instanceof Error || types.isNativeError(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as ErrorLike;
  return typeof candidate.message === 'string' && typeof candidate.stack === 'string';
}

/** The constructor's name unless `name` was set to something more specific than 'Error'. */
export function errorTypeOf(err: ErrorLike): string {
  if (typeof err.name === 'string' && err.name !== '' && err.name !== 'Error') return err.name;
  const constructorName = (err as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof constructorName === 'string' && constructorName !== '' && constructorName !== 'Object'
    ? constructorName
    : 'Error';
}

export function errorCodeOf(err: { code?: unknown }): string | null {
  return typeof err.code === 'string' || typeof err.code === 'number' ? String(err.code) : null;
}

function stackOf(err: ErrorLike): string {
  if (typeof err.stack === 'string' && err.stack !== '') return err.stack;
  return `${errorTypeOf(err)}: ${String(err.message ?? '')}`;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * The stack text of an error followed by its cause chain ("Caused by: ...") and, for an
 * AggregateError, the errors it aggregates; cycles and overly long chains are cut.
 */
function stackWithCauses(err: ErrorLike): string {
  let text = stackOf(err);
  if (Array.isArray(err.errors)) {
    err.errors.slice(0, MAX_CAUSES).forEach((inner, i) => {
      text += `\n[${i}] ${isErrorLike(inner) ? stackOf(inner) : describe(inner)}`;
    });
  }
  const seen = new Set<unknown>([err]);
  let cause = err.cause;
  for (let depth = 0; cause !== undefined && cause !== null; depth++) {
    if (depth === MAX_CAUSES) return `${text}\nCaused by: …[more causes]`;
    if (seen.has(cause)) return `${text}\nCaused by: [Circular]`;
    seen.add(cause);
    text += `\nCaused by: ${isErrorLike(cause) ? stackOf(cause) : describe(cause)}`;
    cause = typeof cause === 'object' ? (cause as ErrorLike).cause : undefined;
  }
  return text;
}

/** The entry's error fields for an Error (or error-like object); null fields for anything else. */
export function serializeError(err: unknown, maxStringLength: number): ErrorFields {
  if (err === undefined || err === null) return NO_ERROR;
  if (!isErrorLike(err)) {
    const code = typeof err === 'object' ? errorCodeOf(err as ErrorLike) : null;
    return { errorType: NON_ERROR_TYPE, errorCode: safeCode(code, maxStringLength), errorStack: null };
  }
  return {
    errorType: safeString(errorTypeOf(err), maxStringLength),
    errorCode: safeCode(errorCodeOf(err), maxStringLength),
    errorStack: safeString(stackWithCauses(err), maxStringLength),
  };
}

function safeCode(code: string | null, maxStringLength: number): string | null {
  return code === null ? null : safeString(code, maxStringLength);
}
