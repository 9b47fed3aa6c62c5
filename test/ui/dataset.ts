import { v7 as uuidv7 } from 'uuid';
import type { LogEntry, LogLevel } from '../../src/types.js';

export const TENANTS = [
  { id: 'acme-corp', slug: 'acme' },
  { id: 'globex', slug: 'globex' },
] as const;

/** A word that occurs in exactly one message of the dataset. */
export const RARE_WORD = 'reindexing';
/** One request that crosses three services. */
export const CHAIN = { requestId: 'req_7Hq2vX', traceId: 'trace_91ab44c0' };
export const PAYMENT_TIMEOUT = { errorType: 'PaymentTimeoutError', count: 9 };

const PAYMENT_STACK = [
  'PaymentTimeoutError: Payment provider timeout after 3000ms',
  '    at chargeCard (/app/src/payments/charge.ts:88:11)',
  '    at async placeOrder (/app/src/orders/place.ts:41:5)',
  '    at async handleCheckout (/app/src/routes/checkout.ts:17:3)',
].join('\n');

const TYPE_ERROR_STACK = [
  "TypeError: Cannot read properties of undefined (reading 'sku')",
  '    at renderLine (/app/src/admin/orders/table.ts:52:31)',
  '    at renderOrders (/app/src/admin/orders/table.ts:20:9)',
].join('\n');

function entry(
  minutesAgo: number,
  now: number,
  fields: Partial<LogEntry> & Pick<LogEntry, 'message' | 'service'>,
): LogEntry {
  const tenant = TENANTS[Math.round(minutesAgo * 7) % TENANTS.length];
  const at = now - Math.round(minutesAgo * 60_000);
  return {
    id: uuidv7({ msecs: at }),
    timestamp: new Date(at).toISOString(),
    level: 'info' as LogLevel,
    tenantId: tenant.id,
    tenantSlug: tenant.slug,
    userId: `user-${Math.round(minutesAgo * 13) % 40}`,
    sessionId: `sess_${Math.round(minutesAgo * 31).toString(36)}`,
    impersonatorId: null,
    requestId: `req_${Math.round(minutesAgo * 1000).toString(36)}`,
    traceId: null,
    spanId: null,
    action: null,
    file: null,
    line: null,
    function: null,
    data: null,
    errorType: null,
    errorCode: null,
    errorStack: null,
    environment: 'production',
    version: '2.14.0',
    region: 'eu-west-1',
    ...fields,
  };
}

/**
 * A realistic hour and a half of platform traffic: requests, slow queries, a recurring
 * payment timeout, a short checkout outage, a front-end bug in admin, one request traced
 * across three services.
 */
export function realisticEntries(now = Date.now()): LogEntry[] {
  const entries: LogEntry[] = [];
  for (let i = 0; i < 120; i++) {
    const minutesAgo = 85 - i * 0.7;
    const kind = i % 6;
    if (kind === 0)
      entries.push(
        entry(minutesAgo, now, {
          service: 'storefront',
          action: 'http.request',
          message: `GET /api/products?page=${i % 5} 200 in ${20 + (i % 37)}ms`,
          data: { status: 200, durationMs: 20 + (i % 37) },
        }),
      );
    else if (kind === 1)
      entries.push(
        entry(minutesAgo, now, {
          service: 'orchestrator',
          action: 'order.place',
          message: `Order ord_${(8000 + i).toString(16)} placed with 3 items`,
          data: { orderId: `ord_${(8000 + i).toString(16)}`, items: 3, totalCents: 4200 + i },
        }),
      );
    else if (kind === 2)
      entries.push(
        entry(minutesAgo, now, {
          service: 'creator-portal',
          level: 'debug',
          message: `Draft autosaved for product prd_${i}`,
          file: 'src/editor/autosave.ts',
          line: 61,
          function: 'autosave',
        }),
      );
    else if (kind === 3)
      entries.push(
        entry(minutesAgo, now, {
          service: 'mcp-server',
          message: `Tool call catalog.search answered in ${80 + i}ms`,
          data: { tool: 'catalog.search', results: i % 12 },
        }),
      );
    else if (kind === 4)
      entries.push(
        entry(minutesAgo, now, {
          service: 'inngest',
          message: `Function sync-inventory completed run ${i}`,
          tenantId: '_platform',
          tenantSlug: null,
          userId: null,
        }),
      );
    else
      entries.push(
        entry(minutesAgo, now, {
          service: 'admin',
          level: 'warn',
          message: `Slow query on orders: ${900 + i * 11}ms`,
          data: { table: 'orders', durationMs: 900 + i * 11 },
        }),
      );
  }
  for (let i = 0; i < PAYMENT_TIMEOUT.count; i++) {
    entries.push(
      entry(70 - i * 7.5, now, {
        service: 'storefront',
        level: 'error',
        action: 'checkout.pay',
        message: `Payment provider timeout after 3000ms for order ord_${(9100 + i).toString(16)}`,
        errorType: PAYMENT_TIMEOUT.errorType,
        errorCode: 'ETIMEDOUT',
        errorStack: PAYMENT_STACK,
        file: 'src/payments/charge.ts',
        line: 88,
        function: 'chargeCard',
        data: { provider: 'stripe', attempt: 1 + (i % 3) },
      }),
    );
  }
  for (let i = 0; i < 4; i++) {
    entries.push(
      entry(50 - i * 11, now, {
        service: 'admin',
        level: 'error',
        message: "Cannot read properties of undefined (reading 'sku')",
        errorType: 'TypeError',
        errorStack: TYPE_ERROR_STACK,
      }),
    );
  }
  // a short outage of the payment page: a burst of slow, failing requests
  for (let i = 0; i < 25; i++) {
    entries.push(
      entry(21 - i * 0.07, now, {
        service: 'storefront',
        level: 'warn',
        action: 'http.request',
        message: `POST /api/checkout 503 in ${2900 + i * 13}ms`,
        data: { status: 503, durationMs: 2900 + i * 13 },
      }),
    );
  }
  entries.push(
    entry(33, now, {
      service: 'admin',
      message: `Search index ${RARE_WORD} finished for catalog in 14s`,
      tenantId: '_platform',
      tenantSlug: null,
    }),
  );
  const chain = { ...CHAIN, tenantId: 'acme-corp', tenantSlug: 'acme', userId: 'user-7', sessionId: 'sess_q81' };
  entries.push(
    entry(5.2, now, {
      ...chain,
      service: 'storefront',
      action: 'checkout.start',
      spanId: 'span-1',
      message: 'Checkout started for cart crt_55',
      data: { cartId: 'crt_55', items: 2 },
    }),
  );
  entries.push(
    entry(5.1, now, {
      ...chain,
      service: 'orchestrator',
      action: 'order.place',
      spanId: 'span-2',
      message: 'Order ord_a1b2 placed with 2 items',
      data: { orderId: 'ord_a1b2' },
    }),
  );
  entries.push(
    entry(5.0, now, {
      ...chain,
      service: 'webhook-handler',
      action: 'webhook.deliver',
      spanId: 'span-3',
      message: 'Webhook order.created delivered to https://hooks.acme.example/orders in 212ms',
      data: { endpoint: 'https://hooks.acme.example/orders', status: 204 },
    }),
  );
  return entries.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
}

/** Line `n` of the live tail: every fourth a warning, the tenants taking turns. */
export function liveLine(n: number, word: string) {
  const tenant = TENANTS[n % TENANTS.length];
  return {
    level: n % 4 === 3 ? ('warn' as const) : ('info' as const),
    tenantId: tenant.id,
    tenantSlug: tenant.slug,
    message: `${word} tick ${n} for ${tenant.slug}`,
    data: { n },
  };
}

export function liveEntry(n: number, word: string): LogEntry {
  return entry(0, Date.now(), { service: 'storefront', ...liveLine(n, word) });
}
