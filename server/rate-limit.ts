import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import type { AuthEnv } from './auth.js';

export interface RateLimitOptions {
  /** Requests allowed per minute per bucket, refilled continuously; also the burst size. */
  perMinute: number;
  /** Buckets kept at most; past it the least recently used is forgotten, so memory stays bounded. */
  maxBuckets?: number;
  now?: () => number;
}

export type Take = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface RateLimiter {
  /** Takes one request from the named bucket. */
  take(name: string): Take;
  /** The buckets held, for tests. */
  size(): number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

const DEFAULT_MAX_BUCKETS = 10_000;

/** Token buckets by name, in memory (per server process). */
export function createRateLimiter({ perMinute, maxBuckets = DEFAULT_MAX_BUCKETS, now = Date.now }: RateLimitOptions): RateLimiter {
  const buckets = new Map<string, Bucket>();
  const refillPerMs = perMinute / 60_000;
  return {
    take(name) {
      const at = now();
      const bucket = buckets.get(name) ?? { tokens: perMinute, updatedAt: at };
      bucket.tokens = Math.min(perMinute, bucket.tokens + (at - bucket.updatedAt) * refillPerMs);
      bucket.updatedAt = at;
      // re-inserted, so the map's order is the order of last use
      buckets.delete(name);
      buckets.set(name, bucket);
      if (buckets.size > maxBuckets) buckets.delete(buckets.keys().next().value!);
      if (bucket.tokens < 1) return { ok: false, retryAfterSeconds: Math.ceil((1 - bucket.tokens) / refillPerMs / 1000) };
      bucket.tokens -= 1;
      return { ok: true };
    },
    size: () => buckets.size,
  };
}

/** The client's address as the socket says (proxies' headers are not trusted); 'unknown' in process. */
function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Goes after `auth.identify`: a request with a valid key counts against its key, however the
 * Authorization header is spelled; any other against its client address. Answers 429 with
 * Retry-After when the bucket is empty.
 */
export function rateLimit(limiter: RateLimiter, perMinute: number): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const keyId = c.get('keyId');
    const taken = limiter.take(keyId !== undefined ? `key:${keyId}` : `address:${clientAddress(c)}`);
    if (!taken.ok) {
      return c.json({ error: `rate limit of ${perMinute} requests per minute exceeded; retry in ${taken.retryAfterSeconds} s` }, 429, {
        'Retry-After': String(taken.retryAfterSeconds),
      });
    }
    await next();
  };
}
