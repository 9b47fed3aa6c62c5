import type { Principal, StreamMessage } from '../../src/api-types.js';
import type { PositionSeal } from './position-seal.js';
import { sleep, type StreamItem, type StreamSource } from './source.js';
import { EntryFilter, type SubscribeRequest } from './subscription.js';

/** The connection a client is reached through (a WebSocket, an SSE response). */
export interface ClientSink {
  /** Queues one protocol message; never waits. `streamId` is set on entries. */
  send(message: string, streamId?: string): void;
  /** Bytes queued for the client that it has not read yet. */
  pendingBytes(): number;
  /** Ends the connection at once. */
  terminate(): void;
}

export interface ClientLimits {
  /** Past this many unread bytes, live entries for the client are dropped and counted. */
  maxBufferedBytes: number;
  /** Live entries held while a resume replays; past it they are dropped and counted. */
  maxQueuedEntries: number;
  /** A client over the byte bound this long is disconnected. */
  slowClientTimeoutMs: number;
}

/** What the client is sent besides entries (which go out as entryMessage's text). */
type ServerMessage = Exclude<StreamMessage, { type: 'entry' }>;

const REPLAY_PAGE = 500;
const DRAIN_CHECK_MS = 20;

/** An entry as one key's clients are sent it: its message, and its position sealed for the key. */
export interface Delivery {
  sealedId: string;
  message: string;
}

/** `entryJson` is the entry serialized once for every client that gets it. */
export function deliveryOf(seal: PositionSeal, streamId: string, entryJson: string): Delivery {
  const sealedId = seal.seal(streamId);
  return { sealedId, message: `{"type":"entry","streamId":"${sealedId}","entry":${entryJson}}` };
}

/**
 * One connected client: its subscription, and what it is sent. The hub offers it every new
 * entry; nothing here ever waits for the client, except its own replay.
 */
export class StreamClient {
  private filter: EntryFilter | null = null;
  /** Bumped by every subscribe, so that a replay that was replaced stops. */
  private generation = 0;
  /** Live entries that arrived while a replay runs; null when not replaying. */
  private held: { streamId: string; delivery: Delivery }[] | null = null;
  /**
   * What the last replay sent, until the live reader has passed it: the reader may be
   * behind the replay, and hand over entries the replay already sent.
   */
  private replayed: Set<string> | null = null;
  private missed = 0;
  private overBoundSince: number | null = null;
  private closed = false;

  constructor(
    readonly principal: Principal,
    readonly limitKey: string,
    /** Seals the positions this client is sent, for its key: clients of one key share it. */
    readonly seal: PositionSeal,
    private readonly sink: ClientSink,
    private readonly source: StreamSource,
    private readonly limits: ClientLimits,
  ) {}

  wants(item: StreamItem): boolean {
    return this.filter?.matches(item.entry) ?? false;
  }

  /** A new live entry that `wants` accepted, as this client's key is sent it. */
  offer(streamId: string, delivery: Delivery): void {
    if (this.held === null) this.sendUnlessReplayed(streamId, delivery);
    else if (this.held.length < this.limits.maxQueuedEntries) this.held.push({ streamId, delivery });
    else this.missed++;
  }

  /** A notice that concerns every subscription, such as a store outage. */
  notify(message: ServerMessage): void {
    if (this.filter === null) return;
    this.send(message);
  }

  heartbeat(at: Date): void {
    if (this.sink.pendingBytes() <= this.limits.maxBufferedBytes)
      this.send({ type: 'heartbeat', at: at.toISOString() });
  }

  /** Called every second: sends the slow-client notice once drained; false when stuck too long. */
  checkSlow(now: number): boolean {
    if (this.sink.pendingBytes() > this.limits.maxBufferedBytes) {
      this.overBoundSince ??= now;
      return now - this.overBoundSince <= this.limits.slowClientTimeoutMs;
    }
    this.overBoundSince = null;
    if (this.held === null) this.sendMissedNotice();
    return true;
  }

  /** Replaces the subscription; with `resumeFrom`, first replays what the client missed. */
  async subscribe(request: SubscribeRequest, livePosition: string | null): Promise<void> {
    const generation = ++this.generation;
    this.filter = new EntryFilter(request.filters, this.principal);
    this.replayed = null;
    if (request.resumeFrom === undefined) {
      this.held = null;
      this.send({ type: 'subscribed', streamId: livePosition === null ? null : this.seal.seal(livePosition) });
      return;
    }
    this.held = [];
    this.send({ type: 'subscribed', streamId: request.resumeFrom.sealed });
    const replayed = new Set<string>();
    try {
      const start = await this.source.replayStart(request.resumeFrom.position);
      if (generation !== this.generation) return;
      if (start.trimmed) this.send({ type: 'gap', reason: 'trimmed' });
      let after = start.after;
      for (;;) {
        const page = await this.source.readAfter(after, REPLAY_PAGE);
        if (generation !== this.generation || this.closed) return;
        for (const item of page) {
          replayed.add(item.streamId);
          if (!this.wants(item)) continue;
          const { message, sealedId } = deliveryOf(this.seal, item.streamId, JSON.stringify(item.entry));
          this.sink.send(message, sealedId);
        }
        if (page.length < REPLAY_PAGE) break;
        after = page[page.length - 1].streamId;
        await this.waitForRoom(generation);
      }
    } catch {
      if (generation !== this.generation) return;
      this.send({ type: 'gap', reason: 'store-unavailable' });
    }
    // Live entries read during the replay or after it: those the replay already sent are skipped.
    const held = this.held ?? [];
    this.held = null;
    this.replayed = replayed;
    for (const { streamId, delivery } of held) this.sendUnlessReplayed(streamId, delivery);
  }

  sendError(error: string): void {
    this.send({ type: 'error', error });
  }

  close(): void {
    this.closed = true;
    this.generation++;
    this.filter = null;
    this.held = null;
    this.replayed = null;
  }

  terminate(): void {
    this.close();
    this.sink.terminate();
  }

  private sendUnlessReplayed(streamId: string, delivery: Delivery): void {
    if (this.replayed !== null) {
      if (this.replayed.has(streamId)) return;
      // live entries come in stream order: none after this one was in the replay
      this.replayed = null;
    }
    this.sendLive(delivery);
  }

  private sendLive({ message, sealedId }: Delivery): void {
    if (this.sink.pendingBytes() > this.limits.maxBufferedBytes) {
      this.missed++;
      return;
    }
    this.sendMissedNotice();
    this.sink.send(message, sealedId);
  }

  private sendMissedNotice(): void {
    if (this.missed === 0) return;
    this.send({ type: 'gap', reason: 'slow-client', missed: this.missed });
    this.missed = 0;
  }

  private send(message: ServerMessage): void {
    this.sink.send(JSON.stringify(message));
  }

  private async waitForRoom(generation: number): Promise<void> {
    while (this.sink.pendingBytes() > this.limits.maxBufferedBytes && generation === this.generation && !this.closed) {
      await sleep(DRAIN_CHECK_MS);
    }
  }
}
