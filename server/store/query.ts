import type pg from 'pg';
import type { StoredLogEntry } from '../../src/types.js';
import { ENTRY_COLUMNS } from '../../src/entry-fields.js';
import { rowToEntry } from './entry-row.js';
import { whereClause, type LogFilters } from './filters.js';

/** Position after an entry in newest-first order: its exact timestamp (microseconds) and id. */
export interface Keyset {
  timestamp: string;
  id: string;
}

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KEYSET_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
/** The entry's timestamp as text with every microsecond, so a page boundary is exact. */
const KEYSET_TIME_SQL = `to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS keyset_time`;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function encodeCursor(keyset: Keyset): string {
  return Buffer.from(JSON.stringify([keyset.timestamp, keyset.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Keyset {
  let decoded: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw new Error('not base64url');
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('is not a cursor this server made');
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 2 ||
    typeof decoded[0] !== 'string' ||
    typeof decoded[1] !== 'string' ||
    !KEYSET_TIME.test(decoded[0]) ||
    Number.isNaN(Date.parse(decoded[0])) ||
    !UUID.test(decoded[1])
  ) {
    throw new InvalidCursorError('is not a cursor this server made');
  }
  return { timestamp: decoded[0], id: decoded[1] };
}

export interface LogPage {
  entries: StoredLogEntry[];
  /** The position after the last entry, when more entries may follow. */
  next: Keyset | null;
}

/**
 * One page of entries matching the filters, newest first, after `after` (keyset on
 * timestamp, id; never OFFSET, so page 1,000 costs what page 1 costs).
 */
export async function selectPage(
  db: pg.Pool | pg.PoolClient,
  filters: LogFilters,
  limit: number,
  after?: Keyset,
): Promise<LogPage> {
  const params: unknown[] = [];
  const extra: string[] = [];
  if (after) {
    params.push(after.timestamp, after.id);
    extra.push(`("timestamp", id) < ($1::timestamptz, $2::uuid)`);
  }
  const where = whereClause(filters, params, extra);
  params.push(limit + 1);
  const { rows } = await db.query(
    `SELECT ${ENTRY_COLUMNS}, ${KEYSET_TIME_SQL} FROM platform_logs ${where}
     ORDER BY "timestamp" DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    entries: pageRows.map(rowToEntry),
    next: more ? { timestamp: last.keyset_time, id: last.id } : null,
  };
}

/** The API's page: entries newest first and the opaque cursor of the next page. */
export async function queryLogs(
  pool: pg.Pool,
  filters: LogFilters,
  options: { limit: number; after?: Keyset },
): Promise<{ entries: StoredLogEntry[]; nextCursor: string | null }> {
  const page = await selectPage(pool, filters, options.limit, options.after);
  return { entries: page.entries, nextCursor: page.next ? encodeCursor(page.next) : null };
}

const DAY_MS = 86_400_000;

/**
 * The time a UUIDv7 was made (its first 48 bits, milliseconds since 1970), or null for
 * other versions.
 */
export function uuidV7Time(id: string): Date | null {
  if (id[14] !== '7') return null;
  return new Date(parseInt(id.slice(0, 8) + id.slice(9, 13), 16));
}

/**
 * One entry by id, or null; with `tenantId`, only that tenant's. Ids are UUIDv7 made with
 * the entry's timestamp, so the lookup reads only the partitions around that time.
 */
export async function getLogById(pool: pg.Pool, id: string, tenantId?: string): Promise<StoredLogEntry | null> {
  const params: unknown[] = [id];
  const conditions = ['id = $1'];
  if (tenantId !== undefined) {
    params.push(tenantId);
    conditions.push(`tenant_id = $${params.length}`);
  }
  const madeAt = uuidV7Time(id);
  if (madeAt) {
    params.push(new Date(madeAt.getTime() - DAY_MS), new Date(madeAt.getTime() + DAY_MS));
    conditions.push(`"timestamp" >= $${params.length - 1} AND "timestamp" < $${params.length}`);
  }
  const { rows } = await pool.query(
    `SELECT ${ENTRY_COLUMNS} FROM platform_logs WHERE ${conditions.join(' AND ')} LIMIT 1`,
    params,
  );
  return rows.length ? rowToEntry(rows[0]) : null;
}
