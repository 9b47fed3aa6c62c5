import type { BufferRules } from '../src/config.js';
import type { DropReason, StoreReport } from '../src/transport-report.js';
import { LOG_LEVELS, type LogLevel, type StoredLogEntry } from '../src/types.js';
import { entryBytes } from './entry-size.js';
import { normalizeEntry } from './normalize-entry.js';
import type { Spool, SpoolTicket } from './spool.js';

export interface BatcherOptions
  extends Pick<
    BufferRules,
    'batchSize' | 'flushIntervalMs' | 'flushImmediatelyAt' | 'maxBufferedBytes' | 'exitTimeoutMs'
  > {
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
  /** How long close() keeps writing while the store takes the writes. */
  closeTimeoutMs: number;
  /** Where entries go that memory cannot hold, that arrive while the store is down, and that are unwritten at close. */
  spool?: Spool;
  /** What the store must keep of an entry that goes through the spool. */
  redelivery?: Redelivery;
}

/** What a store keeps of an entry across the spool, so that sending it again never stores it twice. */
export interface Redelivery {
  /** What to keep beside the spooled entry (JSON), or undefined. */
  save(entry: StoredLogEntry): unknown;
  /** For each entry read back from a spool, with what save() returned then. */
  restore(entry: StoredLogEntry, saved: unknown): void;
}

/** Writes one batch to a store; rejects when the store did not take it. */
export type WriteBatch = (entries: StoredLogEntry[]) => Promise<void>;

/** A spool record: the entry and what the store keeps beside it. */
interface SpoolLine {
  e: StoredLogEntry;
  s?: unknown;
}

/** A write that has not answered for this long is taken for an outage: what waits goes to disk meanwhile. */
const SLOW_WRITE_MS = 1_000;

const levelRank = (level: LogLevel) => LOG_LEVELS.indexOf(level);
const noDrops = (): Record<LogLevel, number> => ({ debug: 0, info: 0, warn: 0, error: 0 });
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/**
 * Collects entries and writes them in batches: when `batchSize` wait,
 * `flushIntervalMs` after the first waiting entry, and at once (with everything before it)
 * when an entry of `flushImmediatelyAt` or above arrives. One write is in flight at a time, or up
 * to `writesInFlight` while a backlog of full batches waits; batches may then commit out of
 * order, which a store keyed by entry id and time does not mind. add() never waits for the store.
 *
 * Memory holds at most `maxBufferedBytes` (see entryBytes). With a spool, the queue continues
 * on disk: entries that memory cannot hold, and every entry while the store is down, are
 * appended to the spool, and read back oldest first as the store takes writes; a spooled entry
 * leaves the spool only once it is stored, so a crash loses none of them. Failed writes are
 * retried with exponential backoff and jitter. Entries are dropped, the oldest non-error ones
 * first, only when the spool refuses them (full, unwritable) and memory is full; drops are
 * counted per level and reason, reported on stderr when they start and, once the store has
 * caught up, as one warn entry in the store itself. close() writes what it can, spools the
 * rest, and resolves to a report.
 */
export class Batcher {
  private waiting: StoredLogEntry[] = [];
  /** How many entries at the front of `waiting` must be written now. */
  private due = 0;
  /** Entries being written, and by how many writes. */
  private inFlight = 0;
  private writing = 0;
  private readonly batches = new Set<StoredLogEntry[]>();
  /** What the entries waiting or being written hold, by entryBytes. */
  private bytes = 0;
  private readonly sizes = new WeakMap<StoredLogEntry, number>();
  /** Entries read back from the spool, with the file to release each from once it is stored. */
  private readonly onDisk = new Map<StoredLogEntry, SpoolTicket>();
  /** Entries on their way to the spool, appended together at the end of the turn. */
  private toSpool: StoredLogEntry[] = [];
  private spoolTimer: NodeJS.Immediate | undefined;
  private intervalTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private slowTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private storeDown = false;
  private outageReported = false;
  private droppingReported = false;
  private spoolProblemReported = false;
  /** Drops not yet reported to the store. */
  private dropped = noDrops();
  private droppedFrom = new Set<string>();
  /** Whether a write failed since drops were last reported: they were then for an outage, not a burst. */
  private failedSinceReport = false;
  private dropReasons: Partial<Record<DropReason, number>> = {};
  private readonly lifetimeDrops = noDrops();
  private readonly lifetimeReasons: Partial<Record<DropReason, number>> = {};
  private written = 0;
  private closing = false;
  private finished = false;
  private onIdle: (() => void) | undefined;
  private readonly urgentRank: number;
  private readonly maxWrites: number;
  private readonly spool: Spool | undefined;

  constructor(
    private readonly name: string,
    private readonly write: WriteBatch,
    private readonly options: BatcherOptions,
  ) {
    this.urgentRank = levelRank(options.flushImmediatelyAt);
    this.maxWrites = options.writesInFlight ?? 1;
    this.spool = options.spool;
    if (this.spool?.problem) this.reportSpoolProblem();
    // what a spool holds from an earlier process is sent without waiting for new entries
    if (this.spool?.unread) setImmediate(() => this.pump());
  }

  /** Entries waiting or being written. */
  get size(): number {
    return this.waiting.length + this.inFlight;
  }

  add(entry: StoredLogEntry): void {
    const bytes = entryBytes(entry);
    const spoolable = this.spool !== undefined && this.spool.problem === undefined;
    // once entries wait in the spool, new ones join them there, so that the oldest go first
    if (
      spoolable &&
      (this.storeDown ||
        this.toSpool.length > 0 ||
        this.spool!.unread ||
        this.bytes + bytes > this.options.maxBufferedBytes)
    ) {
      this.sizes.set(entry, bytes);
      this.spoolSoon(entry);
      return;
    }
    this.hold(entry, bytes);
    this.enforceBound();
    if (levelRank(entry.level) >= this.urgentRank || this.waiting.length >= this.options.batchSize)
      this.due = this.waiting.length;
    this.intervalTimer ??= setTimeout(() => this.onInterval(), this.options.flushIntervalMs);
    this.pump();
  }

  /** Writes what is buffered until the deadlines, spools what is left, and reports; never rejects. */
  close(): Promise<StoreReport> {
    this.closing = true;
    clearTimeout(this.intervalTimer);
    this.intervalTimer = undefined;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    this.flushToSpool();
    this.pump();
    return new Promise<StoreReport>((resolve) => {
      this.onIdle = () => this.finish(resolve);
      this.deadlineTimer = setTimeout(this.onIdle, this.options.closeTimeoutMs);
      this.restartStall();
      this.checkIdle();
    });
  }

  private finish(resolve: (report: StoreReport) => void): void {
    if (this.finished) return;
    this.finished = true;
    for (const timer of [this.retryTimer, this.stallTimer, this.slowTimer, this.deadlineTimer, this.intervalTimer])
      clearTimeout(timer);
    clearImmediate(this.spoolTimer);
    // what is not stored yet and not on disk either: being written, waiting, or on its way to the spool
    const unsaved = [...[...this.batches].flat(), ...this.waiting]
      .filter((entry) => !this.onDisk.has(entry))
      .concat(this.toSpool);
    this.toSpool = [];
    const refused = this.appendToSpool(unsaved);
    for (const entry of refused.entries) this.drop(entry, refused.reason);
    this.spool?.close();
    resolve({
      written: this.written,
      spooled: this.spool?.records ?? 0,
      dropped: sum(this.lifetimeDrops),
      droppedByLevel: { ...this.lifetimeDrops },
      dropReasons: { ...this.lifetimeReasons },
      spoolDir: this.spool?.dir,
      spoolProblem: this.spool?.problem,
    });
  }

  private onInterval(): void {
    this.intervalTimer = undefined;
    this.due = this.waiting.length;
    this.pump();
  }

  private pump(): void {
    if (this.finished) return;
    this.readBack();
    while (this.mayWrite()) this.writeNext();
  }

  /** Moves spooled entries into memory, oldest first, while a write could take them. */
  private readBack(): void {
    const spool = this.spool;
    if (!spool || this.retryTimer) return;
    const room = this.options.maxWriteBatch * this.maxWrites;
    while (spool.unread && this.size < room && this.bytes < this.options.maxBufferedBytes) {
      const records = spool.read(room - this.size, this.options.maxBufferedBytes - this.bytes);
      for (const { value, ticket } of records) {
        const { e: entry, s: saved } = value as SpoolLine;
        this.options.redelivery?.restore(entry, saved);
        this.onDisk.set(entry, ticket);
        this.hold(entry, entryBytes(entry));
      }
      this.due = this.waiting.length;
    }
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
    this.batches.add(batch);
    this.slowTimer ??= setTimeout(() => this.onSlowWrite(), SLOW_WRITE_MS);
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
    if (this.finished) return; // spooled at the deadline: a later process sends it again, which stores it once
    this.batches.delete(batch);
    this.inFlight -= batch.length;
    this.writing -= 1;
    this.watchWrites();
    this.written += batch.length;
    for (const entry of batch) {
      this.bytes -= this.sizes.get(entry) ?? 0;
      const ticket = this.onDisk.get(entry);
      if (ticket) {
        this.onDisk.delete(entry);
        this.spool!.release(ticket);
      }
    }
    this.failures = 0;
    this.storeDown = false;
    this.outageReported = false;
    if (this.closing) this.restartStall();
    // report drops once caught up, so that a long outage or overload gives one report
    if (this.droppedTotal() > 0 && this.waiting.length === 0 && !this.spool?.unread) this.queueDropReport();
    this.pump();
    this.checkIdle();
  }

  private onFailed(batch: StoredLogEntry[], error: unknown): void {
    if (this.finished) return;
    this.batches.delete(batch);
    this.inFlight -= batch.length;
    this.writing -= 1;
    this.watchWrites();
    this.waiting = batch.concat(this.waiting);
    this.storeDown = true;
    this.failedSinceReport = true;
    this.failures += 1;
    if (!this.outageReported) {
      this.outageReported = true;
      const where =
        this.spool && !this.spool.problem ? `spooling entries to ${this.spool.dir}` : 'buffering entries in memory';
      this.warn(`store unavailable (${(error as Error)?.message ?? error}); ${where} and retrying`);
    }
    this.spoolUnsaved();
    this.due = this.waiting.length;
    const ceiling = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** Math.min(this.failures - 1, 20));
    const delay = this.closing ? Math.min(ceiling, 250) : ceiling / 2 + (Math.random() * ceiling) / 2;
    if (this.retryTimer) return; // the other write in flight failed first: one retry for both
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, delay);
  }

  /** While the store is down, what waits in memory and is not on disk yet goes to the spool, so that a crash loses none of it. */
  private spoolUnsaved(): void {
    if (!this.spool || this.spool.problem) return;
    const pending = this.toSpool;
    this.toSpool = [];
    const refused = new Set(
      this.appendToSpool(this.waiting.filter((entry) => !this.onDisk.has(entry)).concat(pending)).entries,
    );
    this.waiting = this.waiting.filter((entry) => {
      if (this.onDisk.has(entry) || refused.has(entry)) return true;
      this.bytes -= this.sizes.get(entry) ?? 0;
      return false;
    });
    for (const entry of pending) if (refused.has(entry)) this.hold(entry, this.sizes.get(entry) ?? entryBytes(entry));
    this.enforceBound();
  }

  /** A write answered: the next one in flight gets its own SLOW_WRITE_MS. */
  private watchWrites(): void {
    clearTimeout(this.slowTimer);
    this.slowTimer = this.writing > 0 ? setTimeout(() => this.onSlowWrite(), SLOW_WRITE_MS) : undefined;
  }

  /** A store that neither takes nor refuses a write (a network that drops packets) is treated as down until a write succeeds. */
  private onSlowWrite(): void {
    this.slowTimer = undefined;
    if (this.finished || this.storeDown) return;
    this.storeDown = true;
    this.spoolUnsaved();
  }

  private spoolSoon(entry: StoredLogEntry): void {
    this.toSpool.push(entry);
    this.spoolTimer ??= setImmediate(() => {
      this.spoolTimer = undefined;
      this.flushToSpool();
      this.pump();
    });
  }

  private flushToSpool(): void {
    if (this.toSpool.length === 0) return;
    const entries = this.toSpool;
    this.toSpool = [];
    // what the spool refuses stays in memory, within its bound
    for (const entry of this.appendToSpool(entries).entries)
      this.hold(entry, this.sizes.get(entry) ?? entryBytes(entry));
    this.enforceBound();
  }

  /** Appends entries to the spool; returns those it refused, and why. */
  private appendToSpool(entries: StoredLogEntry[]): { entries: StoredLogEntry[]; reason: DropReason } {
    if (!this.spool) return { entries, reason: 'no spool' };
    if (entries.length === 0) return { entries, reason: 'spool full' };
    const redelivery = this.options.redelivery;
    const { written, refused } = this.spool.append(
      entries.map((e): SpoolLine => (redelivery ? { e, s: redelivery.save(e) } : { e })),
    );
    if (refused === 'spool unwritable') this.reportSpoolProblem();
    return { entries: entries.slice(written), reason: refused ?? 'spool full' };
  }

  private hold(entry: StoredLogEntry, bytes: number): void {
    this.sizes.set(entry, bytes);
    this.bytes += bytes;
    this.waiting.push(entry);
  }

  /** Past the bound, drops the oldest waiting non-error entries that are not on disk (errors only when nothing else is left). */
  private enforceBound(): void {
    if (this.bytes <= this.options.maxBufferedBytes) return;
    const reason: DropReason = !this.spool ? 'no spool' : this.spool.problem ? 'spool unwritable' : 'spool full';
    if (!this.droppingReported)
      this.warn(
        `memory full (${this.options.maxBufferedBytes} bytes) and ${reason}: dropping the oldest non-error entries`,
      );
    this.droppingReported = true;
    const droppable = (entry: StoredLogEntry) => !this.onDisk.has(entry);
    let index = 0;
    while (this.bytes > this.options.maxBufferedBytes) {
      while (index < this.waiting.length && (this.waiting[index].level === 'error' || !droppable(this.waiting[index])))
        index++;
      const at = index < this.waiting.length ? index : this.waiting.findIndex(droppable);
      if (at === -1) return;
      const [gone] = this.waiting.splice(at, 1);
      if (at < this.due) this.due--;
      this.bytes -= this.sizes.get(gone) ?? 0;
      this.drop(gone, reason);
    }
  }

  private drop(entry: StoredLogEntry, reason: DropReason): void {
    this.dropped[entry.level]++;
    this.lifetimeDrops[entry.level]++;
    this.dropReasons[reason] = (this.dropReasons[reason] ?? 0) + 1;
    this.lifetimeReasons[reason] = (this.lifetimeReasons[reason] ?? 0) + 1;
    this.droppedFrom.add(entry.service);
  }

  private droppedTotal(): number {
    return sum(this.dropped);
  }

  private queueDropReport(): void {
    const total = this.droppedTotal();
    const services = [...this.droppedFrom];
    const reasons = Object.keys(this.dropReasons).join(', ');
    const report = normalizeEntry({
      level: 'warn',
      service: services.length === 1 ? services[0] : 'platform-logging',
      message: `dropped ${total} log entries (${reasons}) while the store was ${this.failedSinceReport ? 'unavailable' : 'slower than they came'}`,
      data: { dropped: { ...this.dropped }, total, reasons: { ...this.dropReasons }, services, transport: this.name },
    });
    this.dropped = noDrops();
    this.dropReasons = {};
    this.droppedFrom.clear();
    this.failedSinceReport = false;
    this.droppingReported = false;
    this.waiting.unshift(report);
    this.sizes.set(report, entryBytes(report));
    this.bytes += entryBytes(report);
    this.due += 1;
  }

  private restartStall(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => this.onIdle?.(), this.options.exitTimeoutMs);
  }

  private checkIdle(): void {
    if (this.closing && this.size === 0 && this.toSpool.length === 0 && !this.spool?.unread) this.onIdle?.();
  }

  private reportSpoolProblem(): void {
    if (this.spoolProblemReported) return;
    this.spoolProblemReported = true;
    this.warn(
      `spool ${this.spool!.dir} cannot be written (${this.spool!.problem}): entries the store cannot take are kept in memory only`,
    );
  }

  private warn(text: string): void {
    process.stderr.write(`platform-logging ${this.name}: ${text}\n`);
  }
}
