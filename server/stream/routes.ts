import type { ServerResponse } from 'node:http';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { WebSocket } from 'ws';
import type { Principal } from '../../src/api-types.js';
import { setCredential, type Auth, type AuthEnv } from '../auth.js';
import { queryParams } from '../http/params.js';
import type { StreamHub } from './hub.js';
import type { ClientSink, StreamClient } from './stream-client.js';
import { SubscribeError, parseSubscribe } from './subscription.js';
import { acceptWebSocket } from './websocket-upgrade.js';

export interface StreamRoutesOptions {
  hub: StreamHub;
  auth: Pick<Auth, 'redeemTicket'>;
  /** The API's rate limit: a stream opened with a key counts against it, one opened with a ticket against the address. */
  limit: MiddlewareHandler<AuthEnv>;
}

export const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;
const SSE_PARAMETERS = ['ticket', 'level', 'service', 'tenantId', 'q', 'resumeFrom'];

function errorJson(
  c: Context,
  status: 400 | 401 | 426 | 429,
  error: string,
  parameter?: string,
  details?: object,
): Response {
  const headers: Record<string, string> =
    status === 401 ? { 'WWW-Authenticate': 'Bearer' } : status === 429 ? { 'Retry-After': '10' } : {};
  return c.json({ ...(parameter === undefined ? { error } : { error, parameter }), ...details }, status, headers);
}

/**
 * `?ticket=` (single-use, for browsers) or `Authorization: Bearer <key>` (read by auth.identify
 * before); 401 before any upgrade. A ticket, when given, is the only credential looked at.
 */
function authenticate(auth: StreamRoutesOptions['auth']): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const ticket = c.get('params').one('ticket');
    if (ticket !== undefined) {
      const credential = await auth.redeemTicket(ticket);
      if (!credential)
        return errorJson(c, 401, 'the ticket is unknown, used or expired: ask POST /stream/ticket for a new one');
      setCredential(c, credential);
    } else if (c.get('keyId') === undefined) {
      return errorJson(c, 401, 'a ticket (?ticket=) or a key (Authorization: Bearer) is required');
    }
    await next();
  };
}

function admit(hub: StreamHub): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const admission = hub.admit(c.get('principal'));
    if (!admission.ok) return errorJson(c, 429, admission.error);
    await next();
  };
}

/** Why hub.connect refused a client that was admitted a moment before. */
function refusal(hub: StreamHub, principal: Principal): string {
  const admission = hub.admit(principal);
  return admission.ok ? 'the stream could not be opened; try again later' : admission.error;
}

function webSocketSink(socket: WebSocket): ClientSink {
  return {
    send(message) {
      if (socket.readyState === WebSocket.OPEN) socket.send(message);
    },
    pendingBytes: () => socket.bufferedAmount,
    terminate: () => socket.terminate(),
  };
}

/** An SSE response body and the sink that writes to it; `response` (Node's) lets a stuck client be cut off. */
function sseStream(response: ServerResponse | undefined): {
  body: ReadableStream<Uint8Array>;
  sink: ClientSink;
  onCancel(listener: () => void): void;
} {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let cancelled = () => {};
  // highWaterMark 0: the queue holds only what the response could not write yet.
  const body = new ReadableStream<Uint8Array>(
    {
      start: (c) => void (controller = c),
      cancel: () => cancelled(),
    },
    { highWaterMark: 0, size: (chunk) => chunk.byteLength },
  );
  const sink: ClientSink = {
    send(message, streamId) {
      try {
        controller.enqueue(encoder.encode(`${streamId ? `id: ${streamId}\n` : ''}data: ${message}\n\n`));
      } catch {
        // the response is already closed; its cancel handler disconnects the client
      }
    },
    pendingBytes: () => -(controller.desiredSize ?? 0),
    terminate() {
      try {
        controller.close();
      } catch {
        // already closed
      }
      response?.destroy();
    },
  };
  return { body, sink, onCancel: (listener) => void (cancelled = listener) };
}

/** A message from a WebSocket client: a subscribe, or an error sent back. */
function onClientMessage(client: StreamClient, hub: StreamHub, keyId: string, data: string): void {
  if (data === '' || Buffer.byteLength(data) > MAX_CLIENT_MESSAGE_BYTES) {
    client.sendError(`messages must be JSON text of at most ${MAX_CLIENT_MESSAGE_BYTES} bytes`);
    return;
  }
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch {
    client.sendError('the message is not valid JSON');
    return;
  }
  try {
    void client.subscribe(
      parseSubscribe(message, (sealed) => hub.openPosition(keyId, sealed)),
      hub.position(),
    );
  } catch (error) {
    client.sendError(error instanceof SubscribeError ? error.message : 'the message could not be handled');
  }
}

/**
 * The live stream, mounted at /api/platform/logs/stream: GET / upgraded to a WebSocket,
 * GET /sse as Server-Sent Events (docs/api.md, "Live stream protocol"). Each route does
 * its own authentication, since browsers bring a ticket rather than a key.
 */
export function createStreamRoutes({ hub, auth, limit }: StreamRoutesOptions): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();

  app.get('/', limit, queryParams(['ticket']), authenticate(auth), admit(hub), (c) => {
    const credential = { principal: c.get('principal'), keyId: c.get('keyId') };
    const { principal } = credential;
    const accepted = acceptWebSocket(c, (socket) => {
      const client = hub.connect(credential, webSocketSink(socket));
      if (!client) {
        socket.send(JSON.stringify({ type: 'error', error: refusal(hub, principal) }));
        socket.close(1013, 'try again later');
        return;
      }
      socket.on('message', (data, isBinary) =>
        onClientMessage(client, hub, credential.keyId, isBinary ? '' : data.toString()),
      );
      socket.on('close', () => hub.disconnect(client));
    });
    return accepted ?? errorJson(c, 426, 'this route is a WebSocket: open it with an Upgrade: websocket request');
  });

  app.get('/sse', limit, queryParams(SSE_PARAMETERS), authenticate(auth), async (c) => {
    const params = c.get('params');
    const list = (name: string) => {
      const values = params.list(name);
      return values.length ? values : undefined;
    };
    let request;
    try {
      request = parseSubscribe(
        {
          type: 'subscribe',
          filters: {
            level: list('level')?.map((level) => level.toLowerCase()),
            service: list('service'),
            tenantId: params.one('tenantId'),
            q: params.one('q'),
          },
          resumeFrom: params.one('resumeFrom') || c.req.header('last-event-id') || undefined,
        },
        (sealed) => hub.openPosition(c.get('keyId'), sealed),
      );
    } catch (error) {
      if (!(error instanceof SubscribeError)) throw error;
      return errorJson(c, 400, error.message, error.parameter, error.details);
    }

    const headers = {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
    };
    // HEAD reads no body, so no stream client is made that nobody would ever close.
    if (c.req.method === 'HEAD') return new Response(null, { headers });
    const { body, sink, onCancel } = sseStream((c.env as { outgoing?: ServerResponse } | undefined)?.outgoing);
    const client = hub.connect({ principal: c.get('principal'), keyId: c.get('keyId') }, sink);
    if (!client) return errorJson(c, 429, refusal(hub, c.get('principal')));
    onCancel(() => hub.disconnect(client));
    void client.subscribe(request, hub.position());
    return new Response(body, { headers });
  });

  return app;
}
