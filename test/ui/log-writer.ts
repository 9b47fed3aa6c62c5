/**
 * A service process for the browser tests, logging into the real platform transports
 * (PostgreSQL and the Redis stream):
 *   tail <word> logs a numbered line every 150 ms through createLogger, until SIGTERM
 *   seed <file> writes the entries of a JSON file through plain pino, since they carry
 *               their own ids and past timestamps, then exits once they are stored
 * Stores from DATABASE_URL, REDIS_URL, STREAM_KEY, CHANNEL.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { createLogger } from '../../src/factory.js';
import { platformTransportTargets, type PlatformTransportOptions } from '../../src/transport-targets.js';
import type { LogEntry } from '../../src/types.js';
import { liveLine } from './dataset.js';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const flushIntervalMs = 100;
const stores: PlatformTransportOptions = {
  level: 'debug',
  postgres: { connectionString: env('DATABASE_URL'), flushIntervalMs },
  redis: { url: env('REDIS_URL'), streamKey: env('STREAM_KEY'), channel: env('CHANNEL'), flushIntervalMs },
};

async function tail(word: string): Promise<void> {
  const logger = createLogger({
    service: 'storefront',
    environment: 'test',
    transports: stores,
    config: { buffer: { flushIntervalMs } },
  });
  let n = 0;
  const timer = setInterval(() => {
    const { level, message, data, ...context } = liveLine(n++, word);
    logger.child(context)[level](message, data);
  }, 150);
  await once(process, 'SIGTERM');
  clearInterval(timer);
  await logger.close();
}

async function seed(file: string): Promise<void> {
  const transport = pino.transport({ targets: platformTransportTargets(stores) });
  const logger = pino({ level: 'debug', base: null, timestamp: false, messageKey: 'message' }, transport);
  for (const { level, message, ...fields } of JSON.parse(readFileSync(file, 'utf8')) as LogEntry[])
    logger[level](fields, message);
  // the transport worker is unref'd: without this timer the process could exit before it closed
  const keepAlive = setInterval(() => {}, 1_000);
  const closed = once(transport, 'close');
  transport.end();
  await closed;
  clearInterval(keepAlive);
}

const [mode, argument] = process.argv.slice(2);
if (mode === 'tail') await tail(argument ?? 'live');
else if (mode === 'seed' && argument) await seed(argument);
else throw new Error('usage: log-writer tail <word> | seed <entries.json>');
