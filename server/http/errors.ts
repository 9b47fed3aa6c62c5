import type { Context } from 'hono';

/** An error answered to the client as `{ error, parameter? }` with its status. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: 400 | 401 | 404 | 413 | 414 | 429 | 503,
    message: string,
    readonly parameter?: string,
    /** More about the fault, answered beside `error` (a query's `position` and what was `expected`). */
    readonly details?: Record<string, string | number>,
  ) {
    super(message);
  }
}

export function badParameter(parameter: string, reason: string): HttpError {
  return new HttpError(400, reason, parameter);
}

export function errorBody(error: HttpError): { error: string; parameter?: string } {
  const body =
    error.parameter === undefined ? { error: error.message } : { error: error.message, parameter: error.parameter };
  return error.details ? { ...body, ...error.details } : body;
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH']);

/**
 * Whether an error means a store cannot be reached or is overloaded (PostgreSQL classes
 * 08 connection, 53 insufficient resources, 57 operator intervention; socket errors).
 */
export function isStoreUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') {
    const message = (error as Error | null)?.message ?? '';
    return /Connection terminated|timeout exceeded when trying to connect|The client is closed|Socket closed/i.test(
      message,
    );
  }
  return UNAVAILABLE_CODES.has(code) || /^(08|53|57)/.test(code);
}

/**
 * PostgreSQL errors that only input can cause (class 22 data exception, 54 program limit
 * exceeded). Input is validated up front; this is the net under that validation.
 */
export function isInputRejectedByStore(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|54)[0-9A-Z]{3}$/.test(code);
}

/** The JSON answer for anything thrown by a route; never a stack, never internals. */
export function errorResponse(c: Context, error: unknown, report: (error: unknown) => void): Response {
  if (error instanceof HttpError) {
    const headers: Record<string, string> =
      error.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : error.status === 429 ? { 'Retry-After': '1' } : {};
    return c.json(errorBody(error), error.status, headers);
  }
  if (isInputRejectedByStore(error))
    return c.json({ error: 'the request could not be answered for these parameters' }, 400);
  report(error);
  if (isStoreUnavailable(error))
    return c.json({ error: 'a log store is unavailable; try again shortly' }, 503, { 'Retry-After': '5' });
  return c.json({ error: 'the server could not answer this request' }, 500);
}
