import type pg from 'pg';
import { DEFAULT_STREAM_KEY } from '../../src/transport-targets.js';
import type { Principal } from '../../src/api-types.js';
import { randomBytes } from 'node:crypto';
import { principalKey, type Credential } from '../auth.js';
import { createPositionSeal, type PositionSeal } from './position-seal.js';
import { createPostgresSource } from './postgres-source.js';
import { createRedisSource } from './redis-source.js';
import type { RedisClient } from '../stores.js';
import type { StreamItem, StreamLogger, StreamSource } from './source.js';
import { StreamClient, deliveryOf, type ClientLimits, type ClientSink, type Delivery } from './stream-client.js';

export interface StreamLimits extends ClientLimits {
  heartbeatMs: number;
  maxClients: number;
  /** Per principal: the platform, or one tenant. */
  maxClientsPerKey: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  heartbeatMs: 15_000,
  maxBufferedBytes: 1024 * 1024,
  maxQueuedEntries: 10_000,
  slowClientTimeoutMs: 30_000,
  maxClients: 1000,
  maxClientsPerKey: 20,
};

export interface StreamHubOptions {
  /** The platform_logs database; the live source when there is no Redis. */
  pool: pg.Pool;
  /** A connected client; when given, the hub reads the Redis stream. */
  redis?: RedisClient;
  /** Default `platform:logs:stream`. */
  streamKey?: string;
  /** Without Redis: the channel transports may NOTIFY after a batch. Default `platform_logs`. */
  notifyChannel?: string;
  /** Without Redis: how often PostgreSQL is polled (ms). Default 1000. */
  pollIntervalMs?: number;
  limits?: Partial<StreamLimits>;
  logger?: StreamLogger;
  /**
   * The secret stream positions are sealed with (see position-seal.ts). Every process serving
   * the same clients needs the same one, so that a position survives a restart or a move to
   * another process; default a random one for this hub alone.
   */
  positionSecret?: Buffer;
}

export type Admission = { ok: true } | { ok: false; error: string };

export interface StreamHub {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** 'redis' or 'postgres': where live entries come from. */
  readonly mode: 'redis' | 'postgres';
  /** Whether one more client of the principal may connect. */
  admit(principal: Principal): Admission;
  /** Registers a connected client; null when the limits were reached meanwhile. */
  connect(credential: Credential, sink: ClientSink): StreamClient | null;
  disconnect(client: StreamClient): void;
  /** The position new subscriptions start after (not sealed). */
  position(): string | null;
  /** The stream position a sealed one holds, or null when it is not one this key was given. */
  openPosition(keyId: string, sealed: string): string | null;
  clientCount(): number;
}

const SLOW_CHECK_MS = 1_000;

/**
 * One per server process: ONE reader of the live source, fanned out to every connected
 * client according to its own filters. The fan-out never waits for a client.
 */
export function createStreamHub(options: StreamHubOptions): StreamHub {
  const limits: StreamLimits = { ...DEFAULT_STREAM_LIMITS, ...options.limits };
  const source: StreamSource = options.redis
    ? createRedisSource({
        redis: options.redis,
        streamKey: options.streamKey ?? DEFAULT_STREAM_KEY,
        logger: options.logger,
      })
    : createPostgresSource({
        pool: options.pool,
        notifyChannel: options.notifyChannel,
        pollIntervalMs: options.pollIntervalMs,
        logger: options.logger,
      });
  const clients = new Set<StreamClient>();
  const perKey = new Map<string, number>();
  const timers: NodeJS.Timeout[] = [];
  const positionSecret = options.positionSecret ?? randomBytes(32);
  // one per configured key at most: keys are few
  const seals = new Map<string, PositionSeal>();
  const sealFor = (keyId: string) => {
    let seal = seals.get(keyId);
    if (!seal) seals.set(keyId, (seal = createPositionSeal(positionSecret, keyId)));
    return seal;
  };

  const fanOut = (items: StreamItem[]) => {
    for (const item of items) {
      let entryJson: string | undefined;
      // sealed once for each key with a client that wants the entry
      const deliveries = new Map<PositionSeal, Delivery>();
      for (const client of clients) {
        if (!client.wants(item)) continue;
        entryJson ??= JSON.stringify(item.entry);
        let delivery = deliveries.get(client.seal);
        if (!delivery) deliveries.set(client.seal, (delivery = deliveryOf(client.seal, item.streamId, entryJson)));
        client.offer(item.streamId, delivery);
      }
    }
  };

  let stopped = false;

  const admit = (principal: Principal): Admission => {
    if (stopped) return { ok: false, error: 'the server is shutting down; try again shortly' };
    if (clients.size >= limits.maxClients)
      return { ok: false, error: 'the server has too many stream clients; try again later' };
    if ((perKey.get(principalKey(principal)) ?? 0) >= limits.maxClientsPerKey) {
      return { ok: false, error: `this key already has ${limits.maxClientsPerKey} open streams` };
    }
    return { ok: true };
  };

  const disconnect = (client: StreamClient) => {
    if (!clients.delete(client)) return;
    client.close();
    const left = (perKey.get(client.limitKey) ?? 1) - 1;
    if (left > 0) perKey.set(client.limitKey, left);
    else perKey.delete(client.limitKey);
  };

  return {
    mode: options.redis ? 'redis' : 'postgres',
    async start() {
      await source.start({
        items: fanOut,
        recovered(trimmed) {
          if (!trimmed) return;
          for (const client of clients) client.notify({ type: 'gap', reason: 'store-unavailable' });
        },
      });
      timers.push(
        setInterval(() => {
          const at = new Date();
          for (const client of clients) client.heartbeat(at);
        }, limits.heartbeatMs),
        setInterval(
          () => {
            const now = Date.now();
            for (const client of clients) {
              if (client.checkSlow(now)) continue; // false: stuck past the timeout
              disconnect(client);
              client.terminate();
            }
          },
          Math.min(SLOW_CHECK_MS, limits.slowClientTimeoutMs),
        ),
      );
    },
    async stop() {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      for (const client of [...clients]) {
        disconnect(client);
        client.terminate();
      }
      await source.stop();
    },
    admit,
    connect({ principal, keyId }, sink) {
      if (!admit(principal).ok) return null;
      const client = new StreamClient(principal, principalKey(principal), sealFor(keyId), sink, source, limits);
      clients.add(client);
      perKey.set(client.limitKey, (perKey.get(client.limitKey) ?? 0) + 1);
      return client;
    },
    disconnect,
    position: () => source.position(),
    openPosition(keyId, sealed) {
      const position = sealFor(keyId).open(sealed);
      return position !== null && source.isStreamId(position) ? position : null;
    },
    clientCount: () => clients.size,
  };
}
