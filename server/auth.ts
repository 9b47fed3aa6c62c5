import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { Principal } from '../src/api-types.js';
import type { Environment } from '../src/types.js';
import type { QueryParams } from './http/params.js';
import { memoryTicketLedger, openTicket, signTicket, type TicketLedger } from './tickets.js';

export interface ApiKey {
  key: string;
  principal: Principal;
}

/** Who a valid key or ticket speaks for, and which key it is (an id made from the key's digest, never the key). */
export interface Credential {
  principal: Principal;
  keyId: string;
}

/**
 * Hono environment of the API's routes: `c.get('principal')` and `c.get('keyId')` once a key
 * or ticket was valid, `c.get('params')` once queryParams checked the query string.
 */
export interface AuthEnv {
  Variables: { principal: Principal; keyId: string; params: QueryParams };
}

export interface Ticket {
  ticket: string;
  expiresAt: string;
}

export const TICKET_TTL_MS = 30_000;

export class ApiKeyConfigError extends Error {
  override name = 'ApiKeyConfigError';
}

/** Parses `LOG_API_KEYS`: comma-separated `<key>:platform` or `<key>:tenant:<tenantId>`. */
export function parseApiKeys(value: string): ApiKey[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item, index) => {
      const [key, scope, tenantId, ...rest] = item.split(':');
      const where = `LOG_API_KEYS entry ${index + 1}`;
      if (!key || key.length < 16) throw new ApiKeyConfigError(`${where}: the key must be at least 16 characters`);
      if (scope === 'platform' && tenantId === undefined) return { key, principal: { scope: 'platform' } };
      if (scope === 'tenant' && tenantId && rest.length === 0) return { key, principal: { scope: 'tenant', tenantId } };
      throw new ApiKeyConfigError(`${where}: expected <key>:platform or <key>:tenant:<tenantId>`);
    });
}

export interface LoadedApiKeys {
  keys: ApiKey[];
  /** Set when no keys were configured in development and one was made for this run. */
  generatedKey?: string;
}

/**
 * The keys from `LOG_API_KEYS`. With none in development, a platform key is made for this
 * run (the caller prints it); anywhere else, no keys is a configuration error.
 */
export function loadApiKeys(value: string | undefined, environment: Environment): LoadedApiKeys {
  const keys = parseApiKeys(value ?? '');
  if (keys.length > 0) return { keys };
  if (environment !== 'development') {
    throw new ApiKeyConfigError(
      `LOG_API_KEYS is empty: set it to comma-separated <key>:platform or <key>:tenant:<tenantId> entries (a development key is made only when NODE_ENV is development).`,
    );
  }
  const generatedKey = `dev_${randomBytes(24).toString('base64url')}`;
  return { keys: [{ key: generatedKey, principal: { scope: 'platform' } }], generatedKey };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The key in an `Authorization: Bearer <key>` header value, or null. */
function bearerKey(header: string | null | undefined): string | null {
  const match = header?.match(/^Bearer[ \t]+(\S+)[ \t]*$/i);
  return match ? match[1] : null;
}

export interface Auth {
  /** The credential of an `Authorization` header value (any spelling of Bearer), or null when it holds no valid key. */
  resolveKey(header: string | null | undefined): Credential | null;
  /** A single-use ticket for the credential, valid for 30 seconds. */
  issueTicket(credential: Credential): Ticket;
  /** The credential a ticket was issued for; null when forged, used, expired or its key is gone. */
  redeemTicket(ticket: string | null | undefined): Promise<Credential | null>;
  /** Hono middleware: sets `principal` and `keyId` when the request holds a valid key; never refuses. */
  identify: MiddlewareHandler<AuthEnv>;
  /** Hono middleware, after `identify`: 401 unless it found a valid key. */
  requireKey: MiddlewareHandler<AuthEnv>;
}

export function setCredential(c: Context<AuthEnv>, credential: Credential): void {
  c.set('principal', credential.principal);
  c.set('keyId', credential.keyId);
}

export function unauthorized(c: Context): Response {
  return c.json({ error: 'a valid key is required: Authorization: Bearer <key>' }, 401, {
    'WWW-Authenticate': 'Bearer',
  });
}

export interface AuthOptions {
  /** What tickets are signed with; every server that should take another's tickets needs the same. Default: random. */
  secret?: Buffer;
  /** Where used tickets are remembered; several servers share one in Redis. Default: this process's memory. */
  tickets?: TicketLedger;
  now?: () => number;
}

/**
 * Key and ticket checks for the given keys. Keys are compared as SHA-256 digests with
 * timingSafeEqual against every configured key, so neither the comparison nor the number
 * of keys tried reveals how much of a guess was right.
 */
export function createAuth(keys: ApiKey[], options: AuthOptions = {}): Auth {
  const { secret = randomBytes(32), now = Date.now } = options;
  const ledger = options.tickets ?? memoryTicketLedger(now);
  const known = keys.map(({ key, principal }) => {
    const keyDigest = digest(key);
    return { digest: keyDigest, credential: { principal, keyId: keyDigest.toString('base64url', 0, 16) } };
  });

  const resolveKey = (header: string | null | undefined): Credential | null => {
    const key = bearerKey(header);
    if (key === null) return null;
    const presented = digest(key);
    let found: Credential | null = null;
    for (const candidate of known) {
      if (timingSafeEqual(candidate.digest, presented) && found === null) found = candidate.credential;
    }
    return found;
  };

  const identify: MiddlewareHandler<AuthEnv> = async (c, next) => {
    const credential = resolveKey(c.req.header('authorization'));
    if (credential) setCredential(c, credential);
    await next();
  };

  return {
    resolveKey,
    issueTicket(credential) {
      const expiresAt = now() + TICKET_TTL_MS;
      return { ticket: signTicket(secret, credential.keyId, expiresAt), expiresAt: new Date(expiresAt).toISOString() };
    },
    async redeemTicket(ticket) {
      const claims = ticket ? openTicket(secret, ticket) : null;
      const left = claims ? claims.expiresAt - now() : 0;
      if (!claims || left <= 0) return null;
      const credential = known.find((candidate) => candidate.credential.keyId === claims.keyId)?.credential;
      if (!credential || !(await ledger.consume(claims.nonce, left))) return null;
      return credential;
    },
    identify,
    requireKey: async (c, next) => {
      if (c.get('keyId') === undefined) return unauthorized(c);
      await next();
    },
  };
}

/** What per-key limits count: the principal (the platform, or one tenant), since a stream ticket carries no key. */
export function principalKey(principal: Principal): string {
  return principal.scope === 'platform' ? 'platform' : `tenant:${principal.tenantId}`;
}

/**
 * The filters narrowed to what the principal may see: a tenant key only ever sees its
 * tenant. Null when the filters ask for another tenant, so nothing matches.
 */
export function confineToPrincipal<F extends { tenantId?: string }>(principal: Principal, filters: F): F | null {
  if (principal.scope === 'platform') return filters;
  if (filters.tenantId !== undefined && filters.tenantId !== principal.tenantId) return null;
  return { ...filters, tenantId: principal.tenantId };
}
