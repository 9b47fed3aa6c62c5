import { escapeIdentifier } from 'pg';
import type pg from 'pg';
import { LOG_LEVELS } from '../../src/types.js';
import { maxAgeCutoff, retentionCutoff, type RetentionPolicy } from './expiry.js';

/** The DEFAULT partitions anywhere under platform_logs: they catch entries no time partition covers. */
export async function defaultPartitions(client: pg.PoolClient): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `WITH RECURSIVE tree AS (
       SELECT inhrelid AS oid FROM pg_inherits
       WHERE inhparent = to_regclass(format('%I.%I', current_schema(), 'platform_logs'))
       UNION ALL
       SELECT i.inhrelid FROM pg_inherits i JOIN tree t ON i.inhparent = t.oid
     )
     SELECT c.relname AS name FROM tree JOIN pg_class c ON c.oid = tree.oid
     WHERE pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'
     ORDER BY c.relname`,
  );
  return rows.map((row) => row.name);
}

/**
 * Removes (or, in a dry run, counts) the rows of a DEFAULT partition that are past their
 * level's retention. DEFAULT partitions are a small safety net, so a plain DELETE is fine there.
 */
export async function expireDefaultRows(
  client: pg.PoolClient,
  name: string,
  policy: RetentionPolicy,
  dryRun: boolean,
): Promise<number> {
  const cutoffs = LOG_LEVELS.map((level) => retentionCutoff(level, policy));
  const cases = LOG_LEVELS.map((level, i) => `WHEN '${level}' THEN $${i + 1}::timestamptz`).join(' ');
  const expired = `"timestamp" < CASE level ${cases} ELSE $${LOG_LEVELS.length + 1}::timestamptz END`;
  const table = escapeIdentifier(name);
  const params = [...cutoffs, maxAgeCutoff(policy)];
  if (dryRun) {
    const { rows } = await client.query<{ count: string }>(
      `SELECT count(*) AS count FROM ${table} WHERE ${expired}`,
      params,
    );
    return Number(rows[0].count);
  }
  const result = await client.query(`DELETE FROM ${table} WHERE ${expired}`, params);
  return result.rowCount ?? 0;
}
