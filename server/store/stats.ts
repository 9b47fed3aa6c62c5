import type pg from 'pg';
import { LOG_LEVELS, type LogLevel } from '../../src/types.js';
import type { QueryNode } from '../query/ast.js';
import type { LogFilters } from './filters.js';

/**
 * What a response says about the work behind it, so that a slow query explains itself:
 * `partitionsScanned` is how many partitions of platform_logs the query's levels and time
 * bounds leave to read (PostgreSQL prunes the others; each level's DEFAULT partition counts),
 * `durationMs` the time the store took to answer.
 */
export interface QueryStats {
  partitionsScanned: number;
  durationMs: number;
}

interface Scope {
  levels: Set<LogLevel>;
  from: Date | null;
  to: Date | null;
  /** Whether an entry at `to` itself is wanted (`timestamp:<=t`); the API's `to` is exclusive. */
  toInclusive?: boolean;
}

/** Narrows the scope by the conditions at the top of the query (an AND's direct terms), as pruning does. */
function narrow(scope: Scope, node: QueryNode | undefined): void {
  if (!node) return;
  if (node.type === 'and') {
    for (const child of node.children) narrow(scope, child);
    return;
  }
  if (node.type === 'none') {
    scope.levels.clear();
    return;
  }
  if (node.type === 'equals' && node.field.kind === 'column' && node.field.field.field === 'level') {
    for (const level of [...scope.levels]) if (!node.values.includes(level)) scope.levels.delete(level);
    return;
  }
  if (node.type === 'compare' && node.field.kind === 'column' && node.field.field.field === 'timestamp') {
    for (const { op, value } of node.bounds) {
      const time = value as Date;
      if ((op === '>' || op === '>=') && (scope.from === null || time > scope.from)) scope.from = time;
      if ((op === '<' || op === '<=') && (scope.to === null || time < scope.to)) {
        scope.to = time;
        scope.toInclusive = op === '<=';
      }
    }
  }
}

/** The partitions a query with these filters reads, from the partition catalog (one small query). */
export async function partitionsScanned(
  db: pg.Pool | pg.PoolClient,
  filters: LogFilters,
  extra: Partial<Pick<Scope, 'from' | 'to'>> = {},
): Promise<number> {
  const scope: Scope = {
    levels: new Set(filters.levels?.length ? filters.levels : LOG_LEVELS),
    from: filters.from ?? null,
    to: filters.to ?? null,
  };
  if (extra.from && (scope.from === null || extra.from > scope.from)) scope.from = extra.from;
  if (extra.to && (scope.to === null || extra.to < scope.to)) scope.to = extra.to;
  narrow(scope, filters.query);
  if (scope.levels.size === 0) return 0;
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM platform_log_partitions
     WHERE level = ANY($1::text[]) AND ($2::timestamptz IS NULL OR upper_bound > $2)
       AND ($3::timestamptz IS NULL OR lower_bound < $3 OR ($4 AND lower_bound = $3))`,
    [[...scope.levels], scope.from, scope.to, scope.toInclusive === true],
  );
  return rows[0].n + scope.levels.size;
}

/** Runs the store's work and measures it; the partition count is read beside it. */
export async function measured<T>(
  pool: pg.Pool,
  filters: LogFilters | null,
  work: () => Promise<T>,
  extra?: Partial<Pick<Scope, 'from' | 'to'>>,
): Promise<{ result: T; stats: QueryStats }> {
  const started = performance.now();
  const [result, partitions] = await Promise.all([work(), filters ? partitionsScanned(pool, filters, extra) : 0]);
  return {
    result,
    stats: { partitionsScanned: partitions, durationMs: Math.round((performance.now() - started) * 10) / 10 },
  };
}
