import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { alertSettingsFromEnv } from '../server/alerts/settings.js';
import { startServer } from '../server/server.js';
import { loadServerSettings } from '../server/settings.js';
import { PLATFORM_KEY, insertEntries, makeEntry } from './server-fixtures.js';
import { freePort } from './support/free-port.js';
import { useTestStores } from './support/stores.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

const stores = useTestStores();
let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
afterAll(async () => receiver?.close());

describe('a server started as `npm start`', () => {
  test('evaluates alert rules on its timer with the settings of its environment, and delivers', {
    timeout: 60_000,
  }, async () => {
    const port = await freePort();
    const env = {
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: stores.databaseUrl,
      LOG_API_KEYS: `${PLATFORM_KEY}:platform`,
      LOG_CONSOLE: 'off',
      LOG_ALERT_INTERVAL_MS: '1000',
      LOG_ALERT_DELAY_MS: '0',
      LOG_ALERT_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    };
    const server = await startServer(loadServerSettings(env), env);
    try {
      const made = await fetch(`${server.url}/api/platform/logs/alerts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${PLATFORM_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'served',
          query: 'disk full',
          windowSeconds: 3,
          threshold: 1,
          webhook: { url: receiver.url },
        }),
      });
      expect(made.status).toBe(201);
      const at = new Date(Date.now() - 500).toISOString();
      await insertEntries(
        stores.pool,
        [0, 1].map(() => makeEntry({ timestamp: at, level: 'error', message: 'disk full on volume' })),
      );
      await vi.waitFor(() => expect(receiver.received.map((hook) => hook.json.type)).toContain('alert.firing'), {
        timeout: 30_000,
      });
      expect(receiver.received[0].json).toMatchObject({ rule: { name: 'served' }, value: 2 });
    } finally {
      await server.stop();
    }
  });

  test('refuses alert settings it cannot keep, naming them', () => {
    expect(() => alertSettingsFromEnv({ LOG_ALERT_INTERVAL_MS: '1500' })).toThrow(
      'LOG_ALERT_INTERVAL_MS must be a whole number of seconds',
    );
    expect(() => alertSettingsFromEnv({ LOG_ALERT_INTERVAL_MS: 'soon' })).toThrow('LOG_ALERT_INTERVAL_MS');
    expect(() => alertSettingsFromEnv({ LOG_ALERT_DELAY_MS: '-5' })).toThrow('LOG_ALERT_DELAY_MS');
    expect(alertSettingsFromEnv({})).toEqual({
      intervalMs: 60_000,
      delayMs: 10_000,
      allowedHosts: [],
      webhookTimeoutMs: 10_000,
    });
    expect(
      alertSettingsFromEnv({ LOG_ALERT_WEBHOOK_ALLOWED_HOSTS: 'Hooks.Internal, 127.0.0.1', LOG_ALERT_DELAY_MS: '0' }),
    ).toMatchObject({
      delayMs: 0,
      allowedHosts: ['hooks.internal', '127.0.0.1'],
    });
  });
});
