import pg from 'pg';
import type { PostgresTransportOptions } from '../src/transport-targets.js';
import { batchingTransport } from './batching-transport.js';
import { insertEntries } from './postgres-insert.js';

/**
 * pino transport into PostgreSQL's platform_logs: one statement per batch (INSERT … unnest
 * for small batches, COPY + staging for large ones; see insertEntries), duplicates skipped
 * by the primary key.
 * Load it by path: `pino.transport({ target: 'platform-logging/transports/postgres', options })`.
 */
export default async function postgresTransport(options: PostgresTransportOptions) {
  if (typeof options?.connectionString !== 'string' || options.connectionString === '') {
    throw new Error('platform-logging: the postgres transport needs options.connectionString');
  }
  // One connection: writes are serialized anyway. A failed query discards its connection,
  // so the next write reconnects; the timeouts keep a dead network from holding a write.
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: 1,
    connectionTimeoutMillis: 5_000,
    query_timeout: 20_000,
    keepAlive: true,
    application_name: 'platform-logging transport',
  });
  pool.on('error', () => {});
  return batchingTransport('postgres', options, {
    write: (entries) => insertEntries(pool, entries),
    close: () => pool.end(),
  });
}
