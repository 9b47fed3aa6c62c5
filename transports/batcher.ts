import type { BufferRules } from '../src/config.js';
import { LOG_LEVELS, type LogLevel, type StoredLogEntry } from '../src/types.js';
import { entryBytes } from './entry-size.js';
import { normalizeEntry } from './normalize-entry.js';

export interface BatcherOptions extends BufferRules {
  /** Most entries one write carries when a backlog waits (after an outage, under load). */
  maxWriteBatch: number;
  /**
   * Most writes in flight at once. Beyond the first, a write starts only while a full
   * `maxWriteBatch` waits, so without a backlog there is one write at a time. Default 1.
   */
  writesInFlight?: number;
  /** First retry delay after a failed write; doubles each failure, with jitter. */
  retryBaseMs: number;
  /** Longest delay between retries. */
  retryMaxMs: number;
  /** How long close() keeps trying to write what is buffered. */
  closeTimeoutMs: number;
}

/** Writes one batch to a store; rejects when the store did not take it. */
export type WriteBatch = (entries: StoredLogEntry[]) => Promise<void>;

const levelRank = (level: LogLevel) => LOG_LEVELS.indexOf(level);

/**
 * Collects entries and writes them in batches: when `batchSize` wait,
 * `flushIntervalMs` after the first waiting entry, and at once (with everything before it)
 * when an entry of `flushImmediatelyAt` or above arrives. While the store fails, entries
 * wait (at most `maxBufferedBytes` of them, see entryBytes; the oldest non-error entries dropped first) and the
 * write is retried with exponential backoff and jitter. One write is in flight at a time, or up
 * to `writesInFlight` while a backlog of full batches waits; batches may then commit out of
 * order, which a store keyed by entry id and time does not mind. Drops are reported on stderr when
 * they start and, once the store is back, as one warn entry in the store itself.
 * add() never waits for the store.
 */
export class Batcher {
  private waiting: StoredLogEntry[] = [];
  /** How many entries at the front of `waiting` must be written now. */
  private due = 0;
  /** Entries being written, and by how many writes. */
  private inFlight = 0;
  private writing = 0;
  /** What the entries waiting or being written hold, by entryBytes. */
  private bytes = 0;
  private readonly sizes = new WeakMap<StoredLogEntry, number>();
  private intervalTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private outageReported = false;
  private droppingReported = false;
  private dropped: Record<LogLevel, number> = { debug: 0, info: 0, warn: 0, error: 0 };
  private droppedFrom = new Set<string>();
  private closing = false;
  private onIdle: (() => void) | undefined;
  private readonly urgentRank: number;
  private readonly maxWrites: number;

  constructor(
    private readonly name: string,
    private readonly write: WriteBatch,
    private readonly options: BatcherOptions,
  ) {
    this.urgentRank = levelRank(options.flushImmediatelyAt);
    this.maxWrites = options.writesInFlight ?? 1;
  }

  /** Entries waiting or being written. */
  get size(): number {
    return this.waiting.length + this.inFlight;
  }

  add(entry: StoredLogEntry): void {
    const bytes = entryBytes(entry);
    this.sizes.set(entry, bytes);
    this.bytes += bytes;
    this.waiting.push(entry);
    if (levelRank(entry.level) >= this.urgentRank || this.waiting.length >= this.options.batchSize) this.due = this.waiting.length;
    this.intervalTimer ??= setTimeout(() => this.onInterval(), this.options.flushIntervalMs);
    this.enforceBound();
    this.pump();
  }

  /** Writes what is buffered, trying until the deadline; never rejects. */
  close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.intervalTimer);
    this.intervalTimer = undefined;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    this.pump();
    return new Promise<void>((resolve) => {
      const deadline = setTimeout(() => {
        this.onIdle = undefined;
        this.finish(resolve);
      }, this.options.closeTimeoutMs);
      this.onIdle = () => {
        clearTimeout(deadline);
        this.finish(resolve);
      };
      this.checkIdle();
    });
  }

  private finish(resolve: () => void): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const unwritten = this.size;
    const dropped = this.droppedTotal();
    if (unwritten > 0) this.warn(`${unwritten} entries not written before the close deadline (${this.options.closeTimeoutMs} ms)`);
    if (dropped > 0) this.warn(`${dropped} entries were dropped while the store was unavailable`);
    resolve();
  }

  private onInterval(): void {
    this.intervalTimer = undefined;
    this.due = this.waiting.length;
    this.pump();
  }

  private pump(): void {
    while (this.mayWrite()) this.writeNext();
  }

  private mayWrite(): boolean {
    if (this.retryTimer || this.waiting.length === 0 || this.writing >= this.maxWrites) return false;
    if (this.writing > 0) return this.waiting.length >= this.options.maxWriteBatch;
    return this.closing || this.due > 0 || this.waiting.length >= this.options.batchSize;
  }

  private writeNext(): void {
    const batch = this.waiting.splice(0, this.options.maxWriteBatch);
    this.due = Math.max(0, this.due - batch.length);
    this.inFlight += batch.length;
    this.writing += 1;
    if (this.waiting.length === 0) {
      clearTimeout(this.intervalTimer);
      this.intervalTimer = undefined;
    } else if (!this.closing) {
      this.intervalTimer ??= setTimeout(() => this.onInterval(), this.options.flushIntervalMs);
    }
    this.write(batch).then(
      () => this.onWritten(batch),
      (error: unknown) => this.onFailed(batch, error),
    );
  }

  private onWritten(batch: StoredLogEntry[]): void {
    this.inFlight -= batch.length;
    for (const entry of batch) this.bytes -= this.sizes.get(entry) ?? 0;
    this.writing -= 1;
    this.failures = 0;
    this.outageReported = false;
    // report drops once caught up, so that a long outage or overload gives one report
    if (this.droppedTotal() > 0 && this.waiting.length === 0) this.queueDropReport();
    this.pump();
    this.checkIdle();
  }

  private onFailed(batch: StoredLogEntry[], error: unknown): void {
    this.inFlight -= batch.length;
    this.writing -= 1;
    this.waiting = batch.concat(this.waiting);
    this.due += batch.length;
    this.enforceBound();
    this.failures += 1;
    if (!this.outageReported) {
      this.outageReported = true;
      this.warn(`store unavailable (${(error as Error)?.message ?? error}); buffering entries and retrying`);
    }
    const ceiling = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** Math.min(this.failures - 1, 20));
    const delay = this.closing ? Math.min(ceiling, 250) : ceiling / 2 + (Math.random() * ceiling) / 2;
    if (this.retryTimer) return; // the other write in flight failed first: one retry for both
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, delay);
  }

  /** Past the bound, drops the oldest waiting non-error entries (errors only when nothing else is left). */
  private enforceBound(): void {
    if (this.bytes <= this.options.maxBufferedBytes) return;
    if (!this.droppingReported) this.warn(`buffer full (${this.options.maxBufferedBytes} bytes): dropping the oldest non-error entries`);
    this.droppingReported = true;
    let index = 0;
    while (this.bytes > this.options.maxBufferedBytes && this.waiting.length > 0) {
      while (index < this.waiting.length && this.waiting[index].level === 'error') index++;
      const at = index < this.waiting.length ? index : 0;
      const [gone] = this.waiting.splice(at, 1);
      if (at < this.due) this.due--;
      this.bytes -= this.sizes.get(gone) ?? 0;
      this.dropped[gone.level]++;
      this.droppedFrom.add(gone.service);
    }
  }

  private droppedTotal(): number {
    return this.dropped.debug + this.dropped.info + this.dropped.warn + this.dropped.error;
  }

  private queueDropReport(): void {
    const total = this.droppedTotal();
    const services = [...this.droppedFrom];
    const report = normalizeEntry({
      level: 'warn',
      service: services.length === 1 ? services[0] : 'platform-logging',
      message: `dropped ${total} log entries while the store was unavailable`,
      data: { dropped: { ...this.dropped }, total, services, transport: this.name },
    });
    this.dropped = { debug: 0, info: 0, warn: 0, error: 0 };
    this.droppedFrom.clear();
    this.droppingReported = false;
    this.sizes.set(report, entryBytes(report));
    this.bytes += entryBytes(report);
    this.waiting.unshift(report);
    this.due += 1;
  }

  private checkIdle(): void {
    if (this.closing && this.size === 0) this.onIdle?.();
  }

  private warn(text: string): void {
    process.stderr.write(`platform-logging ${this.name}: ${text}\n`);
  }
}
