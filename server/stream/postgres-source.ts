import type pg from 'pg';
import type { StoredLogEntry } from '../../src/types.js';
import { ENTRY_COLUMNS } from '../../src/entry-fields.js';
import { DEFAULT_NOTIFY_CHANNEL } from '../../src/transport-targets.js';
import { rowToEntry } from '../store/entry-row.js';
import { sleep, type SourceEvents, type StreamItem, type StreamLogger, type StreamSource } from './source.js';
import { decodePostgresPosition, encodePostgresPosition, type PostgresPosition } from './stream-id.js';

export interface PostgresSourceOptions {
  pool: pg.Pool;
  /** The channel transports may NOTIFY after a batch; polling happens with or without it. */
  notifyChannel?: string;
  pollIntervalMs?: number;
  /** How far back each poll looks again for rows committed after newer ones. */
  lagMs?: number;
  /** The most entries a resume replays; older ones count as trimmed. */
  maxReplay?: number;
  logger?: StreamLogger;
}

const PAGE_SIZE = 1000;
const MAX_PAGES_PER_POLL = 50;
const MAX_SEEN = 200_000;
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

function positionOf(entry: StoredLogEntry): PostgresPosition {
  return { timestamp: new Date(entry.timestamp), id: entry.id };
}

function itemOf(entry: StoredLogEntry): StreamItem {
  return { streamId: encodePostgresPosition(positionOf(entry)), entry };
}

/**
 * The live stream without Redis: polls platform_logs for new rows, at once when a NOTIFY
 * arrives and at least every `pollIntervalMs`. Batches from several processes commit out
 * of timestamp order, so each poll reads again the last `lagMs` before the newest row
 * seen and skips the ids it has already sent.
 */
export function createPostgresSource({
  pool,
  notifyChannel = DEFAULT_NOTIFY_CHANNEL,
  pollIntervalMs = 1_000,
  lagMs = 10_000,
  maxReplay = 10_000,
  logger,
}: PostgresSourceOptions): StreamSource {
  if (!/^[a-z_][a-z0-9_]{0,62}$/i.test(notifyChannel))
    throw new Error(`invalid NOTIFY channel name "${notifyChannel}"`);
  let newest: PostgresPosition | null = null;
  /** Ids already sent, with their timestamp (ms), for rows inside the lag window. */
  const seen = new Map<string, number>();
  let events: SourceEvents | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | null = null;
  let pollAgain = false;
  let unavailableSince: number | null = null;
  let listener: pg.PoolClient | null = null;
  let listening: Promise<void> | null = null;

  const rowsAfter = async (after: PostgresPosition, limit: number): Promise<StoredLogEntry[]> => {
    const { rows } = await pool.query(
      `SELECT ${ENTRY_COLUMNS} FROM platform_logs WHERE ("timestamp", id) > ($1, $2)
       ORDER BY "timestamp", id LIMIT $3`,
      [after.timestamp, after.id, limit],
    );
    return rows.map(rowToEntry);
  };

  /** Every row in the lag window; only those not seen yet are sent (when `send`). */
  const readWindow = async (send: boolean) => {
    let after: PostgresPosition = { timestamp: new Date(newest!.timestamp.getTime() - lagMs), id: ZERO_UUID };
    const fresh: StreamItem[] = [];
    for (let page = 0; page < MAX_PAGES_PER_POLL; page++) {
      const entries = await rowsAfter(after, PAGE_SIZE);
      for (const entry of entries) {
        if (seen.has(entry.id)) continue;
        const position = positionOf(entry);
        seen.set(entry.id, position.timestamp.getTime());
        if (send) fresh.push(itemOf(entry));
        if (position.timestamp > newest!.timestamp) newest = position;
      }
      if (entries.length < PAGE_SIZE) break;
      after = positionOf(entries[entries.length - 1]);
    }
    forgetOutsideWindow();
    if (fresh.length > 0) events?.items(fresh);
  };

  const forgetOutsideWindow = () => {
    const oldest = newest!.timestamp.getTime() - lagMs;
    for (const [id, at] of seen) if (at < oldest || seen.size > MAX_SEEN) seen.delete(id);
  };

  const pollOnce = async () => {
    try {
      if (newest === null) {
        const { rows } = await pool.query<{ timestamp: Date; id: string }>(
          'SELECT "timestamp", id FROM platform_logs ORDER BY "timestamp" DESC, id DESC LIMIT 1',
        );
        newest = rows[0] ?? { timestamp: new Date(), id: ZERO_UUID };
        await readWindow(false); // what is already there is not news
      } else {
        await readWindow(true);
      }
      if (unavailableSince !== null) {
        const outageMs = Date.now() - unavailableSince;
        unavailableSince = null;
        events?.recovered(outageMs > lagMs);
      }
    } catch (error) {
      if (unavailableSince === null) {
        unavailableSince = Date.now();
        logger?.warn('live stream: PostgreSQL poll failed; retrying', { error: (error as Error).message });
      }
    }
  };

  const poll = () => {
    if (stopped) return;
    if (polling) {
      pollAgain = true;
      return;
    }
    polling = (async () => {
      do {
        pollAgain = false;
        await pollOnce();
      } while (pollAgain && !stopped);
      polling = null;
    })();
  };

  /** Holds one connection that LISTENs; reconnects with backoff when it is lost. */
  const listen = async () => {
    let backoffMs = 100;
    while (!stopped) {
      let client: pg.PoolClient | null = null;
      try {
        client = await pool.connect();
        const connection = client;
        const lost = new Promise<void>((resolve) => {
          connection.on('error', () => resolve());
          connection.once('end', () => resolve());
        });
        client.on('notification', poll);
        await client.query(`LISTEN ${notifyChannel}`);
        if (stopped) {
          client.release(true);
          return;
        }
        listener = client;
        backoffMs = 100;
        poll(); // rows may have come while it was not listening
        await lost;
        if (listener === client) {
          listener = null;
          client.release(true);
        }
      } catch {
        client?.release(true);
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
  };

  return {
    async start(handlers) {
      events = handlers;
      poll();
      await polling;
      timer = setInterval(poll, pollIntervalMs);
      listening = listen();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      if (listener) {
        listener.removeAllListeners('notification');
        listener.release(true); // ends the connection, which ends the listen loop
        listener = null;
      }
      await Promise.all([polling, listening]);
    },
    position: () => (newest ? encodePostgresPosition(newest) : null),
    isStreamId: (id) => decodePostgresPosition(id) !== null,
    async replayStart(id) {
      const from = decodePostgresPosition(id)!;
      const { rows } = await pool.query<{ timestamp: Date; id: string }>(
        `SELECT "timestamp", id FROM platform_logs WHERE ("timestamp", id) > ($1, $2)
         ORDER BY "timestamp" DESC, id DESC OFFSET $3 LIMIT 1`,
        [from.timestamp, from.id, maxReplay],
      );
      return rows[0] ? { after: encodePostgresPosition(rows[0]), trimmed: true } : { after: id, trimmed: false };
    },
    async readAfter(id, limit) {
      return (await rowsAfter(decodePostgresPosition(id)!, limit)).map(itemOf);
    },
  };
}
