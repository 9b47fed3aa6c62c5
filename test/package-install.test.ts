import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { afterAll, describe, expect, test } from 'vitest';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();
const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'platform-logging-install-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SERVICE = `
import pino from 'pino';
const [databaseUrl, redisUrl, streamKey, channel] = process.argv.slice(2);
const transport = pino.transport({
  target: 'platform-logging/transports/platform',
  options: { service: 'admin', postgres: { connectionString: databaseUrl }, redis: { url: redisUrl, streamKey, channel } },
});
const logger = pino({ base: { tenantId: 'installed' } }, transport);
for (let i = 0; i < 3; i++) logger.info({ i }, 'hello from an installed package ' + i);
`;

describe('the packed package', () => {
  test('installs into another project, whose plain pino logs through its platform target into both stores, one id per entry', {
    timeout: 180_000,
  }, async () => {
    // dist/ was compiled by the global setup; the UI build is optional for this test
    execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', work], {
      cwd: PACKAGE_ROOT,
      stdio: 'ignore',
    });
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    const app = join(work, 'app');
    execFileSync('mkdir', [app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    execFileSync(
      'npm',
      [
        'install',
        join(work, tarball!),
        'pino',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--omit=optional',
      ],
      { cwd: app, stdio: 'ignore' },
    );
    writeFileSync(join(app, 'service.mjs'), SERVICE);
    const streamKey = `${stores.redisPrefix}installed:stream`;
    execFileSync(
      process.execPath,
      ['service.mjs', stores.databaseUrl, stores.redisUrl, streamKey, `${stores.redisPrefix}installed:events`],
      {
        cwd: app,
        timeout: 30_000,
      },
    );

    const { rows } = await stores.pool.query(
      `SELECT id::text, message, service FROM platform_logs WHERE tenant_id = 'installed' ORDER BY message`,
    );
    expect(rows.map((r) => [r.message, r.service])).toEqual(
      [0, 1, 2].map((i) => [`hello from an installed package ${i}`, 'admin']),
    );
    const redis = createClient({ url: stores.redisUrl });
    await redis.connect();
    const messages = (await redis.xRange(streamKey, '-', '+')) ?? [];
    await redis.quit();
    expect(messages.map((m) => JSON.parse(m.message.entry).id).sort()).toEqual(rows.map((r) => r.id).sort());

    // what ships: a license, and source maps that carry their sources (src/ itself is not shipped)
    const installed = join(app, 'node_modules', 'platform-logging');
    expect(existsSync(join(installed, 'LICENSE'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    const map = JSON.parse(readFileSync(join(installed, 'dist', 'src', 'logger.js.map'), 'utf8')) as {
      sourcesContent?: string[];
    };
    expect(map.sourcesContent?.[0]).toContain('class PlatformLogger');
  });
});
