import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { LogEntry } from '../../src/types.js';
import { storesEnv } from '../support/service-process.js';
import type { TestStores } from '../support/stores.js';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const ARTIFACTS = new URL('../../test-artifacts/ui/', import.meta.url);

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** A new page in its own context (its own sessionStorage), 1400×860 like an operator's laptop. */
export async function newPage(browser: Browser, options: { colorScheme?: 'light' | 'dark' } = {}): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1400, height: 860 },
    colorScheme: options.colorScheme ?? 'light',
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const page = await context.newPage();
  // fail fast with the locator's own message rather than at the test's timeout
  page.setDefaultTimeout(5_000);
  return page;
}

export async function signIn(page: Page, baseUrl: string, key: string, path = '/'): Promise<void> {
  await page.goto(baseUrl + path);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('sign-out').waitFor();
}

/** Writes a screenshot into test-artifacts/ui/ (gitignored); returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = new URL(`${name}.png`, ARTIFACTS).pathname;
  await page.screenshot({ path });
  return path;
}

const WRITER = new URL('./log-writer.ts', import.meta.url).pathname;

/** Starts a separate service process that logs into the test's stores (see log-writer.ts). */
export function startWriter(stores: TestStores, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', WRITER, ...args], {
    env: {
      ...process.env,
      ...storesEnv(stores),
      // a seed must be stored whole before the test looks: no exit deadline that would spool the rest on a busy machine
      LOG_EXIT_TIMEOUT_MS: '120000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Logs these entries from a separate service process, and waits until they are stored. */
export async function logFromAnotherProcess(stores: TestStores, entries: LogEntry[]): Promise<void> {
  const file = join(mkdtempSync(join(tmpdir(), 'ui-seed-')), 'entries.json');
  writeFileSync(file, JSON.stringify(entries));
  const child = startWriter(stores, ['seed', file]);
  const [code] = await once(child, 'exit');
  rmSync(dirname(file), { recursive: true });
  if (code !== 0) throw new Error(`the log writer exited with ${code}`);
}

/** Ends a tail writer: SIGTERM, then it flushes and exits. */
export async function stopWriter(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}
