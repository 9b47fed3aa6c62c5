import type { LogLevel, StoredLogEntry } from './types.js';

/** Shapes the HTTP API answers with, shared by the server and the web UI. */

/**
 * What an answer cost, so that a slow query explains itself: the partitions of platform_logs
 * that its levels and time bounds leave to read, and the time the store took (ms).
 */
export interface QueryStats {
  partitionsScanned: number;
  durationMs: number;
}

/** A page of entries, newest first: GET /api/platform/logs. */
export interface LogPage {
  entries: StoredLogEntry[];
  nextCursor: string | null;
  stats?: QueryStats;
}

/** GET /api/platform/logs/facets: a field's top values among the matching entries. */
export interface FacetPage {
  field: string;
  values: { value: string | number | boolean | null; count: number }[];
  /** Matching entries without a value for the field. */
  missing: number;
  stats: QueryStats;
}

/** GET /api/platform/logs/fields: the data paths of the newest matching entries, with their JSON types. */
export interface DataFieldsPage {
  fields: { path: string; entries: number; types: { type: string; entries: number }[] }[];
  sampled: number;
  complete: boolean;
  stats: QueryStats;
}

/** GET /api/platform/logs/:id/context: the entries around one, oldest first on each side. */
export interface LogContextPage {
  entry: StoredLogEntry;
  by: 'tenant' | 'service' | 'request';
  before: StoredLogEntry[];
  after: StoredLogEntry[];
  stats: QueryStats;
}

export interface TrendBucket {
  start: string;
  count: number;
}

/** One group of similar warn/error entries: GET /api/platform/logs/aggregates. */
export interface ErrorGroup {
  signature: string;
  /** The most severe level among the group's entries. */
  level: LogLevel;
  count: number;
  firstSeen: string;
  lastSeen: string;
  template: string | null;
  errorType: string | null;
  errorCode: string | null;
  services: string[];
  /** Distinct tenants and users, estimated (see docs/api.md). */
  tenants: number;
  users: number;
  /** The group's most recent entry. */
  sample: StoredLogEntry;
  trend: TrendBucket[];
}

export interface ErrorAggregates {
  groups: ErrorGroup[];
  nextCursor: string | null;
  stats?: QueryStats;
}

/** Who a key speaks for: the whole platform, or one tenant (GET /api/platform/logs/whoami). */
export type Principal = { scope: 'platform' } | { scope: 'tenant'; tenantId: string };

export interface HistogramBucket {
  start: string;
  counts: Record<LogLevel, number>;
}

/** GET /api/platform/logs/histogram. */
export interface Histogram {
  bucketSeconds: number;
  buckets: HistogramBucket[];
  stats?: QueryStats;
}

/** Why a live stream client missed entries. */
export type GapReason = 'trimmed' | 'slow-client' | 'store-unavailable';

/** Messages the live stream sends (docs/api.md, "Live stream protocol"). */
export type StreamMessage =
  | { type: 'subscribed'; streamId: string | null }
  | { type: 'entry'; streamId: string; entry: StoredLogEntry }
  | { type: 'gap'; reason: GapReason; missed?: number }
  | { type: 'heartbeat'; at: string }
  | { type: 'error'; error: string };
