import type { StoredLogEntry } from '../../src/types.js';
import type { RedisClient } from '../stores.js';
import { sleep, type SourceEvents, type StreamItem, type StreamLogger, type StreamSource } from './source.js';
import { compareRedisStreamIds, isRedisStreamId } from './stream-id.js';

export interface RedisSourceOptions {
  /** A connected client for short commands; the source makes its own blocking connection from it. */
  redis: RedisClient;
  streamKey: string;
  logger?: StreamLogger;
  /** How long one XREAD blocks; bounds how late a dead connection is noticed. */
  blockMs?: number;
  maxBackoffMs?: number;
}

const READ_COUNT = 500;
/** The blocking connection's name in CLIENT LIST. */
export const READER_CONNECTION_NAME = 'platform-logs:stream-reader';

/** The part of XINFO STREAM's reply that tells what was trimmed. */
interface StreamInfo {
  'first-entry': { id: string } | null;
  'last-generated-id': string;
}

interface RawMessage {
  id: string;
  message: Record<string, string>;
}

/**
 * Reads the Redis stream the transports XADD to, with ONE blocking XREAD loop on a
 * dedicated connection, from the last id it read.
 */
export function createRedisSource({
  redis,
  streamKey,
  logger,
  blockMs = 5_000,
  maxBackoffMs = 5_000,
}: RedisSourceOptions): StreamSource {
  const blocking = redis.duplicate({ name: READER_CONNECTION_NAME });
  blocking.on('error', () => {}); // failures surface as rejected commands, handled in the loop
  let lastId: string | null = null;
  let stopped = false;
  let loop: Promise<void> | null = null;

  const toItems = (messages: RawMessage[]): StreamItem[] => {
    const items: StreamItem[] = [];
    for (const { id, message } of messages) {
      try {
        items.push({ streamId: id, entry: JSON.parse(message.entry) as StoredLogEntry });
      } catch {
        logger?.warn('live stream: skipped a stream entry that is not JSON', { streamId: id });
      }
    }
    return items;
  };

  /** Where reading starts: after the stream's newest entry ('0-0' when it is empty). */
  const newestId = async (): Promise<string> => {
    const [last] = (await redis.xRevRange(streamKey, '+', '-', { COUNT: 1 })) ?? [];
    return last?.id ?? '0-0';
  };

  /**
   * Entries after `id` are lost when the stream now starts past it, when it is empty although
   * it has made newer ids since (trimmed to nothing), or when it is gone (Redis restarted).
   */
  const trimmedAfter = async (id: string): Promise<boolean> => {
    if (id === '0-0') return false;
    const info = (await redis.xInfoStream(streamKey).catch((error: Error) => {
      if (/no such key/i.test(error.message)) return null;
      throw error;
    })) as StreamInfo | null;
    if (info === null) return true;
    const first = info['first-entry']?.id;
    return compareRedisStreamIds(first ?? info['last-generated-id'], id) > 0;
  };

  const run = async (events: SourceEvents) => {
    let backoffMs = 100;
    let unavailable = false;
    while (!stopped) {
      try {
        if (!blocking.isOpen) await blocking.connect();
        lastId ??= await newestId();
        const from: string = lastId;
        if (unavailable) {
          const trimmed = await trimmedAfter(from);
          unavailable = false;
          backoffMs = 100;
          events.recovered(trimmed);
        }
        const reply = (await blocking.xRead({ key: streamKey, id: from }, { BLOCK: blockMs, COUNT: READ_COUNT })) as
          | { messages: RawMessage[] }[]
          | null;
        const messages = reply?.[0]?.messages ?? [];
        if (messages.length === 0) continue;
        lastId = messages[messages.length - 1].id;
        const items = toItems(messages);
        if (items.length > 0) events.items(items);
      } catch (error) {
        if (stopped) return;
        if (!unavailable)
          logger?.warn('live stream: Redis is unavailable; retrying', { error: (error as Error).message });
        unavailable = true;
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
      }
    }
  };

  return {
    async start(events) {
      lastId = await newestId().catch(() => null); // when Redis is down, the loop finds it later
      loop = run(events);
    },
    async stop() {
      stopped = true;
      if (blocking.isOpen) blocking.destroy();
      await loop;
    },
    position: () => lastId,
    isStreamId: isRedisStreamId,
    async replayStart(id) {
      return { after: id, trimmed: await trimmedAfter(id) };
    },
    async readAfter(id, limit) {
      return toItems((await redis.xRange(streamKey, `(${id}`, '+', { COUNT: limit })) ?? []);
    },
  };
}
