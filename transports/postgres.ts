import pg from 'pg';
import { DEFAULT_NOTIFY_CHANNEL, type PostgresTransportOptions } from '../src/transport-targets.js';
import { batchingTransport } from './batching-transport.js';
import { insertEntries } from './postgres-insert.js';

const WRITES_IN_FLIGHT = 2;

/**
 * pino transport into PostgreSQL's platform_logs: one write per batch (INSERT … unnest for
 * small batches, COPY straight into the table for large ones, through staging when a batch
 * holds an id already stored; see insertEntries), duplicates skipped by the primary key.
 * Each committed batch is announced with a NOTIFY on `notifyChannel` (payload: the rows
 * added), which the live stream without Redis listens to.
 * Load it by path: `pino.transport({ target: 'platform-logging/transports/postgres', options })`.
 */
export default async function postgresTransport(options: PostgresTransportOptions) {
  if (typeof options?.connectionString !== 'string' || options.connectionString === '') {
    throw new Error('platform-logging: the postgres transport needs options.connectionString');
  }
  const notifyChannel = options.notifyChannel ?? DEFAULT_NOTIFY_CHANNEL;
  // PostgreSQL refuses an empty channel name and one longer than 63 bytes: refused here, not on every batch
  if (typeof notifyChannel !== 'string' || notifyChannel === '' || Buffer.byteLength(notifyChannel) > 63) {
    throw new Error(`platform-logging: options.notifyChannel must be 1 to 63 bytes of text, got ${JSON.stringify(options.notifyChannel)}`);
  }
  // Two connections: while a backlog of full batches waits, one batch is sent while the
  // other commits, so PostgreSQL keeps working between batches. A failed query discards its
  // connection, so the next write reconnects; the timeouts keep a dead network from holding a write.
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: WRITES_IN_FLIGHT,
    connectionTimeoutMillis: 5_000,
    query_timeout: 20_000,
    keepAlive: true,
    application_name: 'platform-logging transport',
  });
  pool.on('error', () => {});
  return batchingTransport('postgres', options, {
    write: async (entries) => {
      await insertEntries(pool, entries, notifyChannel);
    },
    close: () => pool.end(),
    writesInFlight: WRITES_IN_FLIGHT,
  });
}
