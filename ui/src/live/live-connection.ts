import { ApiError, API_BASE, type ApiClient } from '../api/client.js';
import type { StreamMessage } from '../api/types.js';
import type { StreamFilters } from '../filters/filters.js';
import { retryDelay } from './retry-delay.js';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'paused';

/** The server sends a heartbeat every 15 s; this long without a word means the link is dead. */
const SILENCE_LIMIT_MS = 45_000;

interface Options {
  api: ApiClient;
  filters: StreamFilters;
  /** Where to resume: the last stream id seen, so the server replays what was missed. */
  resumeFrom: string | null;
  onMessage: (message: StreamMessage) => void;
  onState: (state: ConnectionState) => void;
  /** The connection gave up (for example the key was refused). */
  onFatal: (error: ApiError) => void;
}

function streamUrl(ticket: string): string {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${window.location.host}${API_BASE}/stream?ticket=${encodeURIComponent(ticket)}`;
}

/**
 * One live subscription: trades the key for a ticket, opens the WebSocket, subscribes,
 * and after any drop reconnects with backoff, resuming after the last stream id it saw.
 */
export class LiveConnection {
  private socket: WebSocket | null = null;
  private retryTimer: number | undefined;
  private silenceTimer: number | undefined;
  private attempt = 0;
  private stopped = false;
  private lastStreamId: string | null;

  constructor(private readonly options: Options) {
    this.lastStreamId = options.resumeFrom;
  }

  get resumePoint(): string | null {
    return this.lastStreamId;
  }

  start(): void {
    void this.connect('connecting');
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.retryTimer);
    window.clearTimeout(this.silenceTimer);
    this.socket?.close();
    this.socket = null;
  }

  private async connect(state: ConnectionState): Promise<void> {
    this.options.onState(state);
    let ticket: string;
    try {
      ticket = (await this.options.api.post<{ ticket: string }>('/stream/ticket')).ticket;
    } catch (error) {
      if (error instanceof ApiError && error.status !== 429 && error.status < 500) return this.options.onFatal(error);
      return this.retryLater();
    }
    if (this.stopped) return;

    const socket = new WebSocket(streamUrl(ticket));
    this.socket = socket;
    socket.onopen = () => {
      this.expectWordFrom(socket);
      const subscribe = {
        type: 'subscribe',
        filters: this.options.filters,
        ...(this.lastStreamId ? { resumeFrom: this.lastStreamId } : {}),
      };
      socket.send(JSON.stringify(subscribe));
    };
    socket.onmessage = (event) => {
      this.expectWordFrom(socket);
      this.receive(event.data);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      window.clearTimeout(this.silenceTimer);
      this.socket = null;
      this.retryLater();
    };
  }

  private expectWordFrom(socket: WebSocket): void {
    window.clearTimeout(this.silenceTimer);
    this.silenceTimer = window.setTimeout(() => socket.close(), SILENCE_LIMIT_MS);
  }

  private receive(data: unknown): void {
    let message: StreamMessage;
    try {
      message = JSON.parse(String(data)) as StreamMessage;
    } catch {
      return;
    }
    if (message.type === 'subscribed') {
      this.attempt = 0;
      this.lastStreamId ??= message.streamId;
      this.options.onState('live');
    } else if (message.type === 'entry') {
      this.lastStreamId = message.streamId;
    }
    this.options.onMessage(message);
  }

  private retryLater(): void {
    if (this.stopped) return;
    this.options.onState('reconnecting');
    this.retryTimer = window.setTimeout(() => void this.connect('reconnecting'), retryDelay(this.attempt++));
  }
}
