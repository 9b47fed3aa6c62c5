import { InngestTestEngine } from '@inngest/test';
import { Hono } from 'hono';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { createAlertFunction, alertCron } from '../server/alerts/inngest.js';
import {
  pruneAlertHistory,
  runAlerts,
  windowCounts,
  type AlertRunOptions,
  type AlertRunReport,
} from '../server/alerts/evaluate.js';
import type { AlertLogger } from '../server/alerts/notify.js';
import { startAlertTimer } from '../server/alerts/timer.js';
import { DELIVERY_HEADER, SIGNATURE_HEADER, verifySignature } from '../server/alerts/webhook.js';
import { createRetentionInngest } from '../server/retention/index.js';
import { callAlerts, createAlertApp } from './alerts-fixtures.js';
import { PLATFORM_KEY, TENANT_A_KEY, insertEntries, makeEntry } from './server-fixtures.js';
import { freePort } from './support/free-port.js';
import { useTestStores } from './support/stores.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

const stores = useTestStores();
let app: Hono<any>;
let receiver: WebhookReceiver;

const MINUTE = 60_000;
/** A whole minute two hours ago: every window of these tests is on a fixed clock from here. */
const base = Math.floor(Date.now() / MINUTE) * MINUTE - 120 * MINUTE;
const at = (ms: number) => new Date(base + ms);

function recordingLogger() {
  const lines: unknown[] = [];
  const logger: AlertLogger = {
    info: (message, data) => lines.push({ message, data }),
    warn: (message, data) => lines.push({ message, data }),
    error: (message, err, data) => lines.push({ message, err: String(err), data }),
  };
  return { logger, lines };
}

let log = recordingLogger();

/** One run as the cron or the timer would make it, at the given time of the fixed clock. */
function runAt(ms: number, extra: Partial<AlertRunOptions> = {}): Promise<AlertRunReport> {
  return runAlerts({
    pool: stores.pool,
    now: () => at(ms),
    intervalMs: MINUTE,
    delayMs: 0,
    webhook: { allowedHosts: ['127.0.0.1'], timeoutMs: 5_000 },
    retry: { maxAttempts: 3, baseMs: 1_000 },
    logger: log.logger,
    ...extra,
  });
}

async function makeRule(overrides: Record<string, unknown> = {}, key = PLATFORM_KEY) {
  const { status, body } = await callAlerts(app, 'POST', '', key, {
    name: 'payment failures',
    query: 'payment failed',
    windowSeconds: 60,
    threshold: 2,
    webhook: { url: receiver.url },
    ...overrides,
  });
  expect(status).toBe(201);
  return body as { id: string; webhook: { secret: string } };
}

async function entriesAt(offsets: number[], overrides: Parameters<typeof makeEntry>[0] = {}) {
  await insertEntries(
    stores.pool,
    offsets.map((ms) =>
      makeEntry({ timestamp: at(ms).toISOString(), level: 'error', message: 'payment failed for order', ...overrides }),
    ),
  );
}

const kinds = () =>
  receiver.received.map((hook) => `${hook.json.type}@${(hook.json.window.end as string).slice(11, 16)}`);
const hhmm = (ms: number) => at(ms).toISOString().slice(11, 16);
const rule = async (id: string) => (await callAlerts(app, 'GET', `/${id}`, PLATFORM_KEY)).body;
const history = async (id: string) =>
  (await callAlerts(app, 'GET', `/${id}/history?limit=500`, PLATFORM_KEY)).body.events;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  app = createAlertApp(stores.pool, ['127.0.0.1']);
});
afterAll(async () => receiver?.close());
beforeEach(async () => {
  await stores.pool.query('DELETE FROM platform_log_alert_rules');
  await stores.pool.query('DELETE FROM platform_logs');
  receiver.received.length = 0;
  receiver.answer(200);
  log = recordingLogger();
});

describe('count rules', () => {
  test('fire when the window crosses the threshold and resolve after, each sent once and signed', async () => {
    const made = await makeRule();
    expect((await runAt(1 * MINUTE)).windows).toBe(1); // [0, 1 min): nothing
    await entriesAt([70_000, 80_000, 90_000]);
    await entriesAt([95_000], { message: 'cache warmed' }); // does not match the query

    const firing = await runAt(2 * MINUTE);
    expect(firing).toMatchObject({
      status: 'completed',
      rules: 1,
      windows: 1,
      events: 1,
      deliveries: { delivered: 1, retrying: 0, failed: 0 },
    });
    expect(kinds()).toEqual([`alert.firing@${hhmm(2 * MINUTE)}`]);
    const [hook] = receiver.received;
    expect(hook.json).toMatchObject({
      type: 'alert.firing',
      state: 'firing',
      value: 3,
      window: { start: at(MINUTE).toISOString(), end: at(2 * MINUTE).toISOString() },
      rule: {
        id: made.id,
        name: 'payment failures',
        query: 'payment failed',
        threshold: 2,
        condition: 'above',
        windowSeconds: 60,
      },
    });
    expect(hook.headers[DELIVERY_HEADER.toLowerCase()]).toBe(hook.json.id);
    const signature = hook.headers[SIGNATURE_HEADER.toLowerCase()] as string;
    expect(
      verifySignature(made.webhook.secret, hook.body, signature, Math.floor(at(2 * MINUTE).getTime() / 1000)),
    ).toBe(true);
    expect(await rule(made.id)).toMatchObject({
      state: 'firing',
      lastValue: 3,
      stateSince: at(2 * MINUTE).toISOString(),
      delivery: { status: 'ok' },
    });

    await runAt(3 * MINUTE);
    expect(kinds()).toEqual([`alert.firing@${hhmm(2 * MINUTE)}`, `alert.resolved@${hhmm(3 * MINUTE)}`]);
    expect(receiver.received[1].json).toMatchObject({ type: 'alert.resolved', state: 'resolved', value: 0 });
    expect(await rule(made.id)).toMatchObject({ state: 'resolved', lastValue: 0 });

    // a run at the same time again, as after a restart, has nothing left to do
    expect(await runAt(3 * MINUTE)).toMatchObject({ windows: 0, events: 0, deliveries: { delivered: 0 } });
    expect(receiver.received).toHaveLength(2);
    expect((await history(made.id)).map((e: { kind: string; delivery: string }) => `${e.kind}:${e.delivery}`)).toEqual([
      'resolved:delivered',
      'firing:delivered',
    ]);
  });

  test('a run that repeats windows another run evaluated (a lost lock, a stale reader) sends nothing again', async () => {
    const made = await makeRule();
    await runAt(1 * MINUTE);
    const { rows: before } = await stores.pool.query(
      'SELECT state, evaluated_through FROM platform_log_alert_rules WHERE id = $1',
      [made.id],
    );
    await entriesAt([70_000, 80_000, 90_000]);
    await runAt(2 * MINUTE);
    expect(receiver.received).toHaveLength(1);
    // as if a second runner had read the rule before the first one recorded its run
    await stores.pool.query('UPDATE platform_log_alert_rules SET state = $2, evaluated_through = $3 WHERE id = $1', [
      made.id,
      before[0].state,
      before[0].evaluated_through,
    ]);
    expect(await runAt(2 * MINUTE)).toMatchObject({ windows: 1, events: 0 });
    expect(receiver.received).toHaveLength(1);
  });

  test('catch up after a downtime: every window evaluated, every change sent once, in order', async () => {
    const made = await makeRule();
    await runAt(1 * MINUTE);
    await entriesAt([70_000, 80_000, 90_000]); // [1, 2): fires
    await runAt(2 * MINUTE);
    // down from 2 min to 10 min; meanwhile [2, 3) is quiet, [3, 4) loud again, then quiet
    await entriesAt([190_000, 200_000, 210_000, 220_000]);
    const caughtUp = await runAt(10 * MINUTE);
    expect(caughtUp).toMatchObject({ windows: 8, events: 3, deliveries: { delivered: 3 } });
    expect(kinds()).toEqual([
      `alert.firing@${hhmm(2 * MINUTE)}`,
      `alert.resolved@${hhmm(3 * MINUTE)}`,
      `alert.firing@${hhmm(4 * MINUTE)}`,
      `alert.resolved@${hhmm(5 * MINUTE)}`,
    ]);
    expect(receiver.received[2].json.value).toBe(4);
    expect(await runAt(10 * MINUTE)).toMatchObject({ windows: 0, events: 0 });
    expect(receiver.received).toHaveLength(4);
    expect(await rule(made.id)).toMatchObject({ state: 'resolved', evaluatedThrough: at(10 * MINUTE).toISOString() });
  });

  test('a "below" rule fires when the entries stop ("went quiet") and resolves when they come back', async () => {
    const made = await makeRule({ condition: 'below', threshold: 1 });
    await entriesAt([10_000]);
    await runAt(1 * MINUTE);
    expect(receiver.received).toHaveLength(0);
    await runAt(2 * MINUTE);
    expect(kinds()).toEqual([`alert.firing@${hhmm(2 * MINUTE)}`]);
    expect(receiver.received[0].json.value).toBe(0);
    await entriesAt([130_000]);
    await runAt(3 * MINUTE);
    expect(kinds()).toEqual([`alert.firing@${hhmm(2 * MINUTE)}`, `alert.resolved@${hhmm(3 * MINUTE)}`]);
    expect((await rule(made.id)).state).toBe('resolved');
  });

  test("a tenant's rule never counts another tenant's entries", async () => {
    const tenantRule = await makeRule({ threshold: 0, name: 'tenant a' }, TENANT_A_KEY);
    const platformRule = await makeRule({ threshold: 0, name: 'platform' });
    await runAt(1 * MINUTE);
    await entriesAt([70_000, 75_000], { tenantId: 'tenant-b' });
    await runAt(2 * MINUTE);
    expect((await rule(tenantRule.id)).state).toBe('ok');
    expect((await rule(tenantRule.id)).lastValue).toBe(0);
    expect(await rule(platformRule.id)).toMatchObject({ state: 'firing', lastValue: 2 });
    await entriesAt([130_000], { tenantId: 'tenant-a' });
    await entriesAt([131_000, 132_000], { tenantId: 'tenant-b' });
    await runAt(3 * MINUTE);
    expect(await rule(tenantRule.id)).toMatchObject({ state: 'firing', lastValue: 1 });
    expect(
      receiver.received.filter((hook) => hook.json.rule.id === tenantRule.id).map((hook) => hook.json.value),
    ).toEqual([1]);
  });

  test('structured filters narrow the query as the API does', async () => {
    const made = await makeRule({ query: '', filters: { level: 'warn', service: ['admin'] }, threshold: 1 });
    await runAt(1 * MINUTE);
    await entriesAt([61_000, 62_000], { level: 'warn', service: 'admin' });
    await entriesAt([63_000, 64_000], { level: 'error', service: 'admin' });
    await entriesAt([65_000], { level: 'warn', service: 'storefront' });
    await runAt(2 * MINUTE);
    expect(await rule(made.id)).toMatchObject({ state: 'firing', lastValue: 2 });
  });

  test('muted and snoozed rules change state and keep their history, but send nothing', async () => {
    const muted = await makeRule({ muted: true, name: 'muted' });
    const snoozed = await makeRule({ snoozedUntil: at(150_000).toISOString(), name: 'snoozed' });
    await runAt(1 * MINUTE);
    await entriesAt([70_000, 80_000, 90_000]);
    await runAt(2 * MINUTE);
    expect(receiver.received).toHaveLength(0);
    expect((await rule(muted.id)).state).toBe('firing');
    expect((await history(muted.id))[0]).toMatchObject({ kind: 'firing', delivery: 'suppressed' });
    expect((await history(snoozed.id))[0]).toMatchObject({ kind: 'firing', delivery: 'suppressed' });
    await runAt(3 * MINUTE); // the snooze is over: its resolution is sent, the muted rule's is not
    expect(receiver.received.map((hook) => `${hook.json.rule.name}:${hook.json.type}`)).toEqual([
      'snoozed:alert.resolved',
    ]);
  });
});

describe('delivery', () => {
  test('a receiver that is down gets retries with backoff, the rule shows the failure, then the delivery', async () => {
    const port = await freePort();
    const made = await makeRule({ webhook: { url: `http://127.0.0.1:${port}/down` } });
    await runAt(1 * MINUTE);
    await entriesAt([70_000, 80_000, 90_000]);
    const first = await runAt(2 * MINUTE);
    expect(first.deliveries).toEqual({ delivered: 0, retrying: 1, failed: 0 });
    expect((await rule(made.id)).delivery).toMatchObject({
      status: 'retrying',
      error: 'connection refused',
      consecutiveFailures: 1,
    });
    const [pending] = await history(made.id);
    expect(pending).toMatchObject({
      kind: 'firing',
      delivery: 'pending',
      attempts: 1,
      lastError: 'connection refused',
    });

    expect((await runAt(2 * MINUTE + 500)).deliveries).toEqual({ delivered: 0, retrying: 0, failed: 0 }); // before its backoff
    const back = await startWebhookReceiver('/down', port);
    try {
      back.answer(500);
      expect((await runAt(2 * MINUTE + 1_200)).deliveries).toEqual({ delivered: 0, retrying: 1, failed: 0 });
      expect((await rule(made.id)).delivery).toMatchObject({
        status: 'retrying',
        error: 'HTTP 500',
        consecutiveFailures: 2,
      });
      back.answer(200);
      expect((await runAt(2 * MINUTE + 5_000)).deliveries).toEqual({ delivered: 1, retrying: 0, failed: 0 });
      expect(back.received).toHaveLength(2);
      expect(new Set(back.received.map((hook) => hook.headers[DELIVERY_HEADER.toLowerCase()])).size).toBe(1);
    } finally {
      await back.close();
    }
    expect((await rule(made.id)).delivery).toMatchObject({ status: 'ok', error: null, consecutiveFailures: 0 });
    expect((await history(made.id))[0]).toMatchObject({ delivery: 'delivered', attempts: 3, lastError: null });
  });

  test('after the last attempt the notification is failed, and says why', async () => {
    const made = await makeRule();
    receiver.answer(502);
    await runAt(1 * MINUTE);
    await entriesAt([70_000, 80_000, 90_000]);
    await runAt(2 * MINUTE);
    await runAt(2 * MINUTE + 2_000);
    const last = await runAt(2 * MINUTE + 10_000);
    expect(last.deliveries).toEqual({ delivered: 0, retrying: 0, failed: 1 });
    expect(receiver.received).toHaveLength(3);
    expect((await history(made.id))[0]).toMatchObject({ delivery: 'failed', attempts: 3, lastError: 'HTTP 502' });
    expect((await rule(made.id)).delivery).toMatchObject({
      status: 'failed',
      error: 'HTTP 502',
      consecutiveFailures: 3,
    });
    expect((await runAt(2 * MINUTE + 50_000)).deliveries).toEqual({ delivered: 0, retrying: 0, failed: 0 });
  });

  test('a redirect is not followed', async () => {
    const made = await makeRule();
    receiver.answer(302, { location: 'http://169.254.169.254/latest/meta-data/' });
    await runAt(1 * MINUTE);
    await entriesAt([70_000, 80_000, 90_000]);
    await runAt(2 * MINUTE);
    expect(receiver.received).toHaveLength(1);
    expect((await rule(made.id)).delivery).toMatchObject({
      status: 'retrying',
      error: 'HTTP 302: redirects are not followed',
    });
  });

  test('a webhook whose host is no longer allowed is refused at delivery', async () => {
    const made = await makeRule();
    await runAt(1 * MINUTE);
    await entriesAt([70_000, 80_000, 90_000]);
    await runAt(2 * MINUTE, { webhook: { allowedHosts: [], timeoutMs: 5_000 } });
    expect(receiver.received).toHaveLength(0);
    expect((await rule(made.id)).delivery.error).toMatch(/^refused: 127\.0\.0\.1 is a loopback address/);
  });

  test('neither the webhook URL nor the signing secret is ever logged', async () => {
    const made = await makeRule();
    receiver.answer(500);
    await runAt(1 * MINUTE);
    await entriesAt([70_000, 80_000, 90_000]);
    await runAt(2 * MINUTE);
    expect(log.lines.length).toBeGreaterThan(0);
    const logged = JSON.stringify(log.lines);
    expect(logged).not.toContain('receiver-secret-token');
    expect(logged).not.toContain('/hooks/alerts');
    expect(logged).not.toContain(made.webhook.secret);
  });
});

describe('runs', () => {
  test('one run at a time across processes: a run that finds the lock taken skips', async () => {
    await makeRule();
    const holder = new pg.Client({ connectionString: stores.databaseUrl });
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(hashtext(current_schema() || '.platform_log_alerts'))`);
      expect(await runAt(1 * MINUTE)).toMatchObject({ status: 'skipped', windows: 0 });
    } finally {
      await holder.end();
    }
    expect(await runAt(1 * MINUTE)).toMatchObject({ status: 'completed', windows: 1 });
  });

  test('the built-in timer fires within two intervals of the crossing and resolves after', {
    timeout: 60_000,
  }, async () => {
    const made = await makeRule({ windowSeconds: 2, threshold: 2 });
    const reports: AlertRunReport[] = [];
    const stop = startAlertTimer({
      pool: stores.pool,
      intervalMs: 1_000,
      delayMs: 0,
      webhook: { allowedHosts: ['127.0.0.1'], timeoutMs: 5_000 },
      logger: log.logger,
      onReport: (report) => reports.push(report),
    });
    try {
      await vi.waitFor(() => expect(reports.length).toBeGreaterThan(0), { timeout: 20_000 });
      const loggedAt = Date.now();
      await insertEntries(
        stores.pool,
        [0, 1, 2].map(() =>
          makeEntry({ timestamp: new Date(loggedAt).toISOString(), level: 'error', message: 'payment failed again' }),
        ),
      );
      await vi.waitFor(() => expect(receiver.received.map((hook) => hook.json.type)).toContain('alert.firing'), {
        timeout: 20_000,
      });
      const firing = receiver.received.find((hook) => hook.json.type === 'alert.firing')!;
      // the window that fired ends within two intervals of the entries (the first one after them,
      // or the next when a run counted the first before the entries were committed)
      expect(Date.parse(firing.json.window.end) - loggedAt).toBeLessThanOrEqual(2_000);
      await vi.waitFor(() => expect(receiver.received.map((hook) => hook.json.type)).toContain('alert.resolved'), {
        timeout: 20_000,
      });
    } finally {
      await stop();
    }
    expect((await rule(made.id)).state).toBe('resolved');
    expect(receiver.received.map((hook) => hook.json.type)).toEqual(['alert.firing', 'alert.resolved']);
  });

  test('the Inngest function runs the alerts on its cron, beside retention', async () => {
    await makeRule();
    const fn = createAlertFunction(createRetentionInngest({ pool: stores.pool }).client, {
      pool: stores.pool,
      webhook: { allowedHosts: ['127.0.0.1'] },
    });
    expect(fn.opts.triggers).toEqual([{ cron: alertCron(60_000) }]);
    expect(alertCron(60_000)).toBe('TZ=UTC * * * * *');
    expect(alertCron(300_000)).toBe('TZ=UTC */5 * * * *');
    const { result, error } = await new InngestTestEngine({ function: fn }).execute();
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ status: 'completed', rules: 1, windows: 1 });

    vi.stubEnv('INNGEST_DEV', '1');
    const { handler } = createRetentionInngest({
      pool: stores.pool,
      more: (client) => [createAlertFunction(client, { pool: stores.pool })],
    });
    vi.unstubAllEnvs();
    const served = new Hono();
    served.on(['GET', 'PUT', 'POST'], '/api/inngest', handler);
    expect(await (await served.request('/api/inngest')).json()).toMatchObject({ function_count: 2 });
  });
});

describe('a rule that cannot be evaluated', () => {
  test('says why on the rule, keeps the others going, and recovers once changed', async () => {
    const broken = await makeRule({ name: 'broken' });
    const fine = await makeRule({ name: 'fine' });
    // as if the query language had changed since the rule was made
    await stores.pool.query(`UPDATE platform_log_alert_rules SET filters = '{"level": ["fatal"]}' WHERE id = $1`, [
      broken.id,
    ]);
    const report = await runAt(1 * MINUTE);
    expect(report).toMatchObject({ rules: 2, failed: 1, windows: 1 });
    expect((await rule(broken.id)).evaluationError).toEqual({
      error: expect.stringMatching(/^filters\.level: unknown level "fatal"/),
      at: at(MINUTE).toISOString(),
    });
    expect((await rule(fine.id)).evaluationError).toBeNull();
    expect(
      (await callAlerts(app, 'PATCH', `/${broken.id}`, PLATFORM_KEY, { filters: { level: ['error'] } })).status,
    ).toBe(200);
    expect(await runAt(2 * MINUTE)).toMatchObject({ failed: 0 });
    expect((await rule(broken.id)).evaluationError).toBeNull();
  });
});

describe('history', () => {
  test('is kept 90 days, and so are the groups an error-group rule knows', async () => {
    const made = await makeRule();
    const old = new Date(Date.now() - 91 * 86_400_000);
    await stores.pool.query(
      `INSERT INTO platform_log_alert_events (id, rule_id, dedupe_key, kind, window_end, delivery)
       VALUES (gen_random_uuid(), $1, 'old', 'firing', $2, 'delivered'), (gen_random_uuid(), $1, 'recent', 'firing', now(), 'delivered')`,
      [made.id, old],
    );
    await stores.pool.query(
      `INSERT INTO platform_log_alert_groups (rule_id, signature, first_seen, last_seen) VALUES ($1, 'gone', $2, $2), ($1, 'here', $2, now())`,
      [made.id, old],
    );
    await pruneAlertHistory(stores.pool, new Date());
    expect(
      (await stores.pool.query('SELECT dedupe_key FROM platform_log_alert_events WHERE rule_id = $1', [made.id])).rows,
    ).toEqual([{ dedupe_key: 'recent' }]);
    expect(
      (await stores.pool.query('SELECT signature FROM platform_log_alert_groups WHERE rule_id = $1', [made.id])).rows,
    ).toEqual([{ signature: 'here' }]);
  });
});

describe('window counts', () => {
  test('equal a direct count of every window, whatever the interval and window', async () => {
    const offsets = Array.from({ length: 200 }, (_, i) => (i * 7_919) % (20 * MINUTE));
    await entriesAt(offsets);
    const counted = { query: 'payment', filters: {}, tenantId: null };
    for (const [intervalMs, windowSeconds] of [
      [60_000, 60],
      [60_000, 90],
      [60_000, 300],
      [30_000, 45],
      [1_000, 7],
    ] as const) {
      const ends = Array.from({ length: 12 }, (_, i) => base + 5 * MINUTE + i * intervalMs);
      const counts = await windowCounts(stores.pool, { ...counted, windowSeconds }, ends, intervalMs, new Date());
      const expected = ends.map(
        (end) => offsets.filter((ms) => base + ms >= end - windowSeconds * 1000 && base + ms < end).length,
      );
      expect(counts).toEqual(expected);
    }
  });
});
