import type { LogLevel } from '../../src/types.js';
import type { QueryNode } from '../query/ast.js';
import { querySql } from '../query/sql.js';

/** Filters shared by the query, histogram, aggregates, export and live stream. */
export interface LogFilters {
  levels?: LogLevel[];
  services?: string[];
  tenantId?: string;
  tenantSlug?: string;
  userId?: string;
  requestId?: string;
  traceId?: string;
  errorSignature?: string;
  from?: Date;
  to?: Date;
  /** The parsed `q` (the query language, server/query/parse.ts), ANDed with the other filters. */
  query?: QueryNode;
}

const EXACT_COLUMNS = {
  tenantId: 'tenant_id',
  tenantSlug: 'tenant_slug',
  userId: 'user_id',
  requestId: 'request_id',
  traceId: 'trace_id',
  errorSignature: 'error_signature',
} as const satisfies Partial<Record<keyof LogFilters, string>>;

/**
 * The SQL conditions (to be joined with AND) for the filters; values are appended to
 * `params` and referenced as $n, never interpolated.
 */
export function filterConditions(filters: LogFilters, params: unknown[]): string[] {
  const conditions: string[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filters.levels?.length) conditions.push(`level = ANY(${param(filters.levels)}::text[])`);
  if (filters.services?.length) conditions.push(`service = ANY(${param(filters.services)}::text[])`);
  for (const [key, column] of Object.entries(EXACT_COLUMNS) as [keyof typeof EXACT_COLUMNS, string][]) {
    const value = filters[key];
    if (value !== undefined) conditions.push(`${column} = ${param(value)}`);
  }
  if (filters.from) conditions.push(`"timestamp" >= ${param(filters.from)}`);
  if (filters.to) conditions.push(`"timestamp" < ${param(filters.to)}`);
  if (filters.query) conditions.push(querySql(filters.query, param));
  return conditions;
}

/** `WHERE …` for the filters, or an empty string when there are none. */
export function whereClause(filters: LogFilters, params: unknown[], extra: string[] = []): string {
  const conditions = [...filterConditions(filters, params), ...extra];
  return conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
}
