import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { LogLevel } from '../src/types.js';

/** Shared set-up for the retention tests: entries at chosen times, and what is left of them. */

export const DAY = 86_400_000;

export function utcMidnight(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

export function partitionName(level: LogLevel, day: Date): string {
  return `platform_logs_${level}_${day.toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/** Inserts one entry and returns its id. */
export async function insertEntry(pool: pg.Pool, level: LogLevel, timestamp: Date): Promise<string> {
  const id = randomUUID();
  await pool.query(
    `INSERT INTO platform_logs (id, "timestamp", level, tenant_id, service, message, environment)
     VALUES ($1, $2, $3, 'tenant-a', 'admin', 'retention test entry', 'test')`,
    [id, timestamp, level],
  );
  return id;
}

/** The ids among `ids` that are still stored. */
export async function storedIds(pool: pg.Pool, ids: string[]): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>('SELECT id::text FROM platform_logs WHERE id = ANY($1::uuid[])', [
    ids,
  ]);
  return rows.map((row) => row.id).sort();
}

/** Every time partition: bookkeeping rows joined to the tables that exist, to compare before and after. */
export async function partitionsSnapshot(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ entry: string }>(
    `SELECT coalesce(p.name, '-') || ' ' || coalesce(c.relname, '-') AS entry
     FROM platform_log_partitions p
     FULL JOIN (SELECT relname FROM pg_class
                WHERE relnamespace = current_schema()::regnamespace AND relname ~ '^platform_logs_[a-z]+_\\d{8}$') c
       ON c.relname = p.name
     ORDER BY 1`,
  );
  return rows.map((row) => row.entry);
}

export async function tableExists(pool: pg.Pool, name: string): Promise<boolean> {
  const { rows } = await pool.query<{ found: boolean }>(
    `SELECT to_regclass(format('%I.%I', current_schema(), $1::text)) IS NOT NULL AS found`,
    [name],
  );
  return rows[0].found;
}
