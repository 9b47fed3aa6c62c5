import type { Hono } from 'hono';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SIGNATURE_HEADER, verifySignature } from '../server/alerts/webhook.js';
import { MAX_SEARCH_LENGTH } from '../server/http/params.js';
import { TEST_NAMES, callAlerts, createAlertApp } from './alerts-fixtures.js';
import { PLATFORM_KEY, TENANT_A_KEY, TENANT_B_KEY } from './server-fixtures.js';
import { useTestStores } from './support/stores.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

const stores = useTestStores();
let app: Hono<any>;
let strictApp: Hono<any>;
let receiver: WebhookReceiver;

async function call(method: string, path: string, key: string | null, body?: unknown, target: Hono<any> = app) {
  return callAlerts(target, method, path, key, body);
}

const rule = (overrides: Record<string, unknown> = {}) => ({
  name: 'checkout errors',
  query: 'payment failed',
  filters: { level: ['error'] },
  windowSeconds: 300,
  threshold: 10,
  webhook: { url: receiver.url },
  ...overrides,
});

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  app = createAlertApp(stores.pool, ['127.0.0.1']);
  strictApp = createAlertApp(stores.pool, []);
});
afterAll(async () => receiver?.close());

describe('POST /alerts', () => {
  test('makes a rule: 201 with its id, the signing secret once, the URL never', async () => {
    const { status, body, text } = await call('POST', '', PLATFORM_KEY, rule());
    expect(status).toBe(201);
    expect(body).toMatchObject({
      name: 'checkout errors',
      kind: 'count',
      tenantId: null,
      query: 'payment failed',
      filters: { level: ['error'] },
      windowSeconds: 300,
      condition: 'above',
      threshold: 10,
      quietSeconds: null,
      webhook: { format: 'json', origin: `http://127.0.0.1:${receiver.port}` },
      muted: false,
      snoozedUntil: null,
      state: 'ok',
      evaluatedThrough: null,
      evaluationError: null,
      delivery: null,
    });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.webhook.secret).toMatch(/^whsec_/);
    expect(text).not.toContain('receiver-secret-token');

    const one = await call('GET', `/${body.id}`, PLATFORM_KEY);
    expect(one.status).toBe(200);
    expect(one.body.webhook).toEqual({ format: 'json', origin: `http://127.0.0.1:${receiver.port}` });
    const list = await call('GET', '', PLATFORM_KEY);
    for (const answer of [one.text, list.text]) {
      expect(answer).not.toContain('receiver-secret-token');
      expect(answer).not.toContain(body.webhook.secret);
    }
    expect(list.body.rules.map((r: { id: string }) => r.id)).toContain(body.id);

    // kept sealed: the table holds neither the URL nor the secret in the clear
    const { rows } = await stores.pool.query(
      `SELECT webhook_url, signing_secret FROM platform_log_alert_rules WHERE id = $1`,
      [body.id],
    );
    expect(rows[0].webhook_url.toString('latin1')).not.toContain('receiver-secret-token');
    expect(rows[0].signing_secret.toString('latin1')).not.toContain(body.webhook.secret);
  });

  test('keeps a given signing secret and the Slack format', async () => {
    const { status, body } = await call(
      'POST',
      '',
      PLATFORM_KEY,
      rule({ webhook: { url: receiver.url, format: 'slack', secret: 'a-secret-of-my-own-1234' } }),
    );
    expect(status).toBe(201);
    expect(body.webhook).toMatchObject({ format: 'slack', secret: 'a-secret-of-my-own-1234' });
  });

  test.each([
    [{ name: undefined }, 'name'],
    [{ name: '  ' }, 'name'],
    [{ windowSeconds: 0 }, 'windowSeconds'],
    [{ windowSeconds: 86_401 }, 'windowSeconds'],
    [{ windowSeconds: 1.5 }, 'windowSeconds'],
    [{ windowSeconds: undefined }, 'windowSeconds'],
    [{ threshold: undefined }, 'threshold'],
    [{ threshold: -1 }, 'threshold'],
    [{ threshold: '10' }, 'threshold'],
    [{ condition: 'sideways' }, 'condition'],
    [{ condition: 'below', threshold: 0 }, 'threshold'],
    [{ kind: 'sometimes' }, 'kind'],
    [{ kind: 'new_group' }, 'windowSeconds'],
    [{ kind: 'new_group', windowSeconds: undefined, threshold: undefined, quietSeconds: 600 }, 'quietSeconds'],
    [{ kind: 'regression', windowSeconds: undefined, threshold: undefined, quietSeconds: 10 }, 'quietSeconds'],
    [{ query: 'x'.repeat(MAX_SEARCH_LENGTH + 1) }, 'query'],
    [{ query: 'a\u0000b' }, 'query'],
    [{ query: 42 }, 'query'],
    [{ filters: { level: ['fatal'] } }, 'filters.level'],
    [{ filters: { levels: ['error'] } }, 'filters.levels'],
    [{ filters: { tenantId: 7 } }, 'filters.tenantId'],
    [{ webhook: {} }, 'webhook.url'],
    [{ webhook: undefined }, 'webhook'],
    [{ webhook: { url: 'not a url' } }, 'webhook.url'],
    [{ webhook: { url: 'ftp://hooks.example.com/x' } }, 'webhook.url'],
    [{ webhook: { url: 'https://hooks.example.com/x', format: 'teams' } }, 'webhook.format'],
    [{ webhook: { url: 'https://hooks.example.com/x', secret: 'short' } }, 'webhook.secret'],
    [{ webhook: { url: 'https://unknown-host.example.com/x' } }, 'webhook.url'],
    [{ snoozedUntil: 'tomorrow' }, 'snoozedUntil'],
    [{ severity: 'high' }, 'severity'],
  ])('refuses %j with a 400 naming %s', async (overrides, parameter) => {
    const { status, body } = await call('POST', '', PLATFORM_KEY, rule(overrides));
    expect(status).toBe(400);
    expect(body.parameter).toBe(parameter);
    expect(body.error).toEqual(expect.any(String));
  });

  test('refuses a body that is not a JSON object', async () => {
    for (const body of ['{"name": ', '[1,2]', 'null']) {
      const answer = await call('POST', '', PLATFORM_KEY, body);
      expect(answer.status).toBe(400);
      expect(answer.body.parameter).toBe('body');
    }
    const huge = await call('POST', '', PLATFORM_KEY, rule({ name: 'x'.repeat(70_000) }));
    expect(huge.status).toBe(413);
  });

  test('needs a key', async () => {
    expect((await call('POST', '', null, rule())).status).toBe(401);
    expect((await call('GET', '', null)).status).toBe(401);
  });
});

describe('webhook addresses', () => {
  test.each([
    'http://127.0.0.1:9/hook',
    'http://127.1.2.3/hook',
    'http://localhost/hook',
    'http://10.0.0.1/hook',
    'http://172.16.5.4/hook',
    'http://192.168.1.1/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://0.0.0.0/hook',
    'http://[::1]/hook',
    'http://[::]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[::ffff:a9fe:a9fe]/hook',
    'http://[fd12:3456::1]/hook',
    'http://[fe80::1]/hook',
    'http://2130706433/hook',
    'http://0x7f.1/hook',
    'https://internal.example.com/hook',
    'https://metadata.example.com/hook',
    'https://mixed.example.com/hook',
    'https://v6-local.example.com/hook',
  ])('refuses %s', async (url) => {
    const resolveLocalhost = url.includes('localhost');
    if (resolveLocalhost) TEST_NAMES.localhost = ['127.0.0.1'];
    const { status, body } = await call('POST', '', PLATFORM_KEY, rule({ webhook: { url } }), strictApp);
    expect(status).toBe(400);
    expect(body.parameter).toBe('webhook.url');
    expect(body.error).toMatch(/loopback|private|link-local|unique-local|unspecified/);
    expect(body.error).not.toContain('/hook');
  });

  test('accepts a public address, and a refused one whose host is allowed', async () => {
    expect(
      (
        await call(
          'POST',
          '',
          PLATFORM_KEY,
          rule({ webhook: { url: 'https://hooks.example.com/services/T/B/X' } }),
          strictApp,
        )
      ).status,
    ).toBe(201);
    expect(
      (await call('POST', '', PLATFORM_KEY, rule({ webhook: { url: 'http://127.0.0.1:9/hook' } }), app)).status,
    ).toBe(201);
  });
});

describe('tenant confinement', () => {
  test("a tenant key makes, sees and changes only its tenant's rules", async () => {
    const mine = await call('POST', '', TENANT_A_KEY, rule({ name: 'tenant a rule' }));
    expect(mine.status).toBe(201);
    expect(mine.body.tenantId).toBe('tenant-a');
    const platformRule = await call('POST', '', PLATFORM_KEY, rule({ name: 'platform rule' }));
    const id = mine.body.id;

    const listB = await call('GET', '', TENANT_B_KEY);
    expect(listB.body.rules.map((r: { id: string }) => r.id)).not.toContain(id);
    const listA = await call('GET', '', TENANT_A_KEY);
    expect(listA.body.rules.every((r: { tenantId: string }) => r.tenantId === 'tenant-a')).toBe(true);
    expect(listA.body.rules.map((r: { id: string }) => r.id)).not.toContain(platformRule.body.id);
    expect((await call('GET', '', PLATFORM_KEY)).body.rules.map((r: { id: string }) => r.id)).toEqual(
      expect.arrayContaining([id, platformRule.body.id]),
    );

    for (const [method, path, body] of [
      ['GET', `/${id}`],
      ['PATCH', `/${id}`, { threshold: 1 }],
      ['DELETE', `/${id}`],
      ['GET', `/${id}/history`],
      ['POST', `/${id}/test`],
    ] as [string, string, unknown?][]) {
      expect((await call(method, path, TENANT_B_KEY, body)).status).toBe(404);
    }
    expect((await call('PATCH', `/${platformRule.body.id}`, TENANT_A_KEY, { threshold: 1 })).status).toBe(404);
    expect((await call('GET', `/${id}`, TENANT_A_KEY)).body.threshold).toBe(10);
    expect((await call('PATCH', `/${id}`, PLATFORM_KEY, { threshold: 3 })).body.threshold).toBe(3);
  });

  test('the platform and each tenant may have a limited number of rules', async () => {
    const capped = createAlertApp(stores.pool, ['127.0.0.1'], { maxRulesPerOwner: 2 });
    const { rows } = await stores.pool.query(
      `SELECT count(*)::int AS n FROM platform_log_alert_rules WHERE tenant_id = 'tenant-b'`,
    );
    for (let i = rows[0].n; i < 2; i++) expect((await call('POST', '', TENANT_B_KEY, rule(), capped)).status).toBe(201);
    const refused = await call('POST', '', TENANT_B_KEY, rule(), capped);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('this tenant has 2 alert rules, the most it may have: delete one first');
    expect(
      (
        await call(
          'POST',
          '',
          TENANT_A_KEY,
          rule(),
          createAlertApp(stores.pool, ['127.0.0.1'], { maxRulesPerOwner: 1_000 }),
        )
      ).status,
    ).toBe(201);
  });

  test("a tenant key's rule may not name another tenant", async () => {
    const { status, body } = await call('POST', '', TENANT_A_KEY, rule({ filters: { tenantId: 'tenant-b' } }));
    expect(status).toBe(400);
    expect(body.parameter).toBe('filters.tenantId');
    expect((await call('POST', '', TENANT_A_KEY, rule({ filters: { tenantId: 'tenant-a' } }))).status).toBe(201);
    expect(
      (await call('POST', '', PLATFORM_KEY, rule({ filters: { tenantId: 'tenant-b' } }))).body.tenantId,
    ).toBeNull();
  });
});

describe('PATCH and DELETE /alerts/:id', () => {
  test('change a rule, checked as a whole; mute and snooze', async () => {
    const { body: made } = await call('POST', '', PLATFORM_KEY, rule());
    const patched = await call('PATCH', `/${made.id}`, PLATFORM_KEY, {
      threshold: 50,
      condition: 'below',
      muted: true,
      snoozedUntil: '2030-01-01T00:00:00Z',
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      threshold: 50,
      condition: 'below',
      muted: true,
      snoozedUntil: '2030-01-01T00:00:00.000Z',
    });
    expect((await call('PATCH', `/${made.id}`, PLATFORM_KEY, { snoozedUntil: null, muted: false })).body).toMatchObject(
      { muted: false, snoozedUntil: null },
    );

    expect((await call('PATCH', `/${made.id}`, PLATFORM_KEY, { threshold: 0 })).body.parameter).toBe('threshold');
    expect((await call('PATCH', `/${made.id}`, PLATFORM_KEY, { kind: 'new_group' })).body.parameter).toBe('kind');
    expect((await call('PATCH', `/${made.id}`, PLATFORM_KEY, { windowSeconds: null })).body.parameter).toBe(
      'windowSeconds',
    );
    expect((await call('PATCH', `/${made.id}`, PLATFORM_KEY, { filters: { level: 'loud' } })).body.parameter).toBe(
      'filters.level',
    );
    const refused = await call('PATCH', `/${made.id}`, PLATFORM_KEY, { webhook: { url: 'http://10.0.0.1/x' } });
    expect(refused).toMatchObject({ status: 400, body: { parameter: 'webhook.url' } });
    const moved = await call('PATCH', `/${made.id}`, PLATFORM_KEY, {
      webhook: { url: 'https://hooks.example.com/new-secret-path', format: 'slack' },
    });
    expect(moved.body.webhook).toEqual({ format: 'slack', origin: 'https://hooks.example.com' });
    expect(moved.text).not.toContain('new-secret-path');
  });

  test('delete a rule: 204, then 404', async () => {
    const { body: made } = await call('POST', '', PLATFORM_KEY, rule());
    expect((await call('DELETE', `/${made.id}`, PLATFORM_KEY)).status).toBe(204);
    expect((await call('GET', `/${made.id}`, PLATFORM_KEY)).status).toBe(404);
    expect((await call('DELETE', `/${made.id}`, PLATFORM_KEY)).status).toBe(404);
    expect((await call('GET', '/not-a-uuid', PLATFORM_KEY)).status).toBe(404);
  });
});

describe('POST /alerts/:id/test', () => {
  test('sends a signed test notification and keeps it in the history', async () => {
    const { body: made } = await call('POST', '', PLATFORM_KEY, rule({ name: 'test fire' }));
    receiver.received.length = 0;
    const fired = await call('POST', `/${made.id}/test`, PLATFORM_KEY);
    expect(fired.status).toBe(200);
    expect(fired.body).toMatchObject({
      delivered: true,
      status: 200,
      error: null,
      event: { kind: 'test', delivery: 'delivered', attempts: 1 },
    });
    expect(receiver.received).toHaveLength(1);
    const [hook] = receiver.received;
    const header = hook.headers[SIGNATURE_HEADER.toLowerCase()] as string;
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature(made.webhook.secret, hook.body, header, Math.floor(Date.now() / 1000))).toBe(true);
    expect(verifySignature('another-secret-entirely', hook.body, header, Math.floor(Date.now() / 1000))).toBe(false);
    expect(verifySignature(made.webhook.secret, `${hook.body} `, header, Math.floor(Date.now() / 1000))).toBe(false);
    expect(hook.json).toMatchObject({
      id: fired.body.event.id,
      type: 'alert.test',
      test: true,
      rule: { id: made.id, name: 'test fire' },
    });
    expect(hook.body).not.toContain(made.webhook.secret);

    const history = await call('GET', `/${made.id}/history`, PLATFORM_KEY);
    expect(history.body.events.map((e: { id: string }) => e.id)).toEqual([fired.body.event.id]);
    expect((await call('GET', `/${made.id}`, PLATFORM_KEY)).body.delivery).toMatchObject({
      status: 'ok',
      error: null,
      consecutiveFailures: 0,
    });
  });

  test('a receiver that fails is reported on the rule', async () => {
    const { body: made } = await call('POST', '', PLATFORM_KEY, rule({ name: 'failing receiver' }));
    receiver.answer(503);
    try {
      const fired = await call('POST', `/${made.id}/test`, PLATFORM_KEY);
      expect(fired.body).toMatchObject({
        delivered: false,
        status: 503,
        error: 'HTTP 503',
        event: { delivery: 'failed', lastError: 'HTTP 503' },
      });
    } finally {
      receiver.answer(200);
    }
    expect((await call('GET', `/${made.id}`, PLATFORM_KEY)).body.delivery).toMatchObject({
      status: 'failed',
      error: 'HTTP 503',
      consecutiveFailures: 1,
    });
  });
});

describe('GET /alerts/:id/history', () => {
  test('pages newest first and checks its parameters', async () => {
    const { body: made } = await call('POST', '', PLATFORM_KEY, rule({ name: 'paged history' }));
    for (let i = 0; i < 5; i++) await call('POST', `/${made.id}/test`, PLATFORM_KEY);
    const first = await call('GET', `/${made.id}/history?limit=3`, PLATFORM_KEY);
    expect(first.body.events).toHaveLength(3);
    const second = await call('GET', `/${made.id}/history?limit=3&cursor=${first.body.nextCursor}`, PLATFORM_KEY);
    expect(second.body.events).toHaveLength(2);
    expect(second.body.nextCursor).toBeNull();
    const ids = [...first.body.events, ...second.body.events].map((e: { id: string }) => e.id);
    expect(new Set(ids).size).toBe(5);
    expect((await call('GET', `/${made.id}/history?cursor=nope`, PLATFORM_KEY)).body.parameter).toBe('cursor');
    expect((await call('GET', `/${made.id}/history?limit=0`, PLATFORM_KEY)).body.parameter).toBe('limit');
    expect((await call('GET', `/${made.id}/history?limt=3`, PLATFORM_KEY)).body.parameter).toBe('limt');
  });
});

describe('openapi.json', () => {
  test('describes the alerts routes', async () => {
    const response = await app.request('/api/platform/logs/openapi.json');
    const body = (await response.json()) as any;
    expect(
      Object.keys(body.paths)
        .filter((path) => path.startsWith('/alerts'))
        .sort(),
    ).toEqual(['/alerts', '/alerts/preview', '/alerts/{id}', '/alerts/{id}/history', '/alerts/{id}/test'].sort());
    expect(Object.keys(body.paths['/alerts/{id}']).sort()).toEqual(['delete', 'get', 'patch']);
    expect(body.components.schemas.AlertRule.properties.webhook.properties).not.toHaveProperty('url');
  });
});

describe('whatever a client sends', () => {
  test('is answered below 500: rules made of arbitrary values', { timeout: 120_000 }, async () => {
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.object({ maxDepth: 1 }),
    );
    const body = fc.record(
      {
        name: fc.oneof(fc.string(), value),
        kind: fc.oneof(fc.constantFrom('count', 'new_group', 'regression'), value),
        query: fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), value),
        filters: fc.oneof(fc.record({ level: value, service: value, tenantId: value }, { requiredKeys: [] }), value),
        windowSeconds: fc.oneof(fc.integer({ min: -10, max: 100_000 }), value),
        condition: fc.oneof(fc.constantFrom('above', 'below'), value),
        threshold: fc.oneof(fc.integer({ min: -10, max: 2_000_000_000 }), value),
        quietSeconds: value,
        snoozedUntil: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          value,
        ),
        webhook: fc.oneof(
          fc.record({ url: fc.oneof(fc.webUrl(), value), format: value, secret: value }, { requiredKeys: [] }),
          value,
        ),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom(PLATFORM_KEY, TENANT_A_KEY), async (sent, key) => {
        const made = await call('POST', '', key, sent, strictApp);
        expect(made.status).toBeLessThan(500);
        if (made.status === 201) {
          const patched = await call('PATCH', `/${made.body.id}`, key, sent, strictApp);
          expect(patched.status).toBeLessThan(500);
          await call('DELETE', `/${made.body.id}`, key, undefined, strictApp);
        }
        expect((await call('POST', '/preview', key, sent, strictApp)).status).toBeLessThan(500);
      }),
      { numRuns: 150, seed: 20_240_501 },
    );
  });
});
