import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { useTestStores } from './support/stores.js';

const CLI = fileURLToPath(new URL('../dist/server/cli.js', import.meta.url));
const run = promisify(execFile);
const stores = useTestStores({ migrate: false });

async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe('platform-logs migrate', () => {
  test('without DATABASE_URL it refuses to invent a database, and says how to ask for the embedded one', async () => {
    const { code, output } = await cli(['migrate'], { DATABASE_URL: '', LOG_DATA_DIR: '/nonexistent/platform-logs' });
    expect(code).toBe(2);
    expect(output).toContain('DATABASE_URL is not set');
    expect(output).toContain('--embedded');
  });

  test('says which database it migrates, without the password', { timeout: 120_000 }, async () => {
    const url = new URL(stores.databaseUrl);
    url.password = 'not-the-real-one';
    const { code, output } = await cli(['migrate'], { DATABASE_URL: url.toString(), PGPASSWORD: '' });
    expect(code, output).toBe(0);
    expect(output).toContain(`database: postgres://${url.username}:***@${url.host}${url.pathname}`);
    expect(output).not.toContain('not-the-real-one');
    expect(output).toMatch(/migrations applied: 001_platform_logs\.sql/);
  });
});
