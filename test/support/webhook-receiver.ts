import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  received: ReceivedWebhook[];
  /** The status the next requests are answered with (default 200). */
  answer(status: number, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

/** A local webhook receiver on 127.0.0.1 that records every POST. */
export async function startWebhookReceiver(
  path = '/hooks/alerts?token=receiver-secret-token',
  /** 0 for a free port; a port to come back on after close(). */
  listenPort = 0,
): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let status = 200;
  let extraHeaders: Record<string, string> = {};
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        // recorded as text
      }
      received.push({ headers: request.headers, body, json, at: Date.now() });
      response.writeHead(status, { 'content-type': 'text/plain', ...extraHeaders });
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    port,
    received,
    answer(next, headers = {}) {
      status = next;
      extraHeaders = headers;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
