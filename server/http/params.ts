import type { MiddlewareHandler } from 'hono';
import { LOG_LEVELS, isLogLevel, type LogLevel } from '../../src/types.js';
import type { LogFilters } from '../store/filters.js';
import type { QueryNode } from '../query/ast.js';
import { QuerySyntaxError, parseQuery } from '../query/parse.js';
import { readTime } from '../query/time.js';
import { HttpError, badParameter } from './errors.js';

export const MAX_QUERY_STRING_BYTES = 8 * 1024;
/** The longest `q`, in characters. */
export const MAX_SEARCH_LENGTH = 2000;
export const DEFAULT_FROM = '24h';
/**
 * Without `to`, entries up to now plus this much (clocks drift). An explicit upper bound
 * lets PostgreSQL skip the partitions made ahead for the coming weeks when it plans.
 */
export const FUTURE_SKEW_MS = 5 * 60_000;

/** The query parameters every filtered route accepts. */
export const FILTER_PARAMETERS = [
  'level',
  'service',
  'tenantId',
  'tenantSlug',
  'userId',
  'requestId',
  'traceId',
  'errorSignature',
  'from',
  'to',
  'q',
] as const;

const EXACT_FILTERS = ['tenantId', 'tenantSlug', 'userId', 'requestId', 'traceId', 'errorSignature'] as const;

/**
 * The request's query parameters, checked: not over 8 KB, only the names the route knows
 * (a typo is an error rather than a silently ignored filter), no NUL characters (PostgreSQL
 * text cannot hold them). Empty values count as absent.
 */
export class QueryParams {
  private readonly params: URLSearchParams;

  constructor(url: string, allowed: readonly string[]) {
    const search = new URL(url).search.slice(1);
    if (Buffer.byteLength(search) > MAX_QUERY_STRING_BYTES) {
      throw new HttpError(414, `the query string is longer than ${MAX_QUERY_STRING_BYTES} bytes`);
    }
    this.params = new URLSearchParams(search);
    for (const [name, value] of this.params) {
      if (!allowed.includes(name))
        throw badParameter(name, `unknown parameter; this route accepts: ${allowed.join(', ') || 'none'}`);
      if (value.includes('\u0000')) throw badParameter(name, 'must not contain NUL characters');
    }
  }

  /** A parameter given at most once. */
  one(name: string): string | undefined {
    const values = this.params.getAll(name).filter((value) => value !== '');
    if (values.length > 1) throw badParameter(name, 'must be given once');
    return values[0];
  }

  /** A parameter given as a comma-separated list, repeated, or both. */
  list(name: string): string[] {
    return this.params
      .getAll(name)
      .flatMap((value) => value.split(','))
      .map((value) => value.trim())
      .filter((value) => value !== '');
  }
}

/**
 * The one way every route checks its query string: this middleware, before the route runs,
 * with the names the route accepts (none by default); the route reads `c.get('params')`.
 */
export function queryParams(
  allowed: readonly string[] = [],
): MiddlewareHandler<{ Variables: { params: QueryParams } }> {
  return async (c, next) => {
    c.set('params', new QueryParams(c.req.url, allowed));
    await next();
  };
}

/** An ISO-8601 time (UTC when it names no zone) or a time relative to now: 15m, 24h, 7d. */
export function parseTime(parameter: string, value: string, now: Date): Date {
  const time = readTime(value, now);
  if (typeof time === 'string') throw badParameter(parameter, time);
  return time;
}

/** A query in the query language, checked: its tree, null when it holds no condition; a 400 naming the parameter otherwise. */
export function parseQueryParameter(parameter: string, q: string, now: Date): QueryNode | null {
  if (q.length > MAX_SEARCH_LENGTH) throw badParameter(parameter, `must be at most ${MAX_SEARCH_LENGTH} characters`);
  try {
    return parseQuery(q, { now }).root;
  } catch (error) {
    if (!(error instanceof QuerySyntaxError)) throw error;
    throw new HttpError(400, error.message, parameter, { position: error.position, expected: error.expected });
  }
}

/** A whole number within [min, max], or the default when absent. */
export function parseIntParam(params: QueryParams, name: string, min: number, max: number, fallback: number): number {
  const value = params.one(name);
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw badParameter(name, `must be a whole number from ${min} to ${max}`);
  }
  return Number(value);
}

/** One of the given choices, or the default when absent. */
export function parseChoice<T extends string>(
  params: QueryParams,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const value = params.one(name);
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) throw badParameter(name, `must be one of ${choices.join(', ')}`);
  return value as T;
}

/** The shared filters; `from` defaults to 24 hours ago, `to` to now (see FUTURE_SKEW_MS). */
export function parseFilters(params: QueryParams, now: Date): LogFilters {
  const filters: LogFilters = {};

  const levels = params.list('level').map((level) => level.toLowerCase());
  const unknown = levels.find((level) => !isLogLevel(level));
  if (unknown !== undefined)
    throw badParameter('level', `unknown level "${unknown}"; expected ${LOG_LEVELS.join(', ')}`);
  if (levels.length) filters.levels = [...new Set(levels)] as LogLevel[];

  const services = params.list('service');
  if (services.length) filters.services = [...new Set(services)];

  for (const name of EXACT_FILTERS) {
    const value = params.one(name);
    if (value !== undefined) filters[name] = value;
  }

  filters.from = parseTime('from', params.one('from') ?? DEFAULT_FROM, now);
  const to = params.one('to');
  filters.to = to === undefined ? new Date(now.getTime() + FUTURE_SKEW_MS) : parseTime('to', to, now);
  if (filters.from > filters.to) throw badParameter('from', 'must not be after to');

  const q = params.one('q');
  if (q !== undefined) {
    const query = parseQueryParameter('q', q, now);
    if (query) filters.query = query;
  }
  return filters;
}
