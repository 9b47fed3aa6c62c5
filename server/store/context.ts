import type pg from 'pg';
import type { StoredLogEntry } from '../../src/types.js';
import { ENTRY_COLUMNS } from '../../src/entry-fields.js';
import { rowToEntry } from './entry-row.js';
import { uuidV7Time } from './query.js';

export const CONTEXT_SCOPES = ['tenant', 'service', 'request'] as const;
export type ContextScope = (typeof CONTEXT_SCOPES)[number];

export interface LogContext {
  entry: StoredLogEntry;
  /** The entries just before it, oldest first. */
  before: StoredLogEntry[];
  /** The entries just after it, oldest first. */
  after: StoredLogEntry[];
}

/** How far from the entry context is looked for: a day each way, so only the partitions near it are read. */
const WINDOW_MS = 86_400_000;
const EXACT_TIME = `to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * The entries logged around one entry by the same tenant, service or request: `before` entries
 * before it and `after` after it in (timestamp, id) order, keyset on the entry's exact position
 * (so entries with the same timestamp are split by id, never repeated or lost), within a day of
 * it. With `tenantId` (a tenant key) everything, the entry included, is that tenant's only.
 * Null when there is no such entry.
 */
export async function getContext(
  pool: pg.Pool,
  id: string,
  options: { before: number; after: number; by: ContextScope; tenantId?: string },
): Promise<LogContext | null> {
  const params: unknown[] = [id];
  const conditions = ['id = $1'];
  if (options.tenantId !== undefined) {
    params.push(options.tenantId);
    conditions.push(`tenant_id = $${params.length}`);
  }
  const madeAt = uuidV7Time(id);
  if (madeAt) {
    params.push(new Date(madeAt.getTime() - WINDOW_MS), new Date(madeAt.getTime() + WINDOW_MS));
    conditions.push(`"timestamp" >= $${params.length - 1} AND "timestamp" < $${params.length}`);
  }
  const found = await pool.query(
    `SELECT ${ENTRY_COLUMNS}, ${EXACT_TIME} AS exact_time FROM platform_logs WHERE ${conditions.join(' AND ')} LIMIT 1`,
    params,
  );
  if (found.rows.length === 0) return null;
  const row = found.rows[0];
  const entry = rowToEntry(row);

  const scope: { column: string; value: string | null } =
    options.by === 'service'
      ? { column: 'service', value: entry.service }
      : options.by === 'request'
        ? { column: 'request_id', value: entry.requestId }
        : { column: 'tenant_id', value: entry.tenantId };
  if (scope.value === null) return { entry, before: [], after: [] };

  const side = async (direction: 'before' | 'after', limit: number): Promise<StoredLogEntry[]> => {
    if (limit === 0) return [];
    const at = Date.parse(row.exact_time);
    const sideParams: unknown[] = [
      scope.value,
      row.exact_time,
      entry.id,
      new Date(direction === 'before' ? at - WINDOW_MS : at + WINDOW_MS),
      limit,
    ];
    const sideConditions = [`${scope.column} = $1`];
    if (options.tenantId !== undefined && scope.column !== 'tenant_id') {
      sideParams.push(options.tenantId);
      sideConditions.push(`tenant_id = $${sideParams.length}`);
    }
    const sql =
      direction === 'before'
        ? `("timestamp", id) < ($2::timestamptz, $3::uuid) AND "timestamp" >= $4 ORDER BY "timestamp" DESC, id DESC`
        : `("timestamp", id) > ($2::timestamptz, $3::uuid) AND "timestamp" < $4 ORDER BY "timestamp", id`;
    const [where, order] = sql.split(' ORDER BY ');
    const { rows } = await pool.query(
      `SELECT ${ENTRY_COLUMNS} FROM platform_logs WHERE ${sideConditions.join(' AND ')} AND ${where} ORDER BY ${order} LIMIT $5`,
      sideParams,
    );
    const entries = rows.map(rowToEntry);
    return direction === 'before' ? entries.reverse() : entries;
  };
  const [before, after] = await Promise.all([side('before', options.before), side('after', options.after)]);
  return { entry, before, after };
}
