import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { Context } from 'hono';
import { WebSocketServer, type WebSocket } from 'ws';

/** What a route does with the WebSocket once the handshake is done. */
export type WebSocketHandler = (socket: WebSocket) => void;

/** The Hono `env` of a request that asks for an upgrade: the route leaves its handler here. */
interface UpgradeEnv {
  incoming: IncomingMessage;
  websocket?: WebSocketHandler;
}

/**
 * In a route: accepts the WebSocket upgrade this request asks for, to be handled by `handler`
 * once the handshake is done. Null when the request is not a WebSocket upgrade.
 */
export function acceptWebSocket(c: Context, handler: WebSocketHandler): Response | null {
  const env = c.env as Partial<UpgradeEnv> | undefined;
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket' || !env || !('websocket' in env)) return null;
  env.websocket = handler;
  return c.body(null, 200);
}

/**
 * The request as the app sees it, or why no URL or Headers can hold it. (A result, not a
 * Response to test with instanceof: @hono/node-server replaces the global Response class.)
 */
function toRequest(incoming: IncomingMessage): { request: Request } | { malformed: string } {
  let url: URL;
  const target = incoming.url ?? '';
  // origin form (/path) or absolute form (http://host/path); `*` and the rest are for other methods
  if (!target.startsWith('/') && !/^https?:\/\//i.test(target))
    return { malformed: 'the request target is not a valid path' };
  try {
    url = new URL(target, 'http://localhost');
  } catch {
    return { malformed: 'the request target is not a valid path' };
  }
  try {
    const headers = new Headers();
    for (const [name, value] of Object.entries(incoming.headers)) {
      if (value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
    }
    return { request: new Request(url, { method: incoming.method, headers }) };
  } catch {
    return { malformed: 'the request has a header that is not valid' };
  }
}

/** Writes a whole HTTP response on a socket that was not upgraded, then closes it. */
async function writeResponse(socket: Duplex, response: Response): Promise<void> {
  const lines = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}`];
  for (const [name, value] of response.headers)
    if (name !== 'content-length' && name !== 'connection') lines.push(`${name}: ${value}`);
  lines.push('Connection: close', '', '');
  socket.write(lines.join('\r\n'));
  if (response.body) await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), socket);
  else socket.end();
}

/**
 * Answers every upgrade request of `server` through `fetch` (the app), as if it were an
 * ordinary request, and upgrades it only when the route accepted it with acceptWebSocket.
 * Refusals go out as the app wrote them (JSON body, WWW-Authenticate, Retry-After). No input
 * can throw out of here: a malformed target or header is a 400, and a socket that errors or
 * resets at any point is destroyed, never left to crash the process.
 */
export function serveWebSocketUpgrades(
  server: Server,
  fetch: (request: Request, env: UpgradeEnv) => Response | Promise<Response>,
  options: { maxPayload: number },
): WebSocketServer {
  const sockets = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });
  server.on('upgrade', (incoming: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    void answer(incoming, socket, head).catch(() => socket.destroy());
  });

  async function answer(incoming: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const parsed = toRequest(incoming);
    if ('malformed' in parsed)
      return writeResponse(socket, Response.json({ error: parsed.malformed }, { status: 400 }));
    const env: UpgradeEnv = { incoming, websocket: undefined };
    const response = await fetch(parsed.request, env);
    const handler = env.websocket;
    if (!handler) return writeResponse(socket, response);
    if (socket.destroyed) return;
    sockets.handleUpgrade(incoming, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      handler(ws);
    });
  }

  return sockets;
}
