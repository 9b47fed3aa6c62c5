import build from 'pino-abstract-transport';
import { loadConfig } from '../src/config.js';
import { describeReports, writeReport } from '../src/transport-report.js';
import type { BatchingOptions, EntryOptions } from '../src/transport-targets.js';
import type { StoredLogEntry } from '../src/types.js';
import { Batcher, type BatcherOptions, type Redelivery } from './batcher.js';
import { entryDefaults, normalizeEntry, normalizeLine, type EntryDefaults } from './normalize-entry.js';
import { Spool, spoolDir } from './spool.js';

/** The store side of a transport: one batch per call, at most `writesInFlight` calls at a time (default 1). */
export interface StoreWriter {
  write(entries: StoredLogEntry[]): Promise<void>;
  close(): Promise<void>;
  writesInFlight?: number;
  /** What the store keeps of an entry across the spool, when ids alone do not make a second write harmless. */
  redelivery?: Redelivery;
}

/** One store a transport writes to. */
export interface Store {
  /** Its name in messages, e.g. `postgres`. */
  name: string;
  options: BatchingOptions;
  /** Connects the store; throws when its options cannot work. */
  open(): StoreWriter;
}

const DEFAULT_CLOSE_TIMEOUT_MS = 8_000;
const WRITER_CLOSE_TIMEOUT_MS = 500;

/** The batcher's options and the spool's: the transport's own (checked by the store's open()), else the environment's configuration (loadConfig). */
export function resolveBatcherOptions(
  options: BatchingOptions,
): BatcherOptions & { spoolDir?: string; spoolMaxBytes: number } {
  const defaults = loadConfig().buffer;
  const batchSize = options.batchSize ?? defaults.batchSize;
  return {
    batchSize,
    flushIntervalMs: options.flushIntervalMs ?? defaults.flushIntervalMs,
    flushImmediatelyAt: options.flushImmediatelyAt ?? defaults.flushImmediatelyAt,
    maxBufferedBytes: options.maxBufferedBytes ?? defaults.maxBufferedBytes,
    spoolDir: options.spoolDir ?? defaults.spoolDir,
    spoolMaxBytes: options.spoolMaxBytes ?? defaults.spoolMaxBytes,
    closeTimeoutMs: options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
    exitTimeoutMs: options.exitTimeoutMs ?? defaults.exitTimeoutMs,
    maxWriteBatch: Math.max(batchSize, 5_000),
    retryBaseMs: 200,
    retryMaxMs: 30_000,
  };
}

function within<T>(ms: number, promise: Promise<T>): Promise<T | void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([promise.catch(() => {}), timeout]).finally(() => clearTimeout(timer));
}

/** The entry defaults; when a variable they come from is malformed, that is said on stderr and the options alone count. */
function defaultsOf(options: EntryOptions): EntryDefaults {
  try {
    return entryDefaults(options);
  } catch (error) {
    process.stderr.write(
      `platform-logging: ${(error as Error).message}; entries without an environment are stored as "unknown"\n`,
    );
    return entryDefaults({ ...options, environment: options.environment || 'unknown' }, {});
  }
}

interface OpenStore {
  store: Store;
  writer: StoreWriter;
  batcher: Batcher;
}

/** The store with its batcher, or null (said on stderr) when it cannot be opened: the other stores go on without it. */
function openStore(store: Store): OpenStore | null {
  try {
    const resolved = resolveBatcherOptions(store.options);
    const writer = store.open();
    // what memory cannot hold waits in the store's spool, under <spoolDir>/<service>/<store>
    const spool = new Spool({
      dir: spoolDir(store.name, store.options.service ?? 'unknown', resolved.spoolDir),
      maxBytes: resolved.spoolMaxBytes,
    });
    const batcher = new Batcher(store.name, (entries) => writer.write(entries), {
      ...resolved,
      writesInFlight: writer.writesInFlight,
      spool,
      redelivery: writer.redelivery,
    });
    return { store, writer, batcher };
  } catch (error) {
    process.stderr.write(
      `platform-logging ${store.name}: not writing to this store: ${(error as Error)?.message ?? error}\n`,
    );
    return null;
  }
}

/**
 * A pino transport (pino-abstract-transport) over one or more stores. Each line is parsed
 * and normalized once, as it is split off (`options` give what a line lacks, and the
 * redaction), and the entry is handed to one Batcher per store, so the stores keep the same
 * entry (the same id) and one store's failure (options it cannot work with, an outage)
 * never reaches another. Lines are read as fast as they come, so the thread-stream ring
 * buffer never fills and the service never blocks, even while a store is down: what memory
 * cannot hold waits in the store's spool. On close, each store writes what it holds within the
 * deadlines, spools the rest, leaves its report for the main thread (`options.report`, else a
 * line on stderr), then closes.
 */
export function storesTransport(options: EntryOptions, stores: Store[]) {
  const defaults = defaultsOf(options);
  const open = stores.map(openStore).filter((store): store is OpenStore => store !== null);
  const add = (entry: StoredLogEntry) => {
    for (const store of open) store.batcher.add(entry);
  };
  return build(
    (source) => {
      source.on('data', add);
      // a line the normalizer failed on, should it ever: kept as the message
      source.on('unknown', (line: string) => add(normalizeEntry({ message: line }, defaults)));
    },
    {
      parseLine: (line: string) => normalizeLine(line, defaults),
      async close() {
        await Promise.all(
          open.map(async ({ store, batcher, writer }) => {
            const report = await batcher.close();
            if (store.options.report) writeReport(store.options.report, report);
            else {
              const text = describeReports({ [store.name]: report });
              if (text) process.stderr.write(`${text}\n`);
            }
            await within(WRITER_CLOSE_TIMEOUT_MS, writer.close());
          }),
        );
      },
    },
  );
}
