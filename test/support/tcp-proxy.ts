import net from 'node:net';
import { Transform } from 'node:stream';

/**
 * A TCP proxy on 127.0.0.1 to a local store, that a test can take down and bring back:
 * pause() destroys every open connection and refuses new ones (the store looks down);
 * resume() accepts and forwards again. While dropReplies is set, what the store sends back
 * is discarded: it ran the request, but the client never hears so.
 */
export class TcpProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private paused = false;
  dropReplies = false;
  port = 0;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {
    this.server = net.createServer((client) => this.accept(client));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** The store's URL with host and port replaced by the proxy's. */
  url(storeUrl: string): string {
    const url = new URL(storeUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  pause(): void {
    this.paused = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  resume(): void {
    this.paused = false;
  }

  async stop(): Promise<void> {
    this.pause();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.paused) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.targetPort, this.targetHost);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.sockets.delete(from);
        to.destroy();
      });
    }
    client.pipe(upstream);
    const replies = new Transform({
      transform: (chunk, _encoding, done) => done(null, this.dropReplies ? undefined : chunk),
    });
    upstream.pipe(replies).pipe(client);
  }
}
