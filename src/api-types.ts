import type { LogLevel, StoredLogEntry } from './types.js';

/** Shapes the HTTP API answers with, shared by the server and the web UI. */

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
}
