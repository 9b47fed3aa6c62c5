import build from 'pino-abstract-transport';
import { loadConfig } from '../src/config.js';
import type { BatchingOptions } from '../src/transport-targets.js';
import type { StoredLogEntry } from '../src/types.js';
import { Batcher, type BatcherOptions } from './batcher.js';
import { normalizeEntry } from './normalize-entry.js';

/** The store side of a transport: one batch per call, at most `writesInFlight` calls at a time (default 1). */
export interface StoreWriter {
  write(entries: StoredLogEntry[]): Promise<void>;
  close(): Promise<void>;
  writesInFlight?: number;
}

const DEFAULT_CLOSE_TIMEOUT_MS = 8_000;
const WRITER_CLOSE_TIMEOUT_MS = 1_000;

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new Error(`platform-logging: transport option ${name} must be a positive whole number, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The batcher's options: the transport's own, else the environment's configuration (loadConfig). */
export function resolveBatcherOptions(options: BatchingOptions): BatcherOptions {
  const defaults = loadConfig().buffer;
  const batchSize = positiveInteger('batchSize', options.batchSize ?? defaults.batchSize);
  return {
    batchSize,
    flushIntervalMs: positiveInteger('flushIntervalMs', options.flushIntervalMs ?? defaults.flushIntervalMs),
    flushImmediatelyAt: options.flushImmediatelyAt ?? defaults.flushImmediatelyAt,
    maxBufferedEntries: positiveInteger('maxBufferedEntries', options.maxBufferedEntries ?? defaults.maxBufferedEntries),
    closeTimeoutMs: positiveInteger('closeTimeoutMs', options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS),
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
 * while the store is down. Lines that are not JSON are kept as the message of an entry.
 * On close, it writes what is buffered within the deadline, then closes the store.
 */
export function batchingTransport(name: string, options: BatchingOptions, writer: StoreWriter) {
  const batcher = new Batcher(name, (entries) => writer.write(entries), {
    ...resolveBatcherOptions(options),
    writesInFlight: writer.writesInFlight,
  });
  const add = (raw: Record<string, unknown>) => {
    try {
      batcher.add(normalizeEntry(raw));
    } catch (error) {
      process.stderr.write(`platform-logging ${name}: could not read an entry: ${(error as Error).message}\n`);
    }
  };
  return build(
    (source) => {
      source.on('unknown', (line: string) => add({ message: line }));
      // 'data' events rather than for await: no promise per line
      source.on('data', add);
    },
    {
      async close() {
        await batcher.close();
        await within(WRITER_CLOSE_TIMEOUT_MS, writer.close());
      },
    },
  );
}
