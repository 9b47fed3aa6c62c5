import { WebSocket } from 'ws';

export interface ReceivedEntry {
  id: string;
  streamId: string;
  tenantId: string;
  /** performance.timeOrigin + performance.now() when the message arrived. */
  receivedAt: number;
  /** data.sentAt of the entry, when the sender set it. */
  sentAt?: number;
}

interface ServerMessage {
  type: string;
  streamId?: string | null;
  entry?: { id: string; tenantId: string; data?: { sentAt?: number } | null };
  reason?: string;
  missed?: number;
}

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A live-stream client that behaves like the UI: subscribes, and when its connection drops,
 * reconnects and subscribes again with `resumeFrom` set to the last stream id it received.
 */
export class LiveClient {
  readonly entries: ReceivedEntry[] = [];
  readonly gaps: { reason: string; missed?: number }[] = [];
  readonly errors: string[] = [];
  reconnects = 0;
  /** Why the last connection attempt failed, if one did. */
  private lastError: string | null = null;
  private ws: WebSocket | null = null;
  private stopped = false;
  private lastStreamId: string | undefined;
  private subscribedOnce: Promise<void>;
  private onSubscribed: () => void = () => {};

  constructor(
    private readonly url: string,
    private readonly key: string,
    private readonly filters: Record<string, unknown> = {},
    private readonly options: { resumeFrom?: string; reconnect?: boolean } = {},
  ) {
    this.lastStreamId = options.resumeFrom;
    this.subscribedOnce = new Promise((resolve) => (this.onSubscribed = resolve));
  }

  /** Connects and resolves once the first subscription is confirmed. */
  async start(): Promise<this> {
    void this.connectLoop();
    await this.subscribedOnce;
    return this;
  }

  ids(): string[] {
    return this.entries.map((entry) => entry.id);
  }

  /** The underlying socket, e.g. to pause reading. */
  get socket(): WebSocket | null {
    return this.ws;
  }

  async until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}: ${this.entries.length} entries, ${this.reconnects} reconnects, socket state ${this.ws?.readyState}, last error ${this.lastError}, gaps ${JSON.stringify(this.gaps)}, errors ${JSON.stringify(this.errors)}`,
        );
      await sleep(20);
    }
  }

  stop(): void {
    this.stopped = true;
    this.ws?.terminate();
  }

  private async connectLoop(): Promise<void> {
    while (!this.stopped) {
      const closed = await this.connectOnce();
      if (this.stopped || this.options.reconnect === false) return;
      if (closed) this.reconnects++;
      await sleep(100);
    }
  }

  /** One connection, until it closes; false when it could not open. */
  private connectOnce(): Promise<boolean> {
    return new Promise((resolve) => {
      const ws = new WebSocket(this.url, { headers: { authorization: `Bearer ${this.key}` } });
      this.ws = ws;
      let opened = false;
      ws.on('open', () => {
        opened = true;
        ws.send(JSON.stringify({ type: 'subscribe', filters: this.filters, resumeFrom: this.lastStreamId }));
      });
      ws.on('message', (data) => this.receive(JSON.parse(data.toString()) as ServerMessage));
      ws.on('error', (error) => (this.lastError = error.message));
      ws.on('unexpected-response', (_request, response) => (this.lastError = `HTTP ${response.statusCode}`));
      ws.on('close', () => resolve(opened));
    });
  }

  private receive(message: ServerMessage): void {
    switch (message.type) {
      case 'subscribed':
        // where the subscription starts: the resume point until an entry comes, as the UI keeps it
        this.lastStreamId ??= message.streamId ?? undefined;
        this.onSubscribed();
        break;
      case 'entry': {
        const entry = message.entry!;
        this.lastStreamId = message.streamId!;
        const sentAt = entry.data?.sentAt;
        this.entries.push({
          id: entry.id,
          streamId: message.streamId!,
          tenantId: entry.tenantId,
          receivedAt: now(),
          sentAt,
        });
        break;
      }
      case 'gap':
        this.gaps.push({ reason: message.reason!, missed: message.missed });
        break;
      case 'error':
        this.errors.push(String((message as { error?: string }).error));
        break;
    }
  }
}
