import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { serve } from '@hono/node-server';
import { createNodeWebSocket } from '@hono/node-ws';
import { Hono, type Handler } from 'hono';
import type pg from 'pg';
import { createClient } from 'redis';
import { createApp } from '../../server/app.js';
import { createAuth, type ApiKey } from '../../server/auth.js';
import type { RedisClient } from '../../server/stores.js';
import { createStreamHub, createStreamRoutes, type StreamHub, type StreamLimits } from '../../server/stream/index.js';

export interface LogServerOptions {
  pool: pg.Pool;
  /** The Redis the server reads the stream from (possibly through a proxy). */
  redisUrl: string;
  streamKey: string;
  keys: ApiKey[];
  /** 0 for a free port; a port to restart on the same address. */
  port?: number;
  limits?: Partial<StreamLimits>;
  rateLimitPerMinute?: number;
  /** The Inngest serve handler for /api/inngest. */
  inngest?: Handler;
  /** The built UI; default none. */
  uiDir?: string;
}

export interface LogServer {
  port: number;
  /** The root app, for in-process requests (app.request). */
  app: Hono;
  hub: StreamHub;
  redis: RedisClient;
  wsUrl: string;
  baseUrl: string;
  stop(): Promise<void>;
}

/**
 * The whole server as startServer wires it (createApp with the live stream mounted) on the
 * test's own stores and stream key, served on 127.0.0.1.
 */
export async function startLogServer(options: LogServerOptions): Promise<LogServer> {
  const redis: RedisClient = createClient({ url: options.redisUrl });
  redis.on('error', () => {}); // an outage is what some tests make; the hub reports it
  await redis.connect();
  const hub = createStreamHub({ pool: options.pool, redis, streamKey: options.streamKey, limits: options.limits });
  await hub.start();
  const auth = createAuth(options.keys);
  const root = new Hono();
  const { upgradeWebSocket, injectWebSocket } = createNodeWebSocket({ app: root });
  root.route(
    '/',
    createApp({
      pool: options.pool,
      redis,
      auth,
      exportMaxRows: 100_000,
      rateLimitPerMinute: options.rateLimitPerMinute ?? 100_000,
      stream: createStreamRoutes({ hub, upgradeWebSocket, auth }),
      inngest: options.inngest,
      uiDir: options.uiDir ?? '/nonexistent-ui',
    }),
  );
  const server = serve({ fetch: root.fetch, hostname: '127.0.0.1', port: options.port ?? 0 }) as Server;
  injectWebSocket(server);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  if (!server.listening) await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    app: root,
    hub,
    redis,
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/api/platform/logs/stream`,
    async stop() {
      await hub.stop();
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy(); // upgraded ones included
      await closed;
      if (redis.isReady) await redis.close();
      else redis.destroy();
    },
  };
}
