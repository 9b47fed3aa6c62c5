import { createLogger, type CreateLoggerOptions } from '../../src/factory.js';
import type { LogEntry } from '../../src/types.js';
import { normalizeLine } from '../../transports/normalize-entry.js';

/** A wire line as the stores keep it: every LogEntry field, null when absent (without what the worker derives). */
export function storedEntry(line: string): LogEntry {
  const { errorSignature: _signature, messageTemplate: _template, ...entry } = normalizeLine(line);
  return entry;
}

/**
 * A logger whose lines land in memory, with no transports, no console and no
 * environment variables of the machine running the tests. `entries()` are the lines as the
 * stores keep them, `wire()` the lines as written.
 */
export function captureLogger(options: Partial<CreateLoggerOptions> = {}) {
  const lines: string[] = [];
  const logger = createLogger({
    service: 'admin',
    transports: false,
    env: {},
    ...options,
    config: { console: 'off', ...options.config },
    destination: { write: (line: string) => void lines.push(line) },
  });
  const wire = (): Record<string, unknown>[] => lines.map((line) => JSON.parse(line));
  const entries = (): LogEntry[] => lines.map(storedEntry);
  const last = (): LogEntry => {
    if (lines.length === 0) throw new Error('nothing was logged');
    return storedEntry(lines[lines.length - 1]);
  };
  return { logger, lines, wire, entries, last };
}

/** The line after the call: where the test makes the log call it checks. */
export function nextLine(): number {
  const frame = new Error().stack!.split('\n')[2];
  return Number(/:(\d+):\d+\)?$/.exec(frame)![1]) + 1;
}
