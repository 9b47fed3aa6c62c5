/**
 * A service process for the browser tests: logs through plain pino into the real
 * platform transports (PostgreSQL and the Redis stream).
 *   seed <file> writes the entries of a JSON file, then exits once the transports flushed them
 *   tail <word> writes a numbered line every 150 ms until SIGTERM
 * Stores from DATABASE_URL, REDIS_URL, STREAM_KEY, CHANNEL.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { platformTransportTargets } from '../../src/transport-targets.js';
import type { LogEntry } from '../../src/types.js';
import { liveEntry } from './dataset.js';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const flushIntervalMs = 100;
const transport = pino.transport({
  targets: platformTransportTargets({
    level: 'debug',
    postgres: { connectionString: env('DATABASE_URL'), flushIntervalMs },
    redis: { url: env('REDIS_URL'), streamKey: env('STREAM_KEY'), channel: env('CHANNEL'), flushIntervalMs },
  }),
});
const logger = pino({ level: 'debug', base: null, timestamp: false, messageKey: 'message' }, transport);

function log({ level, message, ...fields }: LogEntry): void {
  logger[level](fields, message);
}

async function close(): Promise<void> {
  // the transport worker is unref'd: without this timer the process could exit before it closed
  const keepAlive = setInterval(() => {}, 1_000);
  const closed = once(transport, 'close');
  transport.end();
  await closed;
  clearInterval(keepAlive);
}

const [mode, argument] = process.argv.slice(2);
if (mode === 'seed' && argument) {
  for (const entry of JSON.parse(readFileSync(argument, 'utf8')) as LogEntry[]) log(entry);
  await close();
} else if (mode === 'tail') {
  let n = 0;
  const timer = setInterval(() => log(liveEntry(n++, argument ?? 'live')), 150);
  process.once('SIGTERM', () => {
    clearInterval(timer);
    void close().then(() => process.exit(0));
  });
  process.stdout.write('ready\n');
} else {
  throw new Error('usage: log-writer seed <entries.json> | tail <word>');
}
