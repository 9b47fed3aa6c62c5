import type { Hono } from 'hono';
import type pg from 'pg';
import type { HostResolver } from '../server/alerts/address-guard.js';
import { lazySecretBox } from '../server/alerts/secrets.js';
import { createApp } from '../server/app.js';
import { createAuth } from '../server/auth.js';
import { TEST_KEYS } from './server-fixtures.js';

/** Names as a DNS server would answer them, so that no test depends on the network. */
export const TEST_NAMES: Record<string, string[]> = {
  'hooks.example.com': ['93.184.216.34'],
  'internal.example.com': ['10.0.0.1'],
  'metadata.example.com': ['169.254.169.254'],
  'mixed.example.com': ['93.184.216.34', '127.0.0.1'],
  'v6-local.example.com': ['fd00::1'],
};

export const testResolver: HostResolver = async (hostname) => {
  const addresses = TEST_NAMES[hostname];
  if (!addresses) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

/** The API app as the server builds it, with the alerts' webhook policy given. */
export function createAlertApp(
  pool: pg.Pool,
  allowedHosts: string[],
  extra: { intervalMs?: number; delayMs?: number; now?: () => Date; maxRulesPerOwner?: number } = {},
) {
  return createApp({
    pool,
    auth: createAuth(TEST_KEYS),
    exportMaxRows: 1000,
    rateLimitPerMinute: 100_000,
    uiDir: '/nonexistent-ui',
    now: extra.now,
    alerts: {
      secrets: lazySecretBox(pool, undefined),
      webhook: { allowedHosts, resolve: testResolver, timeoutMs: 5_000 },
      intervalMs: extra.intervalMs,
      delayMs: extra.delayMs,
      maxRulesPerOwner: extra.maxRulesPerOwner,
    },
  });
}

export interface Answer {
  status: number;
  text: string;
  body: any;
}

/** A request to /api/platform/logs/alerts…, JSON in and out. */
export async function callAlerts(
  app: Hono<any>,
  method: string,
  path: string,
  key: string | null,
  body?: unknown,
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await app.request(`/api/platform/logs/alerts${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, body: text ? JSON.parse(text) : null };
}
