import type pg from 'pg';
import { runRetention, type RetentionLogger } from './run-retention.js';

const DAY_MS = 86_400_000;
/** setInterval fires at once for longer delays, so longer intervals are refused. */
const MAX_INTERVAL_MS = 2 ** 31 - 1;

export interface RetentionTimerOptions {
  pool: pg.Pool;
  logger: RetentionLogger;
  intervalMs?: number;
  /** Run once right away, so that a server restarted daily still enforces retention. */
  runAtStart?: boolean;
}

/**
 * Runs retention every `intervalMs` in this process, for deployments without Inngest.
 * Every server instance may start the timer: the advisory lock lets one run at a time, and
 * the others skip. Failures are logged (by runRetention) and retried at the next tick.
 * The timer never keeps the process alive. The returned function stops it and resolves
 * once a run in progress has finished.
 */
export function startRetentionTimer({
  pool,
  logger,
  intervalMs = DAY_MS,
  runAtStart = true,
}: RetentionTimerOptions): () => Promise<void> {
  if (!Number.isInteger(intervalMs) || intervalMs <= 0 || intervalMs > MAX_INTERVAL_MS) {
    throw new Error(
      `retention timer: intervalMs must be a whole number of milliseconds from 1 to ${MAX_INTERVAL_MS}, got ${intervalMs}`,
    );
  }
  let running: Promise<unknown> | null = null;
  const tick = () => {
    if (running) return;
    running = runRetention({ pool, logger })
      .catch(() => {}) // already logged; the next tick tries again
      .finally(() => {
        running = null;
      });
  };
  const interval = setInterval(tick, intervalMs).unref();
  if (runAtStart) tick();
  return async () => {
    clearInterval(interval);
    await running;
  };
}
