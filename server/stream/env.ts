import { positiveIntSetting } from '../../src/config.js';
import type { StreamLimits } from './hub.js';

const VARIABLES: Record<string, keyof StreamLimits> = {
  LOG_STREAM_MAX_CLIENTS: 'maxClients',
  LOG_STREAM_MAX_CLIENTS_PER_KEY: 'maxClientsPerKey',
  LOG_STREAM_HEARTBEAT_MS: 'heartbeatMs',
  LOG_STREAM_SLOW_CLIENT_BYTES: 'maxBufferedBytes',
  LOG_STREAM_SLOW_CLIENT_TIMEOUT_MS: 'slowClientTimeoutMs',
};

/** The stream limits set in the environment; unset ones keep their defaults. */
export function streamLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<StreamLimits> {
  const limits: Partial<StreamLimits> = {};
  for (const [name, limit] of Object.entries(VARIABLES)) {
    const value = positiveIntSetting(name, env[name]);
    if (value !== undefined) limits[limit] = value;
  }
  return limits;
}
