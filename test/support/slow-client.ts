import { once } from 'node:events';
import http from 'node:http';

export interface OpenExport {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** From now on, reads about `bytesPerSecond`, as a client on a slow link does. */
  readSlowly(bytesPerSecond: number): void;
  /** The rest of the body at full speed; rejects when the server cut the download short. */
  text(): Promise<string>;
  close(): void;
}

/**
 * An export requested on a connection of its own, answered (status and headers) but not read
 * until told: its socket takes what fits in its buffers, then the server has to wait.
 */
export async function openExport(baseUrl: string, key: string, query = 'format=ndjson&from=30d'): Promise<OpenExport> {
  const request = http.get(`${baseUrl}/api/platform/logs/export?${query}`, {
    agent: false,
    headers: { authorization: `Bearer ${key}` },
  });
  const [response] = (await once(request, 'response')) as [http.IncomingMessage];
  let timer: NodeJS.Timeout | undefined;
  return {
    status: response.statusCode!,
    headers: response.headers,
    readSlowly(bytesPerSecond) {
      clearInterval(timer);
      timer = setInterval(() => response.read(bytesPerSecond), 1000);
    },
    async text() {
      clearInterval(timer);
      let text = '';
      for await (const chunk of response) text += chunk;
      return text;
    },
    close() {
      clearInterval(timer);
      request.destroy();
    },
  };
}

export interface TimedAnswer {
  status: number;
  body: string;
  ms: number;
}

/** GET of a path under /api/platform/logs, with how long the whole answer took. */
export async function timedGet(baseUrl: string, path: string, key?: string): Promise<TimedAnswer> {
  const started = performance.now();
  const response = await fetch(
    `${baseUrl}/api/platform/logs${path}`,
    key ? { headers: { authorization: `Bearer ${key}` } } : {},
  );
  const body = await response.text();
  return { status: response.status, body, ms: performance.now() - started };
}

/** `count` requests started `intervalMs` apart, none waiting for the one before; their answers in order. */
export async function spacedRequests(
  count: number,
  intervalMs: number,
  request: () => Promise<TimedAnswer>,
): Promise<TimedAnswer[]> {
  const answers: Promise<TimedAnswer>[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, intervalMs));
    answers.push(request());
  }
  return Promise.all(answers);
}
