import { wellFormed } from './safe-string.js';

/** What replaces a secret's value. */
export const REDACTED = '[REDACTED]';

/**
 * Keys whose values are secrets, compared after normalization (lower case, without
 * '-', '_', '.' or spaces). A key also counts as secret when it ends with one of
 * SECRET_KEY_SUFFIXES, so `stripeApiKey`, `csrf_token` and `x-api-key` are covered.
 */
const SECRET_KEYS = ['pwd', 'creditcard', 'creditcardnumber', 'cardnumber', 'cvv', 'cvc'];
const SECRET_KEY_SUFFIXES = [
  'password',
  'passwd',
  'secret',
  'token',
  'apikey',
  'privatekey',
  'authorization',
  'cookie',
];

export interface RedactOptions {
  /** Default true. */
  enabled?: boolean;
  /** More keys to redact, matched exactly after normalization. */
  keys?: string[];
}

/** How the walker writes one key: under a well-formed name, and whether its value is hidden. */
export interface KeyRule {
  key: string;
  redact: boolean;
}

/** The extra secret keys of env LOG_REDACT_KEYS (comma-separated). */
export function redactKeysFromEnv(env: NodeJS.ProcessEnv): string[] {
  return (
    env.LOG_REDACT_KEYS?.split(',')
      .map((key) => key.trim())
      .filter(Boolean) ?? []
  );
}

export function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_.\s]/g, '');
}

const CACHE_LIMIT = 5_000;

/**
 * Decides, per key, whether its value is a secret. Decisions are cached because the same
 * few keys come back on nearly every entry; the cache is bounded for data with ever-new keys.
 */
export function createKeyRules(options: RedactOptions = {}): (key: string) => KeyRule {
  const enabled = options.enabled !== false;
  const exact = new Set([...SECRET_KEYS, ...(options.keys ?? []).map(normalizeKey)]);
  const cache = new Map<string, KeyRule>();

  const isSecret = (key: string): boolean => {
    if (!enabled) return false;
    const normalized = normalizeKey(key);
    return exact.has(normalized) || SECRET_KEY_SUFFIXES.some((suffix) => normalized.endsWith(suffix));
  };

  return (key) => {
    let rule = cache.get(key);
    if (rule === undefined) {
      if (cache.size >= CACHE_LIMIT) cache.clear();
      rule = { key: wellFormed(key), redact: isSecret(key) };
      cache.set(key, rule);
    }
    return rule;
  };
}
