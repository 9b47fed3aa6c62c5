import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { createApp, type AppOptions } from './app.js';
import { createStreamRoutes, type StreamHub } from './stream/index.js';
import { MAX_CLIENT_MESSAGE_BYTES } from './stream/routes.js';
import { serveWebSocketUpgrades } from './stream/websocket-upgrade.js';

export interface ServeOptions extends Omit<AppOptions, 'stream'> {
  /** A started stream hub; the live stream routes are made on it. */
  hub: StreamHub;
  hostname: string;
  /** 0 for a free port. */
  port: number;
}

export interface ServedApp {
  /** The root app, for in-process requests (app.request). */
  app: Hono;
  port: number;
  /**
   * Stops accepting, stops the stream hub (closing its clients), lets requests in flight
   * finish for up to `graceMs`, then ends every socket left, upgraded ones included.
   */
  close(graceMs: number): Promise<void>;
}

/** The whole HTTP surface (createApp with the live stream) served on Node, WebSockets included. */
export async function serveApp(options: ServeOptions): Promise<ServedApp> {
  const { hub, hostname, port, ...appOptions } = options;
  const root = new Hono();
  root.route(
    '/',
    createApp({ ...appOptions, stream: (limit) => createStreamRoutes({ hub, auth: options.auth, limit }) }),
  );

  const server: ServerType = await new Promise((resolve, reject) => {
    const started = serve({ fetch: root.fetch, hostname, port }, () => resolve(started));
    started.once('error', reject);
  });
  // a margin over the largest message a client may send, which the route refuses with a reason
  serveWebSocketUpgrades(server as Server, root.fetch, { maxPayload: 4 * MAX_CLIENT_MESSAGE_BYTES });
  // Upgraded sockets leave the HTTP server's bookkeeping: kept here, so close can end them.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  return {
    app: root,
    port: (server.address() as { port: number }).port,
    async close(graceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if ('closeIdleConnections' in server) server.closeIdleConnections();
      await hub.stop();
      const grace = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs).unref();
      await closed;
      clearTimeout(grace);
      // the HTTP server does not wait for upgraded sockets; one upgraded while the hub stopped would stay open
      for (const socket of sockets) socket.destroy();
    },
  };
}
