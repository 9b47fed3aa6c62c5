export { runRetention, type RetentionLogger, type RunRetentionOptions } from './run-retention.js';
export { formatReport, type DroppedPartition, type CleanedDefaultPartition, type RetentionReport } from './report.js';
export { createRetentionInngest, inngestConfigured, RETENTION_CRON, type RetentionInngestOptions } from './inngest.js';
export { startRetentionTimer, type RetentionTimerOptions } from './timer.js';
export { retentionCommand, type CommandIo } from './cli.js';
