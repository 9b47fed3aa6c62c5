import { positiveIntSetting } from '../../src/config.js';
import { parseAllowedHosts } from './address-guard.js';
import { DEFAULT_ALERT_DELAY_MS, DEFAULT_ALERT_INTERVAL_MS, checkInterval } from './evaluate.js';
import { DEFAULT_WEBHOOK_TIMEOUT_MS } from './webhook.js';

export interface AlertSettings {
  /** LOG_ALERT_INTERVAL_MS: how often rules are evaluated (a whole number of seconds, 1 s to 1 h). */
  intervalMs: number;
  /** LOG_ALERT_DELAY_MS: how long after its end a window is evaluated, for entries still on their way. */
  delayMs: number;
  /** LOG_ALERT_WEBHOOK_ALLOWED_HOSTS: hosts webhooks may reach whatever their addresses. */
  allowedHosts: string[];
  /** LOG_ALERT_WEBHOOK_TIMEOUT_MS: one delivery attempt's limit. */
  webhookTimeoutMs: number;
}

/** The alerts' settings from the environment; a malformed value is an error naming it. */
export function alertSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): AlertSettings {
  const intervalMs =
    positiveIntSetting('LOG_ALERT_INTERVAL_MS', env.LOG_ALERT_INTERVAL_MS) ?? DEFAULT_ALERT_INTERVAL_MS;
  try {
    checkInterval(intervalMs);
  } catch {
    throw new Error(
      `LOG_ALERT_INTERVAL_MS must be a whole number of seconds from 1 to 3600, in milliseconds (60000 is a minute), got "${env.LOG_ALERT_INTERVAL_MS}"`,
    );
  }
  const delay = env.LOG_ALERT_DELAY_MS;
  const delayMs =
    delay === '0' ? 0 : (positiveIntSetting('LOG_ALERT_DELAY_MS', delay, 600_000) ?? DEFAULT_ALERT_DELAY_MS);
  return {
    intervalMs,
    delayMs,
    allowedHosts: parseAllowedHosts(env.LOG_ALERT_WEBHOOK_ALLOWED_HOSTS),
    webhookTimeoutMs:
      positiveIntSetting('LOG_ALERT_WEBHOOK_TIMEOUT_MS', env.LOG_ALERT_WEBHOOK_TIMEOUT_MS, 60_000) ??
      DEFAULT_WEBHOOK_TIMEOUT_MS,
  };
}
