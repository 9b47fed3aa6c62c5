import type { Hono } from 'hono';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { runAlerts } from '../server/alerts/evaluate.js';
import { compareVersions } from '../server/alerts/groups.js';
import { MAX_SEARCH_LENGTH } from '../server/http/params.js';
import { callAlerts, createAlertApp } from './alerts-fixtures.js';
import { PLATFORM_KEY, TENANT_A_KEY, TENANT_B_KEY, insertEntries, makeEntry } from './server-fixtures.js';
import { useTestStores } from './support/stores.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

const stores = useTestStores();
let app: Hono<any>;
let receiver: WebhookReceiver;

const MINUTE = 60_000;
const base = Math.floor(Date.now() / MINUTE) * MINUTE - 120 * MINUTE;
const at = (ms: number) => new Date(base + ms);

const runAt = (ms: number) =>
  runAlerts({
    pool: stores.pool,
    now: () => at(ms),
    intervalMs: MINUTE,
    delayMs: 0,
    webhook: { allowedHosts: ['127.0.0.1'], timeoutMs: 5_000 },
  });

async function makeRule(overrides: Record<string, unknown>, key = PLATFORM_KEY) {
  const { status, body } = await callAlerts(app, 'POST', '', key, {
    name: 'groups',
    webhook: { url: receiver.url },
    ...overrides,
  });
  expect(status).toBe(201);
  return body as { id: string };
}

async function errorsAt(ms: number, signature: string, overrides: Parameters<typeof makeEntry>[0] = {}) {
  await insertEntries(stores.pool, [
    makeEntry({
      timestamp: at(ms).toISOString(),
      level: 'error',
      message: `failure ${signature}`,
      messageTemplate: `failure <${signature}>`,
      errorType: 'ProviderError',
      errorSignature: signature,
      version: '1.2.3',
      ...overrides,
    }),
  ]);
}

const sent = () =>
  receiver.received.map((hook) => `${hook.json.rule.name}:${hook.json.type}:${hook.json.group?.signature}`);

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  app = createAlertApp(stores.pool, ['127.0.0.1'], { intervalMs: MINUTE, delayMs: 0 });
});
afterAll(async () => receiver?.close());
beforeEach(async () => {
  await stores.pool.query('DELETE FROM platform_log_alert_rules');
  await stores.pool.query('DELETE FROM platform_logs');
  receiver.received.length = 0;
});

describe('new error group rules', () => {
  test('fire once for a signature never seen before, not for known ones', async () => {
    await errorsAt(-30 * MINUTE, 'sig-known');
    const made = await makeRule({ kind: 'new_group', name: 'new' });
    expect(await runAt(1 * MINUTE)).toMatchObject({ windows: 1, events: 0 }); // learns what is known
    await errorsAt(70_000, 'sig-known');
    await errorsAt(80_000, 'sig-new', { version: '2.0.0', service: 'admin' });
    await errorsAt(85_000, 'sig-new');
    await runAt(2 * MINUTE);
    expect(sent()).toEqual(['new:alert.new_group:sig-new']);
    expect(receiver.received[0].json).toMatchObject({
      state: 'firing',
      value: 2,
      group: {
        signature: 'sig-new',
        template: 'failure <sig-new>',
        errorType: 'ProviderError',
        services: ['admin', 'storefront'],
        version: '2.0.0',
        count: 2,
      },
    });
    const rule = (await callAlerts(app, 'GET', `/${made.id}`, PLATFORM_KEY)).body;
    expect(rule).toMatchObject({ state: 'firing', lastValue: 1 });

    await errorsAt(130_000, 'sig-new');
    await runAt(3 * MINUTE);
    await runAt(3 * MINUTE); // a repeated run
    expect(sent()).toEqual(['new:alert.new_group:sig-new']);
    expect((await callAlerts(app, 'GET', `/${made.id}`, PLATFORM_KEY)).body.state).toBe('resolved');
    const history = (await callAlerts(app, 'GET', `/${made.id}/history`, PLATFORM_KEY)).body.events;
    expect(history.map((e: { kind: string; delivery: string }) => `${e.kind}:${e.delivery}`)).toEqual([
      'resolved:none',
      'new_group:delivered',
    ]);
  });

  test("are per tenant for a tenant's rule, and never see another tenant's groups", async () => {
    await errorsAt(-30 * MINUTE, 'sig-b-only', { tenantId: 'tenant-b' });
    const tenantRule = await makeRule({ kind: 'new_group', name: 'tenant-a' }, TENANT_A_KEY);
    const platformRule = await makeRule({ kind: 'new_group', name: 'platform' });
    await runAt(1 * MINUTE);
    await errorsAt(70_000, 'sig-b-only', { tenantId: 'tenant-a' }); // new to tenant a, known to the platform
    await errorsAt(75_000, 'sig-elsewhere', { tenantId: 'tenant-b' }); // new to the platform only
    await runAt(2 * MINUTE);
    expect(sent().sort()).toEqual(['platform:alert.new_group:sig-elsewhere', 'tenant-a:alert.new_group:sig-b-only']);
    expect((await callAlerts(app, 'GET', `/${tenantRule.id}`, TENANT_B_KEY)).status).toBe(404);
    expect(platformRule.id).toBeDefined();
  });
});

describe('regression rules', () => {
  test('fire once when a group comes back after its quiet period', async () => {
    await errorsAt(-60 * MINUTE, 'sig-quiet');
    await errorsAt(-5 * MINUTE, 'sig-busy');
    await makeRule({ kind: 'regression', quietSeconds: 1800, name: 'regression' });
    await runAt(1 * MINUTE);
    await errorsAt(70_000, 'sig-quiet');
    await errorsAt(71_000, 'sig-busy');
    await errorsAt(72_000, 'sig-brand-new');
    await runAt(2 * MINUTE);
    expect(sent()).toEqual(['regression:alert.regression:sig-quiet']);
    expect(receiver.received[0].json.group).toMatchObject({
      reason: 'quiet',
      lastSeen: at(-60 * MINUTE).toISOString(),
    });
    await errorsAt(130_000, 'sig-quiet');
    await runAt(3 * MINUTE);
    expect(sent()).toEqual(['regression:alert.regression:sig-quiet']);
  });

  test('fire once when a group is seen in a version newer than any it was seen in', async () => {
    await errorsAt(-10 * MINUTE, 'sig-v', { version: '1.9.2' });
    await errorsAt(-9 * MINUTE, 'sig-sha', { version: '3f2a9c1' });
    await makeRule({ kind: 'regression', name: 'version' });
    await runAt(1 * MINUTE);
    await errorsAt(70_000, 'sig-v', { version: '1.9.2' });
    await errorsAt(71_000, 'sig-sha', { version: 'b41d2e7' });
    await runAt(2 * MINUTE);
    expect(sent()).toEqual([]);
    await errorsAt(130_000, 'sig-v', { version: '1.10.0' });
    await runAt(3 * MINUTE);
    expect(sent()).toEqual(['version:alert.regression:sig-v']);
    expect(receiver.received[0].json.group).toMatchObject({
      reason: 'version',
      version: '1.10.0',
      previousVersion: '1.9.2',
    });
    await errorsAt(190_000, 'sig-v', { version: '1.10.0' });
    await errorsAt(191_000, 'sig-v', { version: '1.9.5' }); // a rollback is not newer
    await runAt(4 * MINUTE);
    expect(sent()).toEqual(['version:alert.regression:sig-v']);
  });

  test('after a downtime, each regression is found in its own window, once', async () => {
    await errorsAt(-60 * MINUTE, 'sig-r');
    await makeRule({ kind: 'regression', quietSeconds: 300, name: 'catch-up' });
    await runAt(1 * MINUTE);
    await errorsAt(70_000, 'sig-r'); // back after an hour
    await errorsAt(20 * MINUTE + 5_000, 'sig-r'); // back again after 19 minutes
    await runAt(30 * MINUTE);
    expect(receiver.received.map((hook) => hook.json.window.end)).toEqual([
      at(2 * MINUTE).toISOString(),
      at(21 * MINUTE).toISOString(),
    ]);
    await runAt(30 * MINUTE);
    expect(receiver.received).toHaveLength(2);
  });

  test('versions compare as semantic versions', () => {
    expect(compareVersions('1.10.0', '1.9.2')).toBe(1);
    expect(compareVersions('v2', '1.99.99')).toBe(1);
    expect(compareVersions('1.2.3', '1.2.3')).toBe(0);
    expect(compareVersions('1.2.3-rc.1', '1.2.3')).toBe(-1);
    expect(compareVersions('1.2.3+build.5', '1.2.3')).toBe(0);
    expect(compareVersions('3f2a9c1', '1.0.0')).toBeNull();
  });
});

describe('POST /alerts/preview', () => {
  test('counts how often a count rule would have fired over the last 24 hours', async () => {
    const now = Date.now();
    const burst = async (hoursAgo: number, n: number, tenantId = 'tenant-a') => {
      const time = new Date(Math.floor((now - hoursAgo * 3_600_000) / MINUTE) * MINUTE + 30_000).toISOString();
      await insertEntries(
        stores.pool,
        Array.from({ length: n }, () =>
          makeEntry({ timestamp: time, level: 'error', message: 'gateway timeout upstream', tenantId }),
        ),
      );
    };
    await burst(5, 5);
    await burst(3, 4);
    await burst(1, 2); // under the threshold
    await burst(2, 9, 'tenant-b');
    await burst(30, 9); // more than a day ago
    const rule = { query: 'gateway timeout', windowSeconds: 120, threshold: 3 };
    const preview = await callAlerts(app, 'POST', '/preview', PLATFORM_KEY, rule);
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ intervalSeconds: 60, evaluations: 1440, firings: 3 });
    expect(preview.body.periods.map((p: { peak: number }) => p.peak)).toEqual([5, 4, 9]);
    for (const period of preview.body.periods)
      expect(Date.parse(period.end) - Date.parse(period.start)).toBe(2 * MINUTE);
    expect(preview.body.counts).toHaveLength(1440);
    expect(Math.max(...preview.body.counts.map((c: { count: number }) => c.count))).toBe(9);

    const tenant = await callAlerts(app, 'POST', '/preview', TENANT_A_KEY, rule);
    expect(tenant.body.firings).toBe(2);
    expect(tenant.body.periods.map((p: { peak: number }) => p.peak)).toEqual([5, 4]);
  });

  test('previews error-group rules from the groups known before the day', async () => {
    const now = Date.now();
    const errorAt = (ms: number, signature: string) =>
      insertEntries(stores.pool, [
        makeEntry({
          timestamp: new Date(ms).toISOString(),
          level: 'error',
          errorSignature: signature,
          message: 'boom',
        }),
      ]);
    await errorAt(now - 30 * 3_600_000, 'sig-old');
    await errorAt(now - 5 * 3_600_000, 'sig-old');
    await errorAt(now - 4 * 3_600_000, 'sig-fresh');
    await errorAt(now - 3 * 3_600_000, 'sig-fresh');
    const preview = await callAlerts(app, 'POST', '/preview', PLATFORM_KEY, { kind: 'new_group' });
    expect(preview.body).toMatchObject({ firings: 1, periods: [{ peak: 1 }] });
    const regressions = await callAlerts(app, 'POST', '/preview', PLATFORM_KEY, {
      kind: 'regression',
      quietSeconds: 7200,
    });
    expect(regressions.body.firings).toBe(1); // sig-old, back after 25 hours; sig-fresh came back after one
  });

  test('checks the rule as POST /alerts does, without a webhook', async () => {
    expect((await callAlerts(app, 'POST', '/preview', PLATFORM_KEY, { query: 'x', threshold: 1 })).body.parameter).toBe(
      'windowSeconds',
    );
    expect(
      (
        await callAlerts(app, 'POST', '/preview', PLATFORM_KEY, {
          query: 'x'.repeat(MAX_SEARCH_LENGTH + 1),
          threshold: 1,
          windowSeconds: 60,
        })
      ).body.parameter,
    ).toBe('query');
    expect(
      (
        await callAlerts(app, 'POST', '/preview', TENANT_A_KEY, {
          windowSeconds: 60,
          threshold: 1,
          filters: { tenantId: 'tenant-b' },
        })
      ).body.parameter,
    ).toBe('filters.tenantId');
  });
});
