export {
  createStreamHub,
  DEFAULT_STREAM_LIMITS,
  type StreamHub,
  type StreamHubOptions,
  type StreamLimits,
} from './hub.js';
export { createStreamRoutes, type StreamRoutesOptions } from './routes.js';
export { streamLimitsFromEnv } from './env.js';
