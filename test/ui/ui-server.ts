import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createNodeWebSocket } from '@hono/node-ws';
import { Hono } from 'hono';
import { createClient } from 'redis';
import { createApp } from '../../server/app.js';
import { createAuth, type ApiKey } from '../../server/auth.js';
import type { RedisClient } from '../../server/stores.js';
import { createStreamHub, createStreamRoutes } from '../../server/stream/index.js';
import type { TestStores } from '../support/stores.js';

export interface UiServer {
  baseUrl: string;
  close(): Promise<void>;
}

const UI_DIR = new URL('../../dist/ui', import.meta.url).pathname;

/** The real server (API, live stream, built UI) on the test file's stores, on `port` or a free one. */
export async function startUiServer(stores: TestStores, keys: ApiKey[], port = 0): Promise<UiServer> {
  const redis: RedisClient = createClient({ url: stores.redisUrl });
  await redis.connect();
  const auth = createAuth(keys);
  const root = new Hono();
  const { upgradeWebSocket, injectWebSocket } = createNodeWebSocket({ app: root });
  const hub = createStreamHub({ pool: stores.pool, redis, streamKey: stores.streamKey, limits: { heartbeatMs: 2_000 } });
  await hub.start();
  root.route(
    '/',
    createApp({
      pool: stores.pool,
      redis,
      auth,
      exportMaxRows: 100_000,
      rateLimitPerMinute: 100_000,
      stream: createStreamRoutes({ hub, upgradeWebSocket, auth }),
      uiDir: UI_DIR,
    }),
  );

  const server: ServerType = await new Promise((resolve) => {
    const started = serve({ fetch: root.fetch, hostname: '127.0.0.1', port }, () => resolve(started));
  });
  injectWebSocket(server);
  const address = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    async close() {
      await hub.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      await redis.quit();
    },
  };
}
