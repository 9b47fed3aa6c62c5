import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runAlerts } from '../../server/alerts/evaluate.js';
import { lazySecretBox } from '../../server/alerts/secrets.js';
import type { ApiKey } from '../../server/auth.js';
import { insertEntries, makeEntry } from '../server-fixtures.js';
import type { LogServer } from '../support/log-server.js';
import { useTestStores } from '../support/stores.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { launchBrowser, newPage, screenshot, signIn } from './browser.js';
import { startUiServer } from './ui-server.js';

const PLATFORM_KEY = 'ui-platform-key-0123456789';
const GLOBEX_KEY = 'ui-globex-key-0123456789';
const KEYS: ApiKey[] = [
  { key: PLATFORM_KEY, principal: { scope: 'platform' } },
  { key: GLOBEX_KEY, principal: { scope: 'tenant', tenantId: 'globex' } },
];
const MINUTE = 60_000;

const stores = useTestStores();
let server: LogServer;
let browser: Browser;
let page: Page;
let receiver: WebhookReceiver;

/** n entries at one instant `minutesAgo` (in the middle of its minute), as one burst. */
async function burst(minutesAgo: number, n: number) {
  const at = new Date(Math.floor((Date.now() - minutesAgo * MINUTE) / MINUTE) * MINUTE + 30_000).toISOString();
  await insertEntries(
    stores.pool,
    Array.from({ length: n }, () =>
      makeEntry({
        timestamp: at,
        level: 'error',
        tenantId: 'acme',
        message: 'gateway timeout from the payment provider',
      }),
    ),
  );
}

const rules = () => page.getByTestId('alert-rule');

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  await burst(300, 6);
  await burst(180, 5);
  await burst(60, 2);
  [server, browser] = await Promise.all([
    startUiServer(stores, KEYS, 0, {
      secrets: lazySecretBox(stores.pool, undefined),
      webhook: { allowedHosts: ['127.0.0.1'] },
      delayMs: 0,
    }),
    launchBrowser(),
  ]);
  page = await newPage(browser);
  await signIn(page, server.baseUrl, PLATFORM_KEY, '/?view=alerts');
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await receiver?.close();
});

describe('the alerts view', () => {
  test('is a tab beside the other views, reachable by keyboard', async () => {
    await expect(page.getByRole('tab', { name: 'Alerts' }).getAttribute('aria-selected')).resolves.toBe('true');
    await expect(page.getByText('No alert rules yet.').isVisible()).resolves.toBe(true);
    await expect(page.getByTestId('filters').count()).resolves.toBe(0);
    await page.getByRole('tab', { name: 'Errors' }).click();
    await page.getByRole('tab', { name: 'Errors' }).press('ArrowRight');
    await expect(page.getByRole('tab', { name: 'Alerts' }).getAttribute('aria-selected')).resolves.toBe('true');
    expect(new URL(page.url()).searchParams.get('view')).toBe('alerts');
  });

  test('the editor previews how often the rule would have fired, and names a field the API refuses', async () => {
    await page.getByTestId('new-alert').click();
    const editor = page.getByTestId('alert-editor');
    await editor.getByLabel('Name', { exact: true }).fill('Payment gateway timeouts');
    await editor.getByLabel('Query', { exact: true }).fill('gateway timeout');
    await editor.getByLabel('Threshold', { exact: true }).fill('3');
    await editor.getByLabel('Window (seconds)').fill('120');
    await expect
      .poll(() => page.getByTestId('preview-summary').textContent())
      .toBe('This rule would have fired 2 times in the last 24 hours.');
    await expect(page.getByTestId('alert-preview').getByRole('img').getAttribute('aria-label')).resolves.toContain(
      'highest 6, threshold 3',
    );

    await editor.getByLabel('Threshold', { exact: true }).fill('5');
    await expect
      .poll(() => page.getByTestId('preview-summary').textContent())
      .toBe('This rule would have fired once in the last 24 hours.');

    await editor.getByLabel('Window (seconds)').fill('0');
    await expect.poll(() => page.getByTestId('alert-preview').textContent()).toContain('Cannot preview');
    await editor.getByLabel('Window (seconds)').fill('120');
    await editor.getByLabel('Threshold', { exact: true }).fill('3');

    await editor.getByLabel('Webhook URL').fill('http://169.254.169.254/latest/meta-data/');
    await page.getByTestId('save-alert').click();
    await expect.poll(() => page.getByTestId('alert-webhookUrl-error').textContent()).toContain('link-local');
    await expect(editor.getByLabel('Webhook URL').getAttribute('aria-invalid')).resolves.toBe('true');
    await screenshot(page, 'alerts-editor');

    await editor.getByLabel('Webhook URL').fill(receiver.url);
    await page.getByTestId('save-alert').click();
    await expect.poll(() => page.getByTestId('signing-secret').textContent()).toMatch(/^whsec_/);
    await expect.poll(() => rules().count()).toBe(1);
    await expect(rules().first().getByTestId('alert-state').textContent()).resolves.toBe('OK');
    await expect(page.getByTestId('alert-rules').textContent()).resolves.not.toContain('receiver-secret-token');
  });

  test('shows the state an evaluation left, the history, and test-fires', async () => {
    const justNow = new Date(Date.now() - 1_000).toISOString();
    await insertEntries(
      stores.pool,
      Array.from({ length: 5 }, () =>
        makeEntry({ timestamp: justNow, level: 'error', tenantId: 'acme', message: 'gateway timeout again' }),
      ),
    );
    // a run a minute from now: its latest window holds the entries whatever the second
    await runAlerts({
      pool: stores.pool,
      delayMs: 0,
      now: () => new Date(Date.now() + MINUTE),
      webhook: { allowedHosts: ['127.0.0.1'] },
    });
    await page.reload();
    await expect.poll(() => rules().first().getByTestId('alert-state').textContent()).toBe('Firing');
    await expect(rules().first().textContent()).resolves.toContain('more than 3 in 2 min');
    expect(receiver.received.map((hook) => hook.json.type)).toEqual(['alert.firing']);

    await page.getByRole('button', { name: 'History of Payment gateway timeouts' }).click();
    await expect.poll(() => page.getByTestId('alert-event').count()).toBe(1);
    await expect(page.getByTestId('alert-event').first().textContent()).resolves.toContain('Fired');
    await expect(page.getByTestId('alert-event').first().textContent()).resolves.toContain('delivered');

    await page.getByRole('button', { name: 'Send a test notification for Payment gateway timeouts' }).click();
    await expect.poll(() => page.getByTestId('alert-notice').textContent()).toContain('delivered (HTTP 200)');
    expect(receiver.received.map((hook) => hook.json.type)).toEqual(['alert.firing', 'alert.test']);
    await screenshot(page, 'alerts-list');
  });

  test('mutes, snoozes and edits a rule', async () => {
    await page.getByRole('button', { name: 'Mute Payment gateway timeouts' }).click();
    await expect.poll(() => rules().first().getByTestId('alert-silenced').textContent()).toBe('muted');
    await page.getByRole('button', { name: 'Unmute Payment gateway timeouts' }).click();
    await expect.poll(() => rules().first().getByTestId('alert-silenced').count()).toBe(0);
    await page.getByRole('button', { name: 'Snooze for an hour Payment gateway timeouts' }).click();
    await expect.poll(() => rules().first().getByTestId('alert-silenced').textContent()).toContain('snoozed until');

    await page.getByRole('button', { name: 'Edit Payment gateway timeouts' }).click();
    const editor = page.getByTestId('alert-editor');
    await expect(editor.getByLabel('Query', { exact: true }).inputValue()).resolves.toBe('gateway timeout');
    await expect(editor.getByLabel('Webhook URL').getAttribute('placeholder')).resolves.toBe(
      `unchanged (http://127.0.0.1:${receiver.port}/…)`,
    );
    await editor.getByLabel('Threshold', { exact: true }).fill('10');
    await page.getByTestId('save-alert').click();
    await expect.poll(() => rules().first().textContent()).toContain('more than 10 in 2 min');
  });

  test("a tenant key sees only its tenant's rules", async () => {
    const tenantPage = await newPage(browser);
    try {
      await signIn(tenantPage, server.baseUrl, GLOBEX_KEY, '/?view=alerts');
      await tenantPage.getByText('No alert rules yet.').waitFor();
      await expect(tenantPage.getByTestId('alert-rule').count()).resolves.toBe(0);
    } finally {
      await tenantPage.context().close();
    }
  });

  test('deletes a rule after a confirmation', async () => {
    await page.getByRole('button', { name: 'Delete Payment gateway timeouts' }).click();
    await expect(rules().count()).resolves.toBe(1);
    await page.getByRole('button', { name: 'Confirm deleting Payment gateway timeouts' }).click();
    await expect.poll(() => rules().count()).toBe(0);
    await expect.poll(() => page.getByTestId('alert-notice').textContent()).toBe('“Payment gateway timeouts” deleted.');
  });
});
