import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { forbiddenAddressKind, parseAllowedHosts, type HostResolver } from '../server/alerts/address-guard.js';
import { genericPayload, slackPayload } from '../server/alerts/payloads.js';
import { checkWebhookUrl } from '../server/alerts/rules.js';
import type { EventRow, RuleRow } from '../server/alerts/store.js';
import {
  SIGNATURE_HEADER,
  deliverWebhook,
  signatureHeader,
  verifySignature,
  type Delivery,
} from '../server/alerts/webhook.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver('/hook');
});
afterAll(async () => receiver?.close());

const delivery = (url: string, overrides: Partial<Delivery> = {}): Delivery => ({
  url,
  format: 'json',
  secret: 'whsec_test_secret_0123456789',
  id: '0190a000-0000-7000-8000-000000000001',
  eventType: 'alert.firing',
  body: '{"hello":"world"}',
  ...overrides,
});

describe('forbidden addresses', () => {
  test.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.10', 'private'],
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['100.64.0.1', 'carrier-NAT'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fd00::1', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:10.1.2.3', 'private'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:7f00:1::', 'loopback'],
    ['ff02::1', 'multicast'],
  ])('%s is %s', (address, kind) => {
    expect(forbiddenAddressKind(address)).toBe(kind);
  });

  test.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    '%s may receive',
    (address) => {
      expect(forbiddenAddressKind(address)).toBeNull();
    },
  );

  test('the allow-list is host names, lower-cased, brackets off', () => {
    expect(parseAllowedHosts(' Hooks.Internal , 127.0.0.1,[::1],, ')).toEqual(['hooks.internal', '127.0.0.1', '::1']);
    expect(parseAllowedHosts(undefined)).toEqual([]);
  });
});

describe('delivery', () => {
  test('connects to the address checked, not to what the name resolves to later (DNS rebinding)', async () => {
    let lookups = 0;
    const rebinding: HostResolver = async () => {
      lookups += 1;
      return [{ address: lookups === 1 ? '93.184.216.34' : '127.0.0.1', family: 4 }];
    };
    const policy = { allowedHosts: [], resolve: rebinding, timeoutMs: 2_000 };
    const url = `http://rebind.example.com:${receiver.port}/hook`;
    // at creation the name resolves to a public address and passes; at delivery it resolves to
    // loopback and is refused before any connection is made
    await expect(checkWebhookUrl(url, policy)).resolves.toBeInstanceOf(URL);
    const refused = await deliverWebhook(delivery(url), policy);
    expect(refused).toEqual({
      ok: false,
      status: null,
      error: expect.stringMatching(
        /^refused: its host rebind\.example\.com resolves to 127\.0\.0\.1, a loopback address/,
      ),
    });
    expect(receiver.received).toHaveLength(0);

    // the name is resolved once, by the policy, and the connection goes to that address: a name
    // the system cannot resolve reaches the receiver through the address the policy gave
    const pinned: HostResolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const sent = await deliverWebhook(delivery(`http://receiver.invalid:${receiver.port}/hook`), {
      allowedHosts: ['receiver.invalid'],
      resolve: pinned,
      timeoutMs: 2_000,
    });
    expect(sent).toEqual({ ok: true, status: 200 });
    expect(receiver.received.at(-1)?.headers.host).toBe(`receiver.invalid:${receiver.port}`);
  });

  test('signs the body: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">, which a receiver checks as documented', async () => {
    const before = receiver.received.length;
    const result = await deliverWebhook(
      delivery(`http://127.0.0.1:${receiver.port}/hook`),
      { allowedHosts: ['127.0.0.1'], timeoutMs: 2_000 },
      () => 1_700_000_000_000,
    );
    expect(result.ok).toBe(true);
    const hook = receiver.received[before];
    expect(hook.body).toBe('{"hello":"world"}');
    expect(hook.headers['content-type']).toBe('application/json');
    expect(hook.headers['x-platform-logs-event']).toBe('alert.firing');
    expect(hook.headers['x-platform-logs-delivery']).toBe('0190a000-0000-7000-8000-000000000001');
    const header = hook.headers[SIGNATURE_HEADER.toLowerCase()] as string;
    // the receiver's side, as docs/api.md gives it
    const [t, v1] = header.split(',').map((part) => part.split('=')[1]);
    expect(t).toBe('1700000000');
    expect(v1).toBe(createHmac('sha256', 'whsec_test_secret_0123456789').update(`${t}.${hook.body}`).digest('hex'));
    expect(header).toBe(signatureHeader('whsec_test_secret_0123456789', hook.body, 1_700_000_000));
    expect(verifySignature('whsec_test_secret_0123456789', hook.body, header, 1_700_000_100)).toBe(true);
    expect(verifySignature('whsec_test_secret_0123456789', hook.body, header, 1_700_000_400)).toBe(false); // too old: a replay
    expect(verifySignature('whsec_test_secret_0123456789', hook.body, 't=1700000000,v1=zz', 1_700_000_000)).toBe(false);
  });

  test('gives up on a receiver that does not answer in time', async () => {
    const silent = createServer(() => {}); // takes the request, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const result = await deliverWebhook(delivery(`http://127.0.0.1:${port}/hook`), {
        allowedHosts: ['127.0.0.1'],
        timeoutMs: 300,
      });
      expect(result).toEqual({ ok: false, status: null, error: 'timed out after 300 ms' });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  test('says what failed without the URL', async () => {
    const result = await deliverWebhook(delivery('http://127.0.0.1:1/hook?token=very-secret'), {
      allowedHosts: ['127.0.0.1'],
      timeoutMs: 2_000,
    });
    expect(result).toEqual({ ok: false, status: null, error: 'connection refused' });
  });
});

describe('payloads', () => {
  const rule = {
    id: '0190a000-0000-7000-8000-0000000000aa',
    tenant_id: 'tenant-a',
    name: 'Checkout <errors> & more',
    kind: 'count',
    query: 'payment failed',
    filters: { level: ['error'] },
    window_seconds: 300,
    condition: 'above',
    threshold: 10,
    quiet_seconds: null,
    webhook_format: 'slack',
    state: 'firing',
  } as unknown as RuleRow;
  const event = {
    id: '0190a000-0000-7000-8000-0000000000bb',
    kind: 'firing',
    window_start: new Date('2024-05-01T12:00:00Z'),
    window_end: new Date('2024-05-01T12:05:00Z'),
    value: 42,
    signature: null,
    details: {},
  } as unknown as EventRow;

  test('generic JSON carries the event id, the rule, the window and the count', () => {
    expect(genericPayload(rule, event, new Date('2024-05-01T12:05:10Z'))).toEqual({
      id: event.id,
      type: 'alert.firing',
      sentAt: '2024-05-01T12:05:10.000Z',
      rule: {
        id: rule.id,
        name: rule.name,
        kind: 'count',
        tenantId: 'tenant-a',
        query: 'payment failed',
        filters: { level: ['error'] },
        windowSeconds: 300,
        condition: 'above',
        threshold: 10,
        quietSeconds: null,
      },
      state: 'firing',
      window: { start: '2024-05-01T12:00:00.000Z', end: '2024-05-01T12:05:00.000Z' },
      value: 42,
      group: null,
      test: false,
    });
  });

  test("Slack's: text and blocks, escaped", () => {
    const slack = slackPayload(rule, event);
    expect(slack.text).toBe(
      ':rotating_light: Firing: Checkout &lt;errors&gt; &amp; more: 42 entries in 5 min, above the threshold of 10',
    );
    expect(slack.blocks[0]).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: '*:rotating_light: Firing: Checkout &lt;errors&gt; &amp; more*\n42 entries in 5 min, above the threshold of 10',
      },
    });
    expect(JSON.stringify(slack.blocks[1])).toContain('tenant tenant-a');
  });
});
