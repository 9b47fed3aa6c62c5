import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { describe, expect, test } from 'vitest';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();
const FIXTURE = fileURLToPath(new URL('./fixtures/log-then-end.mjs', import.meta.url));
const COUNT = 120;

/** Runs the fixture service; for "sigterm", kills it once it has logged. Resolves with how it ended. */
async function runService(end: 'exit' | 'sigterm' | 'throw') {
  const tenant = `exit-${end}`;
  const streamKey = `${stores.redisPrefix}${tenant}:stream`;
  const child = spawn(process.execPath, [FIXTURE], {
    env: {
      ...process.env,
      DATABASE_URL: stores.databaseUrl,
      REDIS_URL: stores.redisUrl,
      STREAM_KEY: streamKey,
      CHANNEL: `${stores.redisPrefix}${tenant}:events`,
      TENANT: tenant,
      COUNT: String(COUNT),
      END: end,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  if (end === 'sigterm') {
    child.stdout.once('data', () => child.kill('SIGTERM'));
  }
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { tenant, streamKey, code, signal, stderr };
}

async function storedIn(tenant: string, streamKey: string) {
  const { rows } = await stores.pool.query('SELECT message FROM platform_logs WHERE tenant_id = $1', [tenant]);
  const redis = createClient({ url: stores.redisUrl });
  await redis.connect();
  const inStream = await redis.xLen(streamKey);
  await redis.quit();
  return { inPostgres: new Set(rows.map((r) => r.message)).size, inStream };
}

describe('a service process that ends', () => {
  test.each(['exit', 'sigterm', 'throw'] as const)('has every entry stored when it ends by %s', async (end) => {
    const result = await runService(end);
    if (end === 'exit') expect(result.code).toBe(0);
    if (end === 'sigterm') expect(result.code).toBe(143);
    if (end === 'throw') {
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('unexpected failure');
    }
    expect(await storedIn(result.tenant, result.streamKey)).toEqual({ inPostgres: COUNT, inStream: COUNT });
  });
});
