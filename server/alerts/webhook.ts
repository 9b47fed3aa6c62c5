import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { WebhookFormat } from './api-types.js';
import {
  WebhookAddressError,
  parseWebhookUrl,
  resolveWebhookTarget,
  type AddressPolicy,
  type WebhookTarget,
} from './address-guard.js';

export const SIGNATURE_HEADER = 'X-Platform-Logs-Signature';
export const DELIVERY_HEADER = 'X-Platform-Logs-Delivery';
export const EVENT_HEADER = 'X-Platform-Logs-Event';

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>`: the receiver
 * recomputes it over the raw body and refuses a timestamp too old (replays).
 */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** The receiver's check (as docs/api.md describes it): true when the header signs the body and is at most `toleranceSeconds` old. */
export function verifySignature(
  secret: string,
  body: string,
  header: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const parts = new Map(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}

export interface WebhookPolicy extends AddressPolicy {
  /** One attempt's limit, connection to the last byte of the answer's head. */
  timeoutMs: number;
}

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

export interface Delivery {
  url: string;
  format: WebhookFormat;
  secret: string;
  /** The event's id: the same on every attempt, so a receiver can drop a repeat. */
  id: string;
  eventType: string;
  body: string;
}

export type DeliveryResult = { ok: true; status: number } | { ok: false; status: number | null; error: string };

/** What went wrong, in words that never hold the URL (its path or query may be a credential). */
function describeFailure(error: unknown): string {
  if (error instanceof WebhookAddressError) return `refused: ${error.message}`;
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ETIMEDOUT':
    case 'TIMEOUT':
      return 'timed out';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return 'TLS handshake failed';
    default:
      if (typeof code === 'string' && /CERT|SSL|TLS/.test(code)) return `TLS certificate refused (${code})`;
      return typeof code === 'string' ? `request failed (${code})` : 'request failed';
  }
}

/**
 * Sends one signed POST. The host is resolved and checked first (address-guard.ts), then the
 * connection goes to the address checked, whatever the name resolves to by then; https still
 * verifies the certificate for the host name. Redirects are not followed: a 3xx is a failure.
 */
export async function deliverWebhook(
  delivery: Delivery,
  policy: WebhookPolicy,
  now: () => number = Date.now,
): Promise<DeliveryResult> {
  let target: WebhookTarget;
  try {
    target = await resolveWebhookTarget(parseWebhookUrl(delivery.url), policy);
  } catch (error) {
    return { ok: false, status: null, error: describeFailure(error) };
  }
  const { url, address } = target;
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all)
      (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [address]);
    else callback(null, address.address, address.family);
  };
  const headers = {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(delivery.body)),
    'User-Agent': 'platform-logs-alerts/1',
    [SIGNATURE_HEADER]: signatureHeader(delivery.secret, delivery.body, Math.floor(now() / 1000)),
    [DELIVERY_HEADER]: delivery.id,
    [EVENT_HEADER]: delivery.eventType,
  };
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<DeliveryResult>((resolve) => {
    let settled = false;
    const finish = (result: DeliveryResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const request = transport.request(
      {
        protocol: url.protocol,
        hostname: target.hostname,
        port: target.port,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers,
        auth: url.username ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined,
        lookup: pinned,
        agent: false,
        servername: transport === https && isIP(target.hostname) === 0 ? target.hostname : undefined,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        response.resume(); // the answer's body is not needed
        response.once('error', () => {});
        if (status >= 200 && status < 300) finish({ ok: true, status });
        else if (status >= 300 && status < 400)
          finish({ ok: false, status, error: `HTTP ${status}: redirects are not followed` });
        else finish({ ok: false, status, error: `HTTP ${status}` });
        response.destroy();
      },
    );
    const timer = setTimeout(() => {
      request.destroy();
      finish({ ok: false, status: null, error: `timed out after ${policy.timeoutMs} ms` });
    }, policy.timeoutMs);
    request.once('error', (error) => finish({ ok: false, status: null, error: describeFailure(error) }));
    request.end(delivery.body);
  });
}
