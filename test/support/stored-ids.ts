import type pg from 'pg';
import { createClient } from 'redis';

/** Ids of a tenant's entries in platform_logs, and in the Redis stream (repeats kept). */
export async function storedIds(stores: { pool: pg.Pool; redisUrl: string; streamKey: string }, tenantId: string) {
  const { rows } = await stores.pool.query<{ id: string }>('SELECT id FROM platform_logs WHERE tenant_id = $1', [
    tenantId,
  ]);
  const redis = createClient({ url: stores.redisUrl });
  await redis.connect();
  try {
    const messages = (await redis.xRange(stores.streamKey, '-', '+')) ?? [];
    const inStream = messages
      .map((message) => JSON.parse(message.message.entry) as { id: string; tenantId: string })
      .filter((entry) => entry.tenantId === tenantId)
      .map((entry) => entry.id);
    return { inPostgres: rows.map((row) => row.id), inStream };
  } finally {
    await redis.close();
  }
}

/** What a set of ids lacks of another, and what it holds twice. */
export function compareIds(expected: readonly string[], actual: readonly string[]) {
  const have = new Set(actual);
  const missing = expected.filter((id) => !have.has(id));
  const duplicates = actual.length - have.size;
  const wanted = new Set(expected);
  const unexpected = [...have].filter((id) => !wanted.has(id));
  return { missing: missing.length, duplicates, unexpected: unexpected.length };
}
