import build from 'pino-abstract-transport';
import { loadConfig } from '../src/config.js';
import { describeReports, writeReport } from '../src/transport-report.js';
import type { BatchingOptions } from '../src/transport-targets.js';
import type { StoredLogEntry } from '../src/types.js';
import { Batcher, type BatcherOptions, type Redelivery } from './batcher.js';
import { normalizeEntry, normalizeLine } from './normalize-entry.js';
import { Spool, spoolDir } from './spool.js';

/** The store side of a transport: one batch per call, at most `writesInFlight` calls at a time (default 1). */
export interface StoreWriter {
  write(entries: StoredLogEntry[]): Promise<void>;
  close(): Promise<void>;
  writesInFlight?: number;
  /** What the store keeps of an entry across the spool, when ids alone do not make a second write harmless. */
  redelivery?: Redelivery;
}

const DEFAULT_CLOSE_TIMEOUT_MS = 8_000;
const WRITER_CLOSE_TIMEOUT_MS = 500;

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new Error(`platform-logging: transport option ${name} must be a positive whole number, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The batcher's options and the spool's: the transport's own, else the environment's configuration (loadConfig). */
export function resolveBatcherOptions(options: BatchingOptions): BatcherOptions & { spoolDir?: string; spoolMaxBytes: number } {
  const defaults = loadConfig().buffer;
  const batchSize = positiveInteger('batchSize', options.batchSize ?? defaults.batchSize);
  return {
    batchSize,
    flushIntervalMs: positiveInteger('flushIntervalMs', options.flushIntervalMs ?? defaults.flushIntervalMs),
    flushImmediatelyAt: options.flushImmediatelyAt ?? defaults.flushImmediatelyAt,
    maxBufferedBytes: positiveInteger('maxBufferedBytes', options.maxBufferedBytes ?? defaults.maxBufferedBytes),
    spoolDir: options.spoolDir ?? defaults.spoolDir,
    spoolMaxBytes: positiveInteger('spoolMaxBytes', options.spoolMaxBytes ?? defaults.spoolMaxBytes),
    closeTimeoutMs: positiveInteger('closeTimeoutMs', options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS),
    exitTimeoutMs: positiveInteger('exitTimeoutMs', options.exitTimeoutMs ?? defaults.exitTimeoutMs),
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

/**
 * A pino transport (pino-abstract-transport) that reads lines as fast as they come, into a
 * Batcher, so the thread-stream ring buffer never fills and the service never blocks, even
 * while the store is down; what memory cannot hold waits in the store's spool, under
 * `<spoolDir>/<service>/<name>`. Lines that are not JSON objects are kept as the message of an
 * entry. On close, it writes what is buffered within the deadlines, spools the rest, leaves its
 * report in `options.report` for the main thread (else says on stderr what it spooled and dropped),
 * then closes the store.
 */
export function batchingTransport(name: string, options: BatchingOptions, writer: StoreWriter) {
  const resolved = resolveBatcherOptions(options);
  const spool = new Spool({ dir: spoolDir(name, options.service ?? 'unknown', resolved.spoolDir), maxBytes: resolved.spoolMaxBytes });
  const batcher = new Batcher(name, (entries) => writer.write(entries), {
    ...resolved,
    writesInFlight: writer.writesInFlight,
    spool,
    redelivery: writer.redelivery,
  });
  const add = (entry: StoredLogEntry) => batcher.add(entry);
  return build(
    (source) => {
      // each line is parsed and normalized as it is split off (parseLine)
      source.on('data', add);
      // a line the normalizer failed on, should it ever: kept as the message
      source.on('unknown', (line: string) => add(normalizeEntry({ message: line })));
    },
    {
      parseLine: normalizeLine,
      async close() {
        const report = await batcher.close();
        if (options.report) writeReport(options.report, report);
        else {
          const text = describeReports({ [name]: report });
          if (text) process.stderr.write(`${text}\n`);
        }
        await within(WRITER_CLOSE_TIMEOUT_MS, writer.close());
      },
    },
  );
}
