import type { Inngest, InngestFunction } from 'inngest';
import { DEFAULT_ALERT_INTERVAL_MS, runAlerts, type AlertRunOptions } from './evaluate.js';

/**
 * The cron of the alerts' Inngest function: every minute, or every n minutes for an interval of
 * n whole minutes that divides the hour. A shorter interval still runs every minute (cron's
 * finest step), and each run evaluates every window that ended since the last.
 */
export function alertCron(intervalMs: number = DEFAULT_ALERT_INTERVAL_MS): string {
  const minutes = intervalMs / 60_000;
  if (Number.isInteger(minutes) && minutes > 1 && 60 % minutes === 0) return `TZ=UTC */${minutes} * * * *`;
  return 'TZ=UTC * * * * *';
}

/** The alerts' Inngest function on `client`: runAlerts on its cron, the run's report as its result. */
export function createAlertFunction(client: Inngest.Any, options: AlertRunOptions): InngestFunction.Any {
  return client.createFunction(
    { id: 'platform-logs-alerts', name: 'Platform logs alerts', triggers: [{ cron: alertCron(options.intervalMs) }] },
    async ({ step }) => step.run('run-alerts', () => runAlerts(options)),
  ) as unknown as InngestFunction.Any;
}
