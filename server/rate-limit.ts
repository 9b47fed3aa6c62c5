import { getConnInfo } from '@hono/node-server/conninfo';
import ipaddr from 'ipaddr.js';
import type { Context, MiddlewareHandler } from 'hono';
import type { AuthEnv } from './auth.js';
import type { RedisClient } from './stores.js';

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
  take(name: string): Take | Promise<Take>;
}

export interface LocalRateLimiter extends RateLimiter {
  take(name: string): Take;
  /** The buckets held, for tests. */
  size(): number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

const DEFAULT_MAX_BUCKETS = 10_000;

/**
 * Token buckets by name, in memory (per server process). Keys' buckets (`key:…`) are as few as
 * the configured keys and are never forgotten; the others (addresses) are kept up to
 * `maxBuckets`, the least recently used forgotten first, so that a flood of addresses can
 * neither grow memory nor reset a key's bucket.
 */
export function createRateLimiter({
  perMinute,
  maxBuckets = DEFAULT_MAX_BUCKETS,
  now = Date.now,
}: RateLimitOptions): LocalRateLimiter {
  const keys = new Map<string, Bucket>();
  const others = new Map<string, Bucket>();
  const refillPerMs = perMinute / 60_000;
  return {
    take(name) {
      const at = now();
      const buckets = name.startsWith('key:') ? keys : others;
      const bucket = buckets.get(name) ?? { tokens: perMinute, updatedAt: at };
      bucket.tokens = Math.min(perMinute, bucket.tokens + (at - bucket.updatedAt) * refillPerMs);
      bucket.updatedAt = at;
      // re-inserted, so the map's order is the order of last use
      buckets.delete(name);
      buckets.set(name, bucket);
      if (others.size > maxBuckets) others.delete(others.keys().next().value!);
      if (bucket.tokens < 1)
        return { ok: false, retryAfterSeconds: Math.ceil((1 - bucket.tokens) / refillPerMs / 1000) };
      bucket.tokens -= 1;
      return { ok: true };
    },
    size: () => keys.size + others.size,
  };
}

// One bucket, refilled by Redis's own clock so that every server counts alike; it expires once full again.
const TAKE_SCRIPT = `
local capacity = tonumber(ARGV[1])
local per_ms = capacity / 60000
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * per_ms)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / per_ms))
return { allowed, tostring(math.ceil((1 - tokens) / per_ms / 1000)) }`;

/**
 * Token buckets in Redis, shared by every server on it. While Redis cannot answer, requests
 * are counted by `fallback`, this process's buckets, rather than refused or let through unlimited.
 */
export function createRedisRateLimiter(
  redis: RedisClient,
  options: { perMinute: number; keyPrefix: string; fallback: RateLimiter },
): RateLimiter {
  return {
    async take(name) {
      try {
        const [allowed, retryAfter] = (await redis.eval(TAKE_SCRIPT, {
          keys: [`${options.keyPrefix}ratelimit:${name}`],
          arguments: [String(options.perMinute)],
        })) as [number, string];
        return allowed === 1 ? { ok: true } : { ok: false, retryAfterSeconds: Math.max(1, Number(retryAfter)) };
      } catch {
        return options.fallback.take(name);
      }
    },
  };
}

/**
 * The client's address as the socket says (proxies' headers are not trusted); 'unknown' in
 * process. IPv6 addresses count by their /64, which one host can fill with addresses at will.
 */
function clientAddress(c: Context): string {
  let address: string | undefined;
  try {
    address = getConnInfo(c).remote.address;
  } catch {
    return 'unknown';
  }
  if (!address || !ipaddr.isValid(address)) return address ?? 'unknown';
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const prefix = (parsed as ipaddr.IPv6).parts.slice(0, 4);
  return `${ipaddr.IPv6.parse(`${prefix.map((part) => part.toString(16)).join(':')}::`).toString()}/64`;
}

/**
 * Goes after `auth.identify`: a request with a valid key counts against its key, however the
 * Authorization header is spelled; any other against its client address. Answers 429 with
 * Retry-After when the bucket is empty.
 */
export function rateLimit(limiter: RateLimiter, perMinute: number): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const keyId = c.get('keyId');
    const taken = await limiter.take(keyId !== undefined ? `key:${keyId}` : `address:${clientAddress(c)}`);
    if (!taken.ok) {
      return c.json(
        { error: `rate limit of ${perMinute} requests per minute exceeded; retry in ${taken.retryAfterSeconds} s` },
        429,
        {
          'Retry-After': String(taken.retryAfterSeconds),
        },
      );
    }
    await next();
  };
}
