import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const SERVICE = fileURLToPath(new URL('./logging-service.mjs', import.meta.url));

export interface ServiceStores {
  databaseUrl: string;
  redisUrl: string;
  streamKey: string;
  channel: string;
}

/** The variables a service process of the tests (logging-service.mjs, test/ui/log-writer.ts) logs into these stores with. */
export function storesEnv(stores: ServiceStores): NodeJS.ProcessEnv {
  return {
    DATABASE_URL: stores.databaseUrl,
    REDIS_URL: stores.redisUrl,
    STREAM_KEY: stores.streamKey,
    CHANNEL: stores.channel,
  };
}

export type ServiceRun =
  | { mode: 'steady'; rate: number; durationMs: number }
  | { mode: 'burst'; count: number; end: 'exit' | 'sigterm' | 'throw' };

export interface EventLoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface ServiceResult {
  /** Ids of every entry the service logged, from its ledger. */
  loggedIds: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Steady runs: the service's event-loop delay while it logged. */
  eventLoop?: EventLoopDelay;
}

/**
 * A service process (test/support/logging-service.mjs) that logs through createLogger with
 * the real transports. `started` resolves once it logs; `finished` once it has exited.
 * `extraEnv`: more of the service's environment, e.g. MAX_LEN (the Redis stream's length);
 * `script`: another copy of logging-service.mjs, e.g. one in a build of an earlier commit.
 */
export function startService(
  stores: ServiceStores,
  tenant: string,
  run: ServiceRun,
  extraEnv: NodeJS.ProcessEnv = {},
  script = SERVICE,
) {
  const dir = mkdtempSync(join(tmpdir(), 'logging-service-'));
  const ledger = join(dir, 'ledger.ndjson');
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(process.execPath, [script], {
    env: {
      ...process.env,
      ...storesEnv(stores),
      TENANT: tenant,
      LEDGER: ledger,
      MODE: run.mode,
      ...(run.mode === 'steady'
        ? { RATE: String(run.rate), DURATION_MS: String(run.durationMs) }
        : { COUNT: String(run.count), END: run.end }),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const started = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => stdout.includes('ready\n') && resolve());
    child.once('exit', () =>
      stdout.includes('ready\n') ? resolve() : reject(new Error(`service exited before logging: ${stderr}`)),
    );
  });
  started.catch(() => {}); // awaited only by callers that wait for it

  const finished = (async (): Promise<ServiceResult> => {
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    const lines = readFileSync(ledger, 'utf8').split('\n').filter(Boolean);
    rmSync(dir, { recursive: true, force: true });
    const summary = stdout.split('\n').find((line) => line.startsWith('{'));
    return {
      loggedIds: lines.map((line) => (JSON.parse(line) as { id: string }).id),
      code,
      signal,
      stderr,
      eventLoop: summary ? (JSON.parse(summary) as { eventLoop: EventLoopDelay }).eventLoop : undefined,
    };
  })();
  return { child, started, finished, kill: (signal: NodeJS.Signals) => child.kill(signal) };
}
