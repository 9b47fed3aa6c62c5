export type { LogLevel, StoredLogEntry } from '../../../src/types.js';
export { LOG_ENTRY_FIELDS, LOG_LEVELS, SERVICE_NAMES } from '../../../src/types.js';
export type { ErrorAggregates as ErrorGroupPage, ErrorGroup } from '../../../src/api-types.js';
import type { StoredLogEntry } from '../../../src/types.js';

/** Who the signed-in key is: GET /api/platform/logs/whoami. */
export type Principal = { scope: 'platform' } | { scope: 'tenant'; tenantId: string };

export interface LogPage {
  entries: StoredLogEntry[];
  nextCursor: string | null;
}

export interface HistogramBucket {
  start: string;
  counts: Record<'debug' | 'info' | 'warn' | 'error', number>;
}

export interface Histogram {
  bucketSeconds: number;
  buckets: HistogramBucket[];
}

/** Messages the live stream sends (docs/api.md, "Live stream protocol"). */
export type StreamMessage =
  | { type: 'subscribed'; streamId: string | null }
  | { type: 'entry'; streamId: string; entry: StoredLogEntry }
  | { type: 'gap'; reason: string; missed?: number }
  | { type: 'heartbeat'; at: string }
  | { type: 'error'; error: string };
