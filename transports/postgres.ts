import pg from 'pg';
import {
  DEFAULT_NOTIFY_CHANNEL,
  checkPostgresOptions,
  type PostgresTransportOptions,
  type StoreOptionNames,
} from '../src/transport-targets.js';
import { storesTransport, type StoreWriter } from './batching-transport.js';
import { insertEntries } from './postgres-insert.js';

const WRITES_IN_FLIGHT = 2;

/**
 * The PostgreSQL store: one write per batch into platform_logs (INSERT … unnest for small
 * batches, COPY straight into the table for large ones, through staging when a batch holds
 * an id already stored; see insertEntries), duplicates skipped by the primary key. Each
 * committed batch is announced with a NOTIFY on `notifyChannel` (payload: the rows added),
 * which the live stream without Redis listens to.
 */
export function openPostgres(options: PostgresTransportOptions, names: StoreOptionNames): StoreWriter {
  checkPostgresOptions(options, names);
  const notifyChannel = options.notifyChannel ?? DEFAULT_NOTIFY_CHANNEL;
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
  const server = `PostgreSQL ${serverOf(options.connectionString)}`;
  return {
    write: async (entries) => {
      try {
        await insertEntries(pool, entries, notifyChannel);
      } catch (error) {
        throw new Error(`${server}: ${(error as Error)?.message ?? error}`, { cause: error });
      }
    },
    close: () => pool.end(),
    writesInFlight: WRITES_IN_FLIGHT,
  };
}

/** host:port of a connection string, or the socket folder. */
function serverOf(connectionString: string): string {
  if (connectionString.startsWith('/')) return connectionString;
  const url = new URL(connectionString);
  const socket = url.searchParams.get('host');
  return url.hostname ? `${url.hostname}:${url.port || 5432}` : (socket ?? 'localhost:5432');
}

/**
 * pino transport into PostgreSQL alone (see openPostgres).
 * Load it by path: `pino.transport({ target: 'platform-logging/transports/postgres', options })`.
 */
export default async function postgresTransport(options: PostgresTransportOptions) {
  return storesTransport(options ?? {}, [
    {
      name: 'postgres',
      options: options ?? {},
      open: () => openPostgres(options, { url: 'options.connectionString', options: 'options.' }),
    },
  ]);
}
