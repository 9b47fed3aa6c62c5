import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { packageRoot } from '../../src/package-root.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('sql/', packageRoot));

/**
 * Applies the migrations in sql/ that the current schema has not seen, in file-name order,
 * each in its own transaction, and records them. Safe to run from several processes at once.
 * Returns the names it applied.
 */
export async function migrate(pool: pg.Pool): Promise<string[]> {
  const client = await pool.connect();
  try {
    // Without the pool's statement timeout: an index built on a large table, or the wait for
    // another process's migrations, may take longer. The connection is closed at the end, so
    // that no query inherits the setting.
    await client.query('SET statement_timeout = 0');
    await client.query(`SELECT pg_advisory_lock(hashtext(current_schema() || '.platform_log_migrations'))`);
    await client.query(`CREATE TABLE IF NOT EXISTS platform_log_migrations (
      name text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ name: string }>('SELECT name FROM platform_log_migrations');
    const applied = new Set(rows.map((row) => row.name));
    const files = (await readdir(MIGRATIONS_DIR)).filter((file) => file.endsWith('.sql')).sort();
    const appliedNow: string[] = [];
    for (const file of files) {
      if (applied.has(file)) continue;
      const sql = await readFile(new URL(file, `file://${MIGRATIONS_DIR}`), 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO platform_log_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(error as Error).message}`, { cause: error });
      }
      appliedNow.push(file);
    }
    return appliedNow;
  } finally {
    await client
      .query(`SELECT pg_advisory_unlock(hashtext(current_schema() || '.platform_log_migrations'))`)
      .catch(() => {});
    client.release(true);
  }
}
