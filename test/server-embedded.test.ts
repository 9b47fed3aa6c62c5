import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { freePort } from './support/free-port.js';
import { SERVER_SERVICE } from '../server/server.js';

const CLI = fileURLToPath(new URL('../dist/server/cli.js', import.meta.url));
const KEY = 'embedded-test-key-0123456789';

let child: ChildProcess | undefined;
let dataRoot: string | undefined;

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
});

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test('with no DATABASE_URL the server runs on an embedded PostgreSQL: health, ingest and query, clean stop', {
  timeout: 120_000,
}, async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'platform-logs-embedded-'));
  await chmod(dataRoot, 0o755); // run as root, PostgreSQL runs as the postgres user and must reach its folder
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LOG_DATA_DIR: join(dataRoot, 'data', 'postgres'),
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_API_KEYS: `${KEY}:platform`,
    LOG_CONSOLE: 'off',
    NODE_ENV: 'test',
  };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  child = spawn(process.execPath, [CLI, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));

  const base = `http://127.0.0.1:${port}/api/platform/logs`;
  const health = await until(async () => {
    const response = await fetch(`${base}/healthz`);
    return response.ok ? response.json() : undefined;
  }, 90_000).catch((error) => {
    throw new Error(`the server did not become healthy; its output:\n${output}`, { cause: error });
  });
  expect(health).toEqual({ postgres: 'ok', redis: 'not configured' });
  expect(output).toContain(`stores: embedded PostgreSQL at ${join(dataRoot, 'data', 'postgres')}, no Redis`);

  const auth = { headers: { authorization: `Bearer ${KEY}` } };
  expect(await (await fetch(`${base}/whoami?`, auth)).json()).toEqual({ scope: 'platform' });
  // The server logs its own requests through the transports into the embedded PostgreSQL.
  const logged = await until(async () => {
    const body = (await (await fetch(`${base}?service=${SERVER_SERVICE}`, auth)).json()) as {
      entries: { action: string; data: Record<string, unknown> }[];
    };
    return body.entries.find((entry) => entry.data.path === '/api/platform/logs/whoami');
  }, 20_000);
  expect(logged.action).toBe('http.request');
  expect(logged.data).toMatchObject({ method: 'GET', path: '/api/platform/logs/whoami', status: 200 });
  expect(JSON.stringify(logged)).not.toContain(KEY);

  const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});
