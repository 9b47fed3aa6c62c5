import {
  DEFAULT_ALERT_DELAY_MS,
  DEFAULT_ALERT_INTERVAL_MS,
  checkInterval,
  runAlerts,
  type AlertRunOptions,
  type AlertRunReport,
} from './evaluate.js';

export interface AlertTimerOptions extends AlertRunOptions {
  /** Called with each run's report. */
  onReport?: (report: AlertRunReport) => void;
}

/**
 * Runs the alerts in this process, for deployments without Inngest: just after each window
 * ends and its delay has passed (so a crossing is seen within an interval and the delay), and
 * once at start to catch up. Every server may start the timer: the advisory lock lets one run
 * at a time and the others skip. A failed run is logged and the next one retries. The timer
 * never keeps the process alive; the returned function stops it and resolves once a run in
 * progress has finished.
 */
export function startAlertTimer(options: AlertTimerOptions): () => Promise<void> {
  const intervalMs = options.intervalMs ?? DEFAULT_ALERT_INTERVAL_MS;
  checkInterval(intervalMs);
  const delayMs = options.delayMs ?? DEFAULT_ALERT_DELAY_MS;
  const clock = options.now ?? (() => new Date());
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;

  const schedule = () => {
    if (stopped) return;
    const now = clock().getTime();
    const next = (Math.floor((now - delayMs) / intervalMs) + 1) * intervalMs + delayMs;
    timer = setTimeout(tick, Math.max(0, next - now) + 5).unref();
  };
  const tick = () => {
    if (running || stopped) return;
    running = runAlerts({ ...options, intervalMs, delayMs })
      .then((report) => options.onReport?.(report))
      .catch((error) => options.logger?.error('alert run failed', error))
      .finally(() => {
        running = null;
        schedule();
      });
  };
  tick();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
