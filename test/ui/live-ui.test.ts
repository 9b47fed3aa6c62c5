import type { ChildProcess } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ApiKey } from '../../server/auth.js';
import type { RedisClient } from '../../server/stores.js';
import { useTestStores } from '../support/stores.js';
import { launchBrowser, newPage, screenshot, signIn, startWriter, stopWriter } from './browser.js';
import type { LogServer } from '../support/log-server.js';
import { startUiServer } from './ui-server.js';

const PLATFORM_KEY = 'live-platform-key-0123456789';
const GLOBEX_KEY = 'live-globex-key-0123456789';
const KEYS: ApiKey[] = [
  { key: PLATFORM_KEY, principal: { scope: 'platform' } },
  { key: GLOBEX_KEY, principal: { scope: 'tenant', tenantId: 'globex' } },
];
const WORD = 'heartbeat';

const stores = useTestStores();
let server: LogServer;
let browser: Browser;
let writer: ChildProcess;
let page: Page;

beforeAll(async () => {
  [server, browser] = await Promise.all([startUiServer(stores, KEYS), launchBrowser()]);
  page = await newPage(browser);
  await signIn(page, server.baseUrl, PLATFORM_KEY, '/?view=live');
  writer = startWriter(stores, ['tail', WORD]);
});

afterAll(async () => {
  if (writer) await stopWriter(writer);
  await browser?.close();
  await server?.stop();
});

const lines = (p: Page = page) => p.getByTestId('log-line');
const state = (p: Page = page) => p.getByTestId('connection-state').textContent();

/** The tick numbers of the lines on screen, in screen order. */
async function ticks(p: Page = page): Promise<number[]> {
  const messages = await lines(p).locator('.message').allTextContents();
  return messages.map((m) => Number(m.match(/tick (\d+)/)?.[1]));
}

function consecutive(numbers: number[]): boolean {
  return numbers.every((n, i) => i === 0 || n === numbers[i - 1] + 1);
}

describe('the live view', () => {
  test('shows lines as another process logs them', async () => {
    await expect.poll(() => state(), { timeout: 10_000 }).toBe('Live');
    await expect.poll(() => lines().count(), { timeout: 10_000 }).toBeGreaterThan(3);
    const before = await ticks();
    await expect
      .poll(async () => Math.max(...(await ticks())), { timeout: 5_000 })
      .toBeGreaterThan(Math.max(...before));
    expect(consecutive(await ticks())).toBe(true);
    await screenshot(page, 'live-view');
  });

  test('pause stops the tail; resume replays what was missed, without gaps or duplicates', async () => {
    await page.getByTestId('pause').click();
    await expect.poll(() => state()).toBe('Paused');
    const atPause = Math.max(...(await ticks()));
    await page.waitForTimeout(1_200);
    expect(Math.max(...(await ticks()))).toBeLessThanOrEqual(atPause + 1);

    await page.getByTestId('pause').click();
    await expect.poll(() => state(), { timeout: 10_000 }).toBe('Live');
    await expect.poll(async () => Math.max(...(await ticks())), { timeout: 5_000 }).toBeGreaterThan(atPause + 8);
    const shown = await ticks();
    expect(shown.length).toBeGreaterThan(10);
    expect(shown).toContain(atPause + 1);
    expect(consecutive(shown)).toBe(true);
    await expect(page.getByTestId('gap-line').count()).resolves.toBe(0);
  });

  test('scrolling up stops following the tail until "Jump to latest"', async () => {
    await expect
      .poll(() => page.getByTestId('line-count').textContent(), { timeout: 10_000 })
      .toMatch(/^[4-9]\d|\d{3,}/);
    const list = page.getByTestId('live-list');
    await list.hover();
    await page.mouse.wheel(0, -3_000);
    await page.getByTestId('jump-latest').waitFor();
    const firstShown = (await ticks())[0];
    await page.waitForTimeout(800);
    expect((await ticks())[0]).toBe(firstShown);

    await page.getByTestId('jump-latest').click();
    await expect(page.getByTestId('jump-latest').count()).resolves.toBe(0);
    const latest = Number((await page.getByTestId('line-count').textContent())!.replace(/\D/g, ''));
    await expect.poll(async () => (await ticks()).at(-1)!, { timeout: 5_000 }).toBeGreaterThanOrEqual(latest - 1);
  });

  test('clear empties the list, and a level filter narrows the tail', async () => {
    await page.getByTestId('clear').click();
    await page.getByTestId('filter-level').getByText('warn').click();
    await expect.poll(() => lines().count(), { timeout: 10_000 }).toBeGreaterThan(2);
    expect(new Set(await lines().locator('.level').allTextContents())).toEqual(new Set(['WARN']));
    for (const n of await ticks()) expect(n % 4).toBe(3);
  });

  test('a line opens inline with Enter, and its details from there', async () => {
    await page.getByTestId('pause').click();
    await expect.poll(() => state()).toBe('Paused');
    const line = lines().last();
    const summary = line.locator('[aria-expanded]');
    const n = Number((await line.locator('.message').textContent())!.match(/tick (\d+)/)![1]);
    await summary.focus();
    await page.keyboard.press('Enter');
    await expect(summary.getAttribute('aria-expanded')).resolves.toBe('true');
    expect(JSON.parse((await line.locator('pre.data').textContent())!)).toEqual({ n });
    await line.getByTestId('open-details').click();
    await expect(page.getByRole('dialog').locator('[data-field="message"] dd').textContent()).resolves.toContain(
      `tick ${n} `,
    );
    await page.keyboard.press('Escape');
    await page.getByTestId('pause').click();
  });

  test('after the server restarts, the tail reconnects and resumes where it stopped', async () => {
    await page.getByTestId('filter-level').getByText('warn').click();
    await expect.poll(() => lines().count(), { timeout: 10_000 }).toBeGreaterThan(3);
    const port = Number(new URL(server.baseUrl).port);
    await server.stop();
    await expect.poll(() => state(), { timeout: 5_000 }).toBe('Reconnecting…');
    const beforeRestart = await ticks();
    await page.waitForTimeout(1_000);
    server = await startUiServer(stores, KEYS, port);
    await expect.poll(() => state(), { timeout: 15_000 }).toBe('Live');
    await expect
      .poll(async () => (await ticks()).at(-1)!, { timeout: 5_000 })
      .toBeGreaterThan(beforeRestart.at(-1)! + 10);
    const shown = await ticks();
    expect(shown).toContain(beforeRestart.at(-1)! + 1);
    expect(consecutive(shown)).toBe(true);
  });

  test('entries the stream can no longer replay show as a marker line, never a silent gap', async () => {
    await page.getByTestId('pause').click();
    await expect.poll(() => state()).toBe('Paused');
    await page.waitForTimeout(900);
    // as MAXLEN does under heavy traffic: only the newest entry is left of those logged meanwhile
    const redis: RedisClient = createClient({ url: stores.redisUrl });
    await redis.connect();
    await redis.xTrim(stores.streamKey, 'MAXLEN', 1);
    await redis.quit();
    await page.getByTestId('pause').click();
    const gap = page.getByTestId('gap-line');
    await gap.waitFor({ timeout: 10_000 });
    await expect(gap.textContent()).resolves.toContain('missed here (trimmed)');
    await expect.poll(() => state()).toBe('Live');
    await screenshot(page, 'live-view-gap');
  });

  test("a tenant key's tail holds only its tenant", async () => {
    const tenantPage = await newPage(browser, { colorScheme: 'dark' });
    await signIn(tenantPage, server.baseUrl, GLOBEX_KEY, '/?view=live&tenantId=acme-corp');
    await expect.poll(() => lines(tenantPage).count(), { timeout: 10_000 }).toBeGreaterThan(4);
    expect(new Set(await lines(tenantPage).locator('.tenant').allTextContents())).toEqual(new Set(['globex']));
    await screenshot(tenantPage, 'live-view-tenant-dark');
    await tenantPage.context().close();
  });
});
