import { randomBytes, randomInt } from 'node:crypto';
import { createLogger } from '../../src/factory.js';
import type { PlatformLogger } from '../../src/logger.js';
import { uuidv7 } from '../../src/id.js';
import type { PlatformTransportOptions } from '../../src/transport-targets.js';
import { SERVICE_NAMES, type ServiceName } from '../../src/types.js';

const TENANTS = [
  { id: 'tnt_01HACME', slug: 'acme-outfitters' },
  { id: 'tnt_01HBLUE', slug: 'bluebird-books' },
  { id: 'tnt_01HCORA', slug: 'coral-studio' },
  { id: 'tnt_01HDUNE', slug: 'dune-coffee' },
  { id: 'tnt_01HEMBR', slug: 'ember-games' },
  { id: 'tnt_01HFERN', slug: 'fern-and-co' },
];
const FIRST_NAMES = ['ana', 'ben', 'chloe', 'dev', 'eli', 'farah', 'gus', 'hana', 'ivan', 'jo'];

const pick = <T>(items: readonly T[]): T => items[randomInt(items.length)];
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

interface Visit {
  tenant: (typeof TENANTS)[number];
  userId: string;
  email: string;
}

/** What each service says during a normal request: an action and its messages with data. */
const HAPPY_PATHS: Record<ServiceName, ((visit: Visit) => [string, string, Record<string, unknown>])[]> = {
  storefront: [
    () => ['cart.add', 'item added to cart', { sku: `SKU-${randomInt(1000, 9999)}`, quantity: randomInt(1, 4) }],
    () => [
      'checkout.start',
      'checkout started',
      { items: randomInt(1, 6), totalCents: randomInt(500, 50_000), currency: 'EUR' },
    ],
    () => ['page.view', 'product page rendered', { productId: `prod_${hex(4)}`, cacheHit: Math.random() < 0.8 }],
  ],
  'creator-portal': [
    () => ['product.update', 'product updated', { productId: `prod_${hex(4)}`, fields: ['title', 'price'] }],
    () => ['payout.view', 'payout summary loaded', { payouts: randomInt(0, 30) }],
  ],
  orchestrator: [
    () => [
      'workflow.step',
      'workflow step completed',
      { workflow: pick(['order-fulfilment', 'refund', 'onboarding']), step: randomInt(1, 8) },
    ],
    () => [
      'queue.dispatch',
      'job dispatched',
      { queue: pick(['emails', 'exports', 'thumbnails']), delayMs: randomInt(0, 500) },
    ],
  ],
  admin: [() => ['tenant.settings', 'tenant settings changed', { setting: pick(['currency', 'locale', 'tax']) }]],
  'mcp-server': [
    () => [
      'tool.call',
      'tool call answered',
      { tool: pick(['search_products', 'get_order', 'list_customers']), tokens: randomInt(50, 4000) },
    ],
  ],
  inngest: [
    () => [
      'function.run',
      'function run finished',
      { fn: pick(['send-receipt', 'sync-inventory', 'daily-digest']), attempt: 1 },
    ],
  ],
  'webhook-handler': [
    () => [
      'webhook.receive',
      'webhook received',
      { provider: pick(['stripe', 'shopify', 'paypal']), event: pick(['charge.succeeded', 'order.created']) },
    ],
  ],
};

class QueryTimeoutError extends Error {
  override name = 'QueryTimeoutError';
  code = 'DB_TIMEOUT';
}
class ProviderError extends Error {
  override name = 'ProviderError';
  code = 'PAYMENT_502';
}
class ValidationError extends Error {
  override name = 'ValidationError';
  code = 'INVALID_EMAIL';
}

function readPrice(product: { price?: { amount: number } }): number {
  return product.price!.amount; // the recurring TypeError: always thrown here
}

/** The recurring failures, each with varying details, so that they group by signature. */
const FAILURES: ((log: PlatformLogger, visit: Visit) => void)[] = [
  (log) => {
    const ms = randomInt(5000, 30_000);
    log.error(
      `database query timed out after ${ms} ms`,
      new QueryTimeoutError(`query on orders ${uuidv7()} timed out after ${ms} ms`),
      {
        table: 'orders',
      },
    );
  },
  (log) => {
    const url = `https://api.payments.example.com/v1/charges/ch_${hex(6)}`;
    log.error(`payment provider returned 502 for ${url}`, new ProviderError(`502 Bad Gateway from ${url}`), {
      attempt: randomInt(1, 4),
    });
  },
  (log, visit) =>
    log.warn(`validation failed: email "${visit.email}" is not valid`, {
      field: 'email',
      error: new ValidationError('invalid email'),
    }),
  (log) => {
    try {
      readPrice({});
    } catch (error) {
      log.error('could not price the cart', error, { cartId: `cart_${hex(4)}` });
    }
  },
];

export interface Traffic {
  stop(): Promise<void>;
}

/**
 * Simulated traffic from all seven services across six tenants: requests with request and
 * trace ids, users, realistic messages and data, and recurring errors. About `perSecond`
 * entries a second with bursts, written through the platform transports, until stopped.
 */
export function startTraffic(options: { transports: PlatformTransportOptions; perSecond?: number }): Traffic {
  const perSecond = options.perSecond ?? 20;
  const loggers = Object.fromEntries(
    SERVICE_NAMES.map((service) => [
      service,
      createLogger({ service, transports: options.transports, config: { console: 'off' } }),
    ]),
  ) as Record<ServiceName, PlatformLogger>;

  const visit = (): void => {
    const tenant = pick(TENANTS);
    const name = pick(FIRST_NAMES);
    const v: Visit = {
      tenant,
      userId: `usr_${name}_${tenant.slug.slice(0, 3)}`,
      email: `${name}.${randomInt(100)}@${tenant.slug}.example`,
    };
    const service = pick(SERVICE_NAMES);
    const log = loggers[service].child({
      tenantId: tenant.id,
      tenantSlug: tenant.slug,
      userId: v.userId,
      sessionId: `sess_${hex(6)}`,
      requestId: uuidv7(),
      traceId: hex(16),
      spanId: hex(8),
    });
    const steps = randomInt(1, 4);
    for (let i = 0; i < steps; i++) {
      const [action, message, data] = pick(HAPPY_PATHS[service])(v);
      const child = log.child({ action });
      if (Math.random() < 0.3) child.debug(`${message} (details)`, { ...data, step: i });
      else child.info(message, data);
    }
    if (Math.random() < 0.12) pick(FAILURES)(log.child({ action: 'request.failed' }), v);
  };

  let inBurst = 0;
  const tick = setInterval(() => {
    if (inBurst === 0 && Math.random() < 0.01) inBurst = 10; // a burst: about ten times the rate for a second
    const visits = (perSecond / 2.5 / 10) * (inBurst > 0 ? 10 : 1);
    if (inBurst > 0) inBurst -= 1;
    for (let n = visits; n > 0; n--) if (n >= 1 || Math.random() < n) visit();
  }, 100);

  return {
    async stop() {
      clearInterval(tick);
      await Promise.all(Object.values(loggers).map((logger) => logger.close()));
    },
  };
}
