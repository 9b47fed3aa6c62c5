import { createLogger, type CreateLoggerOptions } from '../../src/factory.js';
import type { LogEntry } from '../../src/types.js';

/**
 * A logger whose lines land in memory, with no transports, no console and no
 * environment variables of the machine running the tests.
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
  const entries = (): LogEntry[] => lines.map((line) => JSON.parse(line) as LogEntry);
  const last = (): LogEntry => {
    if (lines.length === 0) throw new Error('nothing was logged');
    return JSON.parse(lines[lines.length - 1]) as LogEntry;
  };
  return { logger, lines, entries, last };
}

/** The line of the caller's own source, as the test runner maps it. */
export function lineHere(): number {
  const frame = new Error().stack!.split('\n')[2];
  return Number(/:(\d+):\d+\)?$/.exec(frame)![1]);
}
