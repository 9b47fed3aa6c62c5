import type pg from 'pg';
import { isStoreUnavailable } from '../http/errors.js';

/** Which database answered a read. */
export type ReadStore = 'primary' | 'replica';

/** A pool of each database a read may go to: the queries' one and the exports' one. */
export interface ReadPools {
  query: pg.Pool;
  export: pg.Pool;
}

export interface Reads {
  /**
   * Runs a read on the replica while it answers and keeps up, else on the primary; a read that
   * the replica cannot answer (it stopped, it is unreachable) runs again on the primary.
   */
  run<T>(kind: keyof ReadPools, read: (pool: pg.Pool) => Promise<T>): Promise<{ value: T; store: ReadStore }>;
  stop(): void;
}

export interface ReadsOptions {
  primary: ReadPools;
  replica?: ReadPools;
  /** A replica further behind than this is not read from (LOG_READ_MAX_LAG_MS). */
  maxLagMs: number;
  /** How often the replica's state is checked. Default 2 s. */
  checkIntervalMs?: number;
}

// Caught up when it has replayed all it received; otherwise as old as its last replayed commit.
const LAG_SQL = `SELECT pg_is_in_recovery() AS standby,
  CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
       ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000, 'Infinity') END AS lag_ms`;

/** Reads for DATABASE_READ_URL (a streaming standby), or all on the primary without one. */
export function createReads({ primary, replica, maxLagMs, checkIntervalMs = 2_000 }: ReadsOptions): Reads {
  let usable = false;
  const check = async () => {
    try {
      const { rows } = await replica!.query.query<{ standby: boolean; lag_ms: number }>(LAG_SQL);
      usable = rows[0]!.standby ? Number(rows[0]!.lag_ms) <= maxLagMs : true;
    } catch {
      usable = false;
    }
  };
  const timer = replica ? setInterval(check, checkIntervalMs).unref() : undefined;
  const ready = replica ? check() : Promise.resolve();

  return {
    async run(kind, read) {
      await ready;
      if (!replica || !usable) return { value: await read(primary[kind]), store: 'primary' };
      try {
        return { value: await read(replica[kind]), store: 'replica' };
      } catch (error) {
        if (!isStoreUnavailable(error)) throw error;
        usable = false;
        return { value: await read(primary[kind]), store: 'primary' };
      }
    },
    stop: () => clearInterval(timer),
  };
}
