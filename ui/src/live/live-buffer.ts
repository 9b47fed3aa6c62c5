import type { StoredLogEntry } from '../api/types.js';

export type LiveItem =
  | { kind: 'entry'; key: string; entry: StoredLogEntry }
  | { kind: 'gap'; key: string; reason: string; missed: number | null; at: string };

export const LIVE_BUFFER_LIMIT = 50_000;

/**
 * The lines the live view holds: at most `limit` after each `trim()`, the oldest dropped
 * first, each entry once (a replay after a reconnect may repeat entries already shown), and
 * a marker line where the stream says entries were missed.
 */
export class LiveBuffer {
  readonly items: LiveItem[] = [];
  private readonly ids = new Set<string>();
  private gaps = 0;
  /** How many lines were dropped from the top since the buffer was made or cleared. */
  dropped = 0;

  constructor(readonly limit = LIVE_BUFFER_LIMIT) {}

  /** Adds an entry unless it is already held; says whether it was added. */
  addEntry(entry: StoredLogEntry): boolean {
    if (this.ids.has(entry.id)) return false;
    this.ids.add(entry.id);
    this.push({ kind: 'entry', key: entry.id, entry });
    return true;
  }

  addGap(reason: string, missed: number | null, at = new Date().toISOString()): void {
    this.push({ kind: 'gap', key: `gap-${++this.gaps}`, reason, missed, at });
  }

  clear(): void {
    this.items.length = 0;
    this.ids.clear();
    this.dropped = 0;
  }

  /**
   * Drops the oldest lines past the limit. Called once per rendered frame rather than per
   * entry: removing from the front of 50,000 lines for every arriving entry would cost a
   * copy of the whole list each time.
   */
  trim(): void {
    const excess = this.items.length - this.limit;
    if (excess <= 0) return;
    for (const old of this.items.splice(0, excess)) if (old.kind === 'entry') this.ids.delete(old.key);
    this.dropped += excess;
  }

  /** Frames do not run in a hidden tab: trim here too, rarely enough to stay cheap. */
  private push(item: LiveItem): void {
    this.items.push(item);
    if (this.items.length >= this.limit * 2) this.trim();
  }
}
