import { pathToFileURL } from 'node:url';
import pino, { type DestinationStream } from 'pino';
import { createLogger } from '../src/factory.js';
import { runWithLogContext } from '../src/context.js';

export interface BenchRow {
  name: string;
  opsPerSecond: number;
  /** ops/s relative to raw pino in the same run. */
  ratio: number;
}

export interface LoggerBenchOptions {
  /** Log calls per measured round. Default 20,000. */
  calls?: number;
  /** Interleaved rounds; each variant's best round counts. Default 5. */
  rounds?: number;
  /** Where lines go. Default 'devnull'. */
  sink?: BenchSink;
}

const CONTEXT = {
  tenantId: 'tenant_8f2c1a',
  tenantSlug: 'acme',
  userId: 'user_41d9',
  sessionId: 'sess_77a0',
  requestId: '0190f5b2-7c1e-7d3a-9b1e-5a4f2e8c9d10',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
};

export type BenchSink = 'devnull' | 'memory';

/**
 * 'devnull': every line really written, synchronously, to /dev/null (the usual pino
 * benchmark). 'memory': lines handed to a stream that drops them, so only the work of
 * making a line counts.
 */
function sink(kind: BenchSink): DestinationStream {
  if (kind === 'devnull') return pino.destination({ dest: '/dev/null', sync: true });
  return { write: () => {} };
}

/**
 * PlatformLogger.info with full context and a small data object, against raw pino writing
 * the same kind of line to the same kind of sink, in interleaved rounds; ops per second of
 * CPU time, best round of each.
 */
export async function runLoggerBench(options: LoggerBenchOptions = {}): Promise<BenchRow[]> {
  const calls = options.calls ?? 20_000;
  const rounds = options.rounds ?? 5;
  const kind = options.sink ?? 'devnull';
  const config = { environment: 'production' as const, console: 'off' as const };

  const raw = pino({ base: null, messageKey: 'message' }, sink(kind)).child({ ...CONTEXT, service: 'storefront' });
  const withCaller = createLogger({ service: 'storefront', transports: false, destination: sink(kind), config, callerLocation: true }).child(CONTEXT);
  const withoutCaller = createLogger({ service: 'storefront', transports: false, destination: sink(kind), config, callerLocation: false }).child(CONTEXT);
  const scoped = createLogger({ service: 'storefront', transports: false, destination: sink(kind), config, callerLocation: false });

  const variants: [string, (i: number) => void][] = [
    ['raw pino', (i) => raw.info({ orderId: 'ord_1', amount: i, currency: 'EUR' }, 'order placed')],
    ['PlatformLogger, caller location on', (i) => withCaller.info('order placed', { orderId: 'ord_1', amount: i, currency: 'EUR' })],
    ['PlatformLogger, caller location off', (i) => withoutCaller.info('order placed', { orderId: 'ord_1', amount: i, currency: 'EUR' })],
    ['PlatformLogger, caller location off, context from scope', (i) => scoped.info('order placed', { orderId: 'ord_1', amount: i, currency: 'EUR' })],
  ];
  const inScope = new Set([variants[3][0]]);

  const best = new Map<string, number>();
  for (const [, log] of variants) for (let i = 0; i < calls / 10; i++) log(i); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const [name, log] of variants) {
      // CPU time of this process, not wall time: other processes on a shared machine
      // then stretch a round far less.
      const measure = () => {
        const start = process.cpuUsage();
        for (let i = 0; i < calls; i++) log(i);
        const used = process.cpuUsage(start);
        return (used.user + used.system) / 1e6;
      };
      // One scope per round, as one request scope holds many entries.
      const seconds = inScope.has(name) ? runWithLogContext(CONTEXT, measure) : measure();
      best.set(name, Math.max(best.get(name) ?? 0, calls / seconds));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const baseline = best.get('raw pino')!;
  return variants.map(([name]) => ({ name, opsPerSecond: Math.round(best.get(name)!), ratio: best.get(name)! / baseline }));
}

function printTable(rows: BenchRow[]): void {
  console.log('| variant | ops/s | vs raw pino |');
  console.log('|---|---:|---:|');
  for (const row of rows) console.log(`| ${row.name} | ${row.opsPerSecond.toLocaleString('en-US')} | ${row.ratio.toFixed(2)}x |`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const calls = Number(process.argv.find((arg) => arg.startsWith('--calls='))?.slice(8) ?? 20_000);
  const rounds = Number(process.argv.find((arg) => arg.startsWith('--rounds='))?.slice(9) ?? 5);
  const kind = process.argv.find((arg) => arg.startsWith('--sink='))?.slice(7) === 'memory' ? 'memory' : 'devnull';
  console.log(`sink: ${kind}, ${calls} calls x ${rounds} rounds`);
  printTable(await runLoggerBench({ calls, rounds, sink: kind }));
}
