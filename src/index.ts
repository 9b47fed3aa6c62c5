export * from './types.js';
export { loadConfig, resolveEnvironment, DEFAULT_RETENTION_DAYS } from './config.js';
export type { BufferRules, ConsoleMode, LoggingConfig, LoggingConfigOverrides, RetentionDays } from './config.js';
export { platformTransportTargets, transportModulePath } from './transport-targets.js';
export type {
  EntryOptions,
  PlatformTransportOptions,
  PostgresTransportOptions,
  RedisStreamTransportOptions,
} from './transport-targets.js';
export { createLogger } from './factory.js';
export { flushOnExit } from './flush-on-exit.js';
export type { CreateLoggerOptions } from './factory.js';
export { PlatformLogger, LEVEL_VALUES } from './logger.js';
export type { ChildBindings, CloseOptions } from './logger.js';
export type { CloseReport, DropReason, StoreReport } from './transport-report.js';
export { runWithLogContext, getLogger, getLogContext, setDefaultLogger } from './context.js';
export { createRequestLogger, withRequestLogger, requestLogContext, parseTraceparent } from './request-context.js';
export type { RequestWithHeaders } from './request-context.js';
export { REDACTED } from './redact.js';
export type { RedactOptions } from './redact.js';
export { uuidv7 } from './id.js';
export { generalizeMessage, computeErrorSignature } from './error-aggregation.js';
