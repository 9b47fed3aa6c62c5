import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type pg from 'pg';
import { WebSocket } from 'ws';
import { createAuth, type AuthEnv } from '../server/auth.js';
import { errorResponse } from '../server/http/errors.js';
import type { RedisClient } from '../server/stores.js';
import { createStreamHub, createStreamRoutes, type StreamHub, type StreamLimits } from '../server/stream/index.js';
import { createPositionSeal } from '../server/stream/position-seal.js';
import { serveWebSocketUpgrades } from '../server/stream/websocket-upgrade.js';
import type { StoredLogEntry } from '../src/types.js';
import { TEST_KEYS } from './server-fixtures.js';

export const STREAM_PATH = '/api/platform/logs/stream';

export interface StreamServer {
  hub: StreamHub;
  /** A position as this server seals it for the key, to resume from an id the test added itself. */
  sealPosition(key: string, position: string): string;
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  wsUrl(query?: string): string;
  close(): Promise<void>;
}

/** A real server with the stream routes, as the app mounts them, on a free port. */
export async function startStreamServer(options: {
  pool: pg.Pool;
  redis?: RedisClient;
  streamKey?: string;
  notifyChannel?: string;
  pollIntervalMs?: number;
  limits?: Partial<StreamLimits>;
}): Promise<StreamServer> {
  const auth = createAuth(TEST_KEYS);
  const positionSecret = randomBytes(32);
  const hub = createStreamHub({ ...options, positionSecret });
  await hub.start();
  const app = new Hono<AuthEnv>();
  app.use('*', auth.identify);
  app.post(`${STREAM_PATH}/ticket`, auth.requireKey, (c) =>
    c.json(auth.issueTicket({ principal: c.get('principal'), keyId: c.get('keyId') })),
  );
  app.route(STREAM_PATH, createStreamRoutes({ hub, auth, limit: async (_c, next) => next() }));
  // as the app answers what routes throw
  app.onError((error, c) => errorResponse(c, error, () => {}));
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  serveWebSocketUpgrades(server as Server, app.fetch, { maxPayload: 64 * 1024 });
  if (!server.listening) await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    hub,
    sealPosition: (key, position) => sealPosition(positionSecret, key, position),
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: (query = '') => `ws://127.0.0.1:${port}${STREAM_PATH}${query}`,
    async close() {
      await hub.stop();
      (server as Server).closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A position sealed as a server with this secret seals it for one of TEST_KEYS. */
export function sealPosition(secret: Buffer, key: string, position: string): string {
  return createPositionSeal(secret, createAuth(TEST_KEYS).resolveKey(`Bearer ${key}`)!.keyId).seal(position);
}

export interface StreamMessage {
  type: string;
  streamId?: string | null;
  entry?: StoredLogEntry;
  reason?: string;
  missed?: number;
  error?: string;
}

/** Every message a test client received, in order, and a way to wait for some. */
class ReceivedMessages {
  readonly messages: StreamMessage[] = [];
  closed = false;
  private listeners: (() => void)[] = [];

  protected received(message: StreamMessage): void {
    this.messages.push(message);
    for (const listener of this.listeners) listener();
  }

  protected ended(): void {
    this.closed = true;
    for (const listener of this.listeners) listener();
  }

  entries(): StreamMessage[] {
    return this.messages.filter((message) => message.type === 'entry');
  }

  entryIds(): string[] {
    return this.entries().map((message) => message.entry!.id);
  }

  /** Resolves when `condition` holds over the messages received so far. */
  until(condition: (received: this) => boolean, timeoutMs = 10_000): Promise<void> {
    if (condition(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((listener) => listener !== check);
        reject(new Error(`timed out; received: ${JSON.stringify(this.messages.map((m) => m.type))}`));
      }, timeoutMs);
      const check = () => {
        if (!condition(this)) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((listener) => listener !== check);
        resolve();
      };
      this.listeners.push(check);
    });
  }
}

/** A WebSocket client that keeps every message it receives. */
export class TestSocket extends ReceivedMessages {
  private constructor(readonly ws: WebSocket) {
    super();
    ws.on('message', (data) => this.received(JSON.parse(data.toString()) as StreamMessage));
    ws.on('close', () => this.ended());
  }

  /** Opens a socket; rejects with the HTTP status when the upgrade is refused. */
  static open(url: string, headers: Record<string, string> = {}): Promise<TestSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const socket = new TestSocket(ws);
      ws.once('open', () => resolve(socket));
      ws.once('unexpected-response', (_request, response) => reject(new UpgradeRefused(response.statusCode ?? 0)));
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  /** Subscribes and waits for the `subscribed` answer. */
  async subscribe(filters: Record<string, unknown> = {}, resumeFrom?: string): Promise<StreamMessage> {
    const before = this.messages.length;
    this.send({ type: 'subscribe', filters, resumeFrom });
    await this.until((socket) =>
      socket.messages.slice(before).some((m) => m.type === 'subscribed' || m.type === 'error'),
    );
    return this.messages.slice(before).find((m) => m.type === 'subscribed' || m.type === 'error')!;
  }

  close(): void {
    this.ws.terminate();
  }
}

export class UpgradeRefused extends Error {
  constructor(readonly status: number) {
    super(`upgrade refused with ${status}`);
  }
}

/** XADDs the entries as the Redis transport does; returns their stream ids. */
export async function addToStream(redis: RedisClient, streamKey: string, entries: StoredLogEntry[]): Promise<string[]> {
  const pipeline = redis.multi();
  for (const entry of entries) pipeline.xAdd(streamKey, '*', { entry: JSON.stringify(entry) });
  return (await pipeline.exec()) as unknown as string[];
}

/** A Server-Sent Events client that keeps every event it receives, with its id. */
export class TestEventSource extends ReceivedMessages {
  readonly ids: (string | undefined)[] = [];
  private readonly abort = new AbortController();

  private constructor(readonly response: Response) {
    super();
  }

  /** Opens the stream; resolves with the response when it is not 200 (nothing to read). */
  static async open(url: string, headers: Record<string, string> = {}): Promise<TestEventSource> {
    const abort = new AbortController();
    const response = await fetch(url, { headers, signal: abort.signal });
    const source = new TestEventSource(response);
    source.abort.signal.addEventListener('abort', () => abort.abort());
    if (response.ok) void source.read();
    return source;
  }

  private async read(): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of this.response.body!) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const id = /^id: (.*)$/m.exec(event)?.[1];
          const data = /^data: (.*)$/m.exec(event)?.[1];
          if (data === undefined) continue;
          this.ids.push(id);
          this.received(JSON.parse(data) as StreamMessage);
        }
      }
    } catch {
      // aborted
    }
    this.ended();
  }

  close(): void {
    this.abort.abort();
  }
}
