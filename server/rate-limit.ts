import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';

export interface RateLimitOptions {
  /** Requests allowed per minute per key, refilled continuously; also the burst size. */
  perMinute: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * A token bucket per API key, in memory (per server process). Goes after `requireKey`, so
 * only valid keys get a bucket and the map stays as small as the key list. Keys are held as
 * digests, never in clear.
 */
export function rateLimit({ perMinute, now = Date.now }: RateLimitOptions): MiddlewareHandler {
  const buckets = new Map<string, Bucket>();
  const refillPerMs = perMinute / 60_000;

  return async (c, next) => {
    const id = createHash('sha256').update(c.req.header('authorization') ?? '').digest('base64');
    const at = now();
    const bucket = buckets.get(id) ?? { tokens: perMinute, updatedAt: at };
    bucket.tokens = Math.min(perMinute, bucket.tokens + (at - bucket.updatedAt) * refillPerMs);
    bucket.updatedAt = at;
    buckets.set(id, bucket);
    if (bucket.tokens < 1) {
      const retryAfterSeconds = Math.ceil((1 - bucket.tokens) / refillPerMs / 1000);
      return c.json({ error: `rate limit of ${perMinute} requests per minute exceeded; retry in ${retryAfterSeconds} s` }, 429, {
        'Retry-After': String(retryAfterSeconds),
      });
    }
    bucket.tokens -= 1;
    await next();
  };
}
