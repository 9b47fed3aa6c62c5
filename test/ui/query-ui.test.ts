import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ApiKey } from '../../server/auth.js';
import { useTestStores } from '../support/stores.js';
import { launchBrowser, logFromAnotherProcess, newPage, screenshot, signIn } from './browser.js';
import { CHAIN, PAYMENT_TIMEOUT, RARE_WORD, realisticEntries } from './dataset.js';
import type { LogServer } from '../support/log-server.js';
import { startUiServer } from './ui-server.js';

const PLATFORM_KEY = 'ui-platform-key-0123456789';
const GLOBEX_KEY = 'ui-globex-key-0123456789';
const KEYS: ApiKey[] = [
  { key: PLATFORM_KEY, principal: { scope: 'platform' } },
  { key: GLOBEX_KEY, principal: { scope: 'tenant', tenantId: 'globex' } },
];

const stores = useTestStores();
const dataset = realisticEntries();
let server: LogServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startUiServer(stores, KEYS),
    launchBrowser(),
    logFromAnotherProcess(stores, dataset),
  ]).then(([s, b]) => [s, b] as const);
  page = await newPage(browser);
  await signIn(page, server.baseUrl, PLATFORM_KEY, '/?view=query');
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const rows = (p: Page = page) => p.getByTestId('log-row');
const column = (p: Page, cell: 'time' | 'service' | 'tenant' | 'message') =>
  rows(p).locator(`td.${cell}`).allTextContents();
const levels = (p: Page = page) => rows(p).locator('.level').allTextContents();

/** Opens the query view and waits for its first answer: rows with their count, no results, or an error. */
async function showQuery(p: Page, query: string): Promise<void> {
  await p.goto(`${server.baseUrl}/?view=query&${query}`);
  await p
    .getByTestId('result-count')
    .or(p.getByTestId('no-results'))
    .or(p.getByTestId('error-banner'))
    .first()
    .waitFor();
}

describe('the query view', () => {
  test('lists every entry of the time range newest first, under a histogram of their volume', async () => {
    await showQuery(page, 'from=24h');
    await expect.poll(() => rows().count()).toBe(100);
    await page.getByTestId('load-more').click();
    await expect.poll(() => rows().count()).toBe(dataset.length);
    await expect(page.getByTestId('load-more').count()).resolves.toBe(0);

    const ids = await rows().evaluateAll((els) => els.map((el) => el.getAttribute('data-entry-id')));
    const newestFirst = [...dataset]
      .sort((a, b) => b.timestamp.localeCompare(a.timestamp) || b.id.localeCompare(a.id))
      .map((e) => e.id);
    expect(ids).toEqual(newestFirst);
    await expect(page.getByTestId('histogram').locator('figcaption').textContent()).resolves.toContain(
      `${dataset.length} entries`,
    );

    await page.goto(`${server.baseUrl}/?view=query&from=1h`);
    await rows().first().waitFor();
    await screenshot(page, 'query-view');
  });

  test('level and service filters narrow the results, live in the URL and survive a reload', async () => {
    await showQuery(page, '');
    await page.getByTestId('filter-level').getByText('error').click();
    const errors = dataset.filter((e) => e.level === 'error');
    await expect.poll(() => rows().count()).toBe(errors.length);
    expect(new Set(await levels())).toEqual(new Set(['ERROR']));
    expect(new URL(page.url()).searchParams.get('level')).toBe('error');

    await page.getByTestId('filter-service').getByText('admin').click();
    const adminErrors = errors.filter((e) => e.service === 'admin');
    await expect.poll(() => rows().count()).toBe(adminErrors.length);
    expect(new Set(await column(page, 'service'))).toEqual(new Set(['admin']));

    await page.reload();
    await expect.poll(() => rows().count()).toBe(adminErrors.length);
    await expect(page.getByTestId('filter-level').getByRole('checkbox', { name: 'error' }).isChecked()).resolves.toBe(
      true,
    );
    await expect(page.getByTestId('filter-service').getByRole('checkbox', { name: 'admin' }).isChecked()).resolves.toBe(
      true,
    );
    await expect(page.getByTestId('filter-level').getByRole('checkbox', { name: 'info' }).isChecked()).resolves.toBe(
      false,
    );
  });

  test('a full-text search finds the one message with a word, and a relative range narrows by time', async () => {
    await showQuery(page, 'from=24h');
    await page.getByLabel('Search messages').fill(RARE_WORD);
    await page.getByLabel('Search messages').press('Enter');
    await expect.poll(() => rows().count()).toBe(1);
    expect((await column(page, 'message'))[0]).toContain(RARE_WORD);

    await page.getByLabel('Search messages').fill('');
    await page.getByLabel('Search messages').press('Enter');
    await page.getByLabel('Time range').selectOption('15m');
    const recent = dataset.filter((e) => Date.parse(e.timestamp) > Date.now() - 15 * 60_000);
    await expect.poll(() => rows().count()).toBe(recent.length);
    expect(new URL(page.url()).searchParams.get('from')).toBe('15m');
  });

  test('an invalid filter value is explained next to the filter, and nothing breaks', async () => {
    await showQuery(page, 'from=last-tuesday');
    await expect(page.getByTestId('from-error').textContent()).resolves.toMatch(/\S/);
    await page.getByLabel('Time range').selectOption('24h');
    await expect.poll(() => page.getByTestId('from-error').count()).toBe(0);
    await expect.poll(() => rows().count()).toBeGreaterThan(0);
  });

  test('the detail modal shows every field, the data and the stack, and leads to the same request', async () => {
    const failure = dataset.find((e) => e.errorType === PAYMENT_TIMEOUT.errorType)!;
    await showQuery(page, `from=24h&q=${encodeURIComponent(failure.message)}`);
    await page.locator(`[data-entry-id="${failure.id}"]`).click();
    const modal = page.getByRole('dialog');
    await expect(modal.getAttribute('aria-labelledby')).resolves.toBe('detail-title');
    for (const [field, value] of Object.entries(failure)) {
      if (field === 'data' || field === 'errorStack' || field === 'timestamp' || field === 'level') continue;
      const shown = await modal.locator(`[data-field="${field}"] dd`).textContent();
      expect(shown, field).toBe(value === null ? '—' : String(value));
    }
    await expect(modal.locator('[data-field="timestamp"] dd').textContent()).resolves.toContain(failure.timestamp);
    await expect(modal.locator('[data-field="level"] dd').textContent()).resolves.toBe('ERROR');
    await expect(modal.locator('[data-field="errorSignature"] dd').textContent()).resolves.toMatch(/^\S+$/);
    expect(JSON.parse((await modal.locator('pre[data-field="data"]').textContent())!)).toEqual(failure.data);
    await expect(modal.locator('pre[data-field="errorStack"]').textContent()).resolves.toBe(failure.errorStack);
    await screenshot(page, 'detail-modal');
    await modal.getByTestId('copy-json').click();
    await expect(modal.getByRole('status').textContent()).resolves.toBe('Copied');
    expect(JSON.parse(await page.evaluate<string>('navigator.clipboard.readText()'))).toMatchObject({
      ...failure,
      errorSignature: expect.any(String),
    });

    // focus stays in the dialog; Escape closes it
    for (let i = 0; i < 8; i++) await page.keyboard.press('Tab');
    await expect(
      page.evaluate("document.querySelector('[role=dialog]').contains(document.activeElement)"),
    ).resolves.toBe(true);
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog').count()).resolves.toBe(0);

    // the entries of one request, across services, from the modal's link
    const chained = dataset.filter((e) => e.requestId === CHAIN.requestId);
    await showQuery(page, `from=24h&q=${encodeURIComponent('"Checkout started"')}`);
    await rows().first().click();
    await page.getByTestId('same-request').click();
    await expect.poll(() => rows().count()).toBe(chained.length);
    expect(new URL(page.url()).searchParams.get('requestId')).toBe(CHAIN.requestId);
    expect(new Set(await column(page, 'service'))).toEqual(new Set(chained.map((e) => e.service)));
  });

  test('the keyboard moves through the table and opens an entry', async () => {
    await showQuery(page, 'from=24h&level=warn');
    await page.getByTestId('log-table').focus();
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    await page.keyboard.press('ArrowDown');
    const warnings = dataset.filter((e) => e.level === 'warn').reverse();
    await expect
      .poll(() => page.locator('[data-testid="log-row"][aria-selected="true"]').getAttribute('data-entry-id'))
      .toBe(warnings[2].id);
    await page.keyboard.press('Enter');
    await expect(page.getByRole('dialog').locator('[data-field="id"] dd').textContent()).resolves.toBe(warnings[2].id);
    await page.keyboard.press('Escape');
  });
});

describe('loading', () => {
  test.each([
    ['query', /\/api\/platform\/logs\?/, 'result-count'],
    ['errors', /\/api\/platform\/logs\/aggregates\?/, 'error-groups'],
  ])(
    'the %s view says it is loading until its first page comes, never "0" or "no results"',
    async (view, api, loaded) => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      await page.route(api, async (route) => {
        await held;
        await route.continue();
      });
      try {
        await page.goto(`${server.baseUrl}/?view=${view}&from=24h`);
        await page.getByTestId('loading').waitFor();
        await expect(page.getByTestId(loaded).count()).resolves.toBe(0);
        await expect(page.getByTestId('no-results').count()).resolves.toBe(0);
        await expect(page.getByText(/^0 (shown|groups)$/).count()).resolves.toBe(0);
      } finally {
        release();
        await page.unrouteAll({ behavior: 'wait' });
      }
      await page.getByTestId(loaded).waitFor();
      await expect(page.getByTestId('loading').count()).resolves.toBe(0);
    },
  );
});

describe('the errors view', () => {
  test('groups repeated errors, and a group opens its entries', async () => {
    await page.goto(`${server.baseUrl}/?view=errors&from=24h`);
    const group = page.getByTestId('error-group').filter({ hasText: PAYMENT_TIMEOUT.errorType });
    await group.waitFor();
    await expect(group.locator('td.number').first().textContent()).resolves.toBe(String(PAYMENT_TIMEOUT.count));
    await screenshot(page, 'errors-view');

    await group.click();
    await expect.poll(() => rows().count()).toBe(PAYMENT_TIMEOUT.count);
    expect(new URL(page.url()).searchParams.get('view')).toBe('query');
    expect(new URL(page.url()).searchParams.get('errorSignature')).toBeTruthy();
    for (const message of await column(page, 'message'))
      expect(message).toMatch(/^Payment provider timeout after 3000ms for order ord_/);
  });
});

describe('signing in', () => {
  test('refuses an unknown key, keeps a good one for the tab only, and signs out', async () => {
    const fresh = await newPage(browser);
    await fresh.goto(server.baseUrl);
    await fresh.getByLabel('API key').fill('not-a-real-key-0123456789');
    await fresh.getByRole('button', { name: 'Sign in' }).click();
    await expect(fresh.getByRole('alert').textContent()).resolves.toBe('This key is not valid.');

    await signIn(fresh, server.baseUrl, PLATFORM_KEY, '/?view=query');
    await fresh.reload();
    await fresh.getByTestId('sign-out').click();
    await fresh.getByLabel('API key').waitFor();
    await expect(fresh.evaluate('Object.keys(sessionStorage).length')).resolves.toBe(0);
    await fresh.context().close();
  });
});

describe('the theme', () => {
  test('follows the system at first; the toggle switches it and is remembered', async () => {
    const dark = await newPage(browser, { colorScheme: 'dark' });
    await signIn(dark, server.baseUrl, PLATFORM_KEY, '/?view=query');
    const theme = () => dark.evaluate('document.documentElement.dataset.theme');
    await expect(theme()).resolves.toBe('dark');
    await dark.getByTestId('theme-toggle').click();
    await expect(theme()).resolves.toBe('light');
    await dark.reload();
    await dark.getByTestId('sign-out').waitFor();
    await expect(theme()).resolves.toBe('light');
    await dark.context().close();
  });
});

describe('a tenant key', () => {
  test("never shows another tenant's entries, whatever the URL asks", async () => {
    const tenantPage = await newPage(browser, { colorScheme: 'dark' });
    await signIn(tenantPage, server.baseUrl, GLOBEX_KEY, '/?view=query&from=24h&tenantId=acme-corp');
    await expect(tenantPage.getByTestId('scope').textContent()).resolves.toContain('globex');
    const tenantInput = tenantPage.getByLabel('Tenant (fixed by your key)');
    await expect(tenantInput.isDisabled()).resolves.toBe(true);
    await expect(tenantInput.inputValue()).resolves.toBe('globex');

    const globex = dataset.filter((e) => e.tenantId === 'globex');
    await expect.poll(() => rows(tenantPage).count()).toBe(Math.min(100, globex.length));
    expect(new Set(await column(tenantPage, 'tenant'))).toEqual(new Set(['globex']));
    await screenshot(tenantPage, 'query-view-tenant-dark');

    await tenantPage.getByTestId('tab-errors').click();
    const group = tenantPage.getByTestId('error-group').filter({ hasText: PAYMENT_TIMEOUT.errorType });
    await group.click();
    await rows(tenantPage).first().waitFor();
    const expected = dataset.filter((e) => e.tenantId === 'globex' && e.errorType === PAYMENT_TIMEOUT.errorType);
    await expect.poll(() => rows(tenantPage).count()).toBe(expected.length);
    expect(new Set(await column(tenantPage, 'tenant'))).toEqual(new Set(['globex']));
    await tenantPage.context().close();
  });
});
