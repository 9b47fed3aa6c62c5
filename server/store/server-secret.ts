import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';

/**
 * The secret that stream positions are sealed and stream tickets signed with: from
 * LOG_SERVER_SECRET when it is set (the same on every server), otherwise one made by the first
 * server on this database and kept there, so that all servers of one database share it without
 * configuration.
 */
export async function serverSecret(pool: pg.Pool, configured: string | undefined): Promise<Buffer> {
  if (configured) return createHash('sha256').update(configured).digest();
  await pool.query(
    `INSERT INTO platform_log_server_secrets (name, secret) VALUES ('server', $1) ON CONFLICT (name) DO NOTHING`,
    [randomBytes(32)],
  );
  const { rows } = await pool.query<{ secret: Buffer }>(
    `SELECT secret FROM platform_log_server_secrets WHERE name = 'server'`,
  );
  return rows[0].secret;
}
