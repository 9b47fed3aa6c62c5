import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RedisClient } from './stores.js';

/**
 * Stream tickets that any server sharing the secret can check, each usable once across all of
 * them: `<payload>.<HMAC-SHA256 of it>`, the payload naming the key (its id), the expiry and a
 * nonce that the ledger lets through once.
 */
export interface TicketClaims {
  keyId: string;
  expiresAt: number;
  nonce: string;
}

/** Where used tickets are remembered, until they would have expired anyway. */
export interface TicketLedger {
  /** True the first time a nonce is consumed. */
  consume(nonce: string, ttlMs: number): Promise<boolean>;
}

function mac(secret: Buffer, payload: string): Buffer {
  return createHmac('sha256', secret).update(`ticket\0${payload}`).digest();
}

export function signTicket(secret: Buffer, keyId: string, expiresAt: number): string {
  const payload = Buffer.from(
    JSON.stringify({ k: keyId, e: expiresAt, n: randomBytes(16).toString('base64url') }),
  ).toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** The claims of a ticket this secret signed, or null (forged, altered, malformed). */
export function openTicket(secret: Buffer, ticket: string): TicketClaims | null {
  const [payload, signature, ...rest] = ticket.split('.');
  if (!payload || !signature || rest.length > 0 || payload.length > 200) return null;
  const expected = mac(secret, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { k: string; e: number; n: string };
  return { keyId: claims.k, expiresAt: claims.e, nonce: claims.n };
}

/** Used tickets in this process's memory: enough for one server. */
export function memoryTicketLedger(now: () => number = Date.now): TicketLedger {
  const used = new Map<string, number>();
  return {
    async consume(nonce, ttlMs) {
      const at = now();
      for (const [seen, until] of used) if (until <= at) used.delete(seen);
      if (used.has(nonce)) return false;
      used.set(nonce, at + ttlMs);
      return true;
    },
  };
}

/** Used tickets in Redis, shared by every server on it; a ticket is refused while Redis cannot say. */
export function redisTicketLedger(redis: RedisClient, keyPrefix: string): TicketLedger {
  return {
    async consume(nonce, ttlMs) {
      try {
        return (await redis.set(`${keyPrefix}ticket:${nonce}`, '1', { NX: true, PX: ttlMs })) === 'OK';
      } catch {
        return false;
      }
    },
  };
}
