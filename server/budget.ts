import type { Principal } from '../src/api-types.js';
import { principalKey } from './auth.js';

export interface ExportLimits {
  /** Exports running at once in the process (LOG_EXPORT_MAX_CONCURRENT); the export pool has as many connections. */
  maxConcurrent: number;
  /** Exports running at once per principal: the platform, or one tenant (LOG_EXPORT_MAX_CONCURRENT_PER_KEY). */
  maxConcurrentPerKey: number;
  /** An export whose client takes nothing for this long is cut off (LOG_EXPORT_IDLE_TIMEOUT_MS). */
  idleTimeoutMs: number;
}

export const DEFAULT_EXPORT_LIMITS: ExportLimits = { maxConcurrent: 4, maxConcurrentPerKey: 2, idleTimeoutMs: 30_000 };

export type Slot = { ok: true; release: () => void } | { ok: false; error: string };

export interface Budget {
  /** A slot for one more of the principal's, to release once when it ends. */
  acquire(principal: Principal): Slot;
}

/**
 * Counts what runs at once (exports, reads), in all and per principal, in memory (per server
 * process); `what` names it in refusals ("exports", "queries").
 */
export function createBudget(limits: { maxConcurrent: number; maxConcurrentPerKey: number }, what = 'exports'): Budget {
  let running = 0;
  const perKey = new Map<string, number>();
  return {
    acquire(principal) {
      const key = principalKey(principal);
      const ofKey = perKey.get(key) ?? 0;
      if (ofKey >= limits.maxConcurrentPerKey)
        return {
          ok: false,
          error: `this key already has ${limits.maxConcurrentPerKey} ${what} running; try again when one ends`,
        };
      if (running >= limits.maxConcurrent)
        return { ok: false, error: `the server is running as many ${what} as it can; try again shortly` };
      running++;
      perKey.set(key, ofKey + 1);
      return {
        ok: true,
        release() {
          running--;
          if (perKey.get(key) === 1) perKey.delete(key);
          else perKey.set(key, perKey.get(key)! - 1);
        },
      };
    },
  };
}
