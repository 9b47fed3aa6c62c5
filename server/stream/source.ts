import type { StoredLogEntry } from '../../src/types.js';

export interface StreamItem {
  streamId: string;
  entry: StoredLogEntry;
}

export interface SourceEvents {
  /** New entries, oldest first. */
  items(items: StreamItem[]): void;
  /** The store answers again after an outage; `trimmed` when entries read during it are lost. */
  recovered(trimmed: boolean): void;
}

/** Where the live entries come from: the Redis stream, or PostgreSQL without Redis. */
export interface StreamSource {
  /** Starts reading new entries; retries on its own while the store is down. */
  start(events: SourceEvents): Promise<void>;
  stop(): Promise<void>;
  /** The id of the last entry read, or null before any. */
  position(): string | null;
  isStreamId(id: string): boolean;
  /**
   * Where a replay after `id` starts: `id` itself, or, when entries after it are no longer
   * kept, the oldest kept position with `trimmed` set.
   */
  replayStart(id: string): Promise<{ after: string; trimmed: boolean }>;
  /** Up to `limit` entries after `id`, oldest first. */
  readAfter(id: string, limit: number): Promise<StreamItem[]>;
}

export interface StreamLogger {
  warn(message: string, data?: Record<string, unknown>): void;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
