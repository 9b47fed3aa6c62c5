export { runRetention, type RetentionLogger, type RunRetentionOptions } from './run-retention.js';
export { formatReport, type DroppedPartition, type CleanedDefaultPartition, type RetentionReport } from './report.js';
export { createRetentionInngest, inngestConfigured, RETENTION_CRON, type RetentionInngestOptions } from './inngest.js';
