import { randomUUID } from 'node:crypto';
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

/** The name of the row of raw pino writing the same entry as PlatformLogger. */
export const SAME_ENTRY = 'raw pino writing the same 24-field entry by hand';
const SCOPED = 'PlatformLogger, caller location off, context from scope';

/**
 * 'devnull': every line really written, synchronously, to /dev/null (the usual pino
 * benchmark). 'memory': lines handed to a stream that drops them, so only the work of
 * making a line counts.
 */
function sink(kind: BenchSink): DestinationStream {
  if (kind === 'devnull') return pino.destination({ dest: '/dev/null', sync: true });
  return { write: () => {} };
}

/** The entry fields that are the same on every call and not in CONTEXT, as PlatformLogger writes them without caller location. */
const FIXED_FIELDS = {
  service: 'storefront',
  impersonatorId: null,
  action: null,
  environment: 'production',
  version: null,
  region: null,
  errorType: null,
  errorCode: null,
  errorStack: null,
  file: null,
  line: null,
  function: null,
};

/**
 * PlatformLogger.info with full context and a small data object, against raw pino writing to
 * the same kind of sink: a pino child bound to the same context and service, called as
 * `child.info(data, message)` with the same data object (pino's default numeric level and
 * epoch time; its line has 12 fields where the platform's has 24). A second baseline writes
 * the same entry as PlatformLogger with caller location off, by hand with raw pino: the
 * 22 fixed fields bound, a UUID per entry from a mixin, the ISO timestamp from the timestamp
 * option, data under `data`. Interleaved rounds; ops per second of CPU time, best round of
 * each. One more row times the cheapest V8 capture of the caller's location alone, the floor
 * under "caller location on".
 */
export async function runLoggerBench(options: LoggerBenchOptions = {}): Promise<BenchRow[]> {
  const calls = options.calls ?? 20_000;
  const rounds = options.rounds ?? 5;
  const kind = options.sink ?? 'devnull';
  const config = { environment: 'production' as const, console: 'off' as const };

  const raw = pino({ base: null, messageKey: 'message' }, sink(kind)).child({ ...CONTEXT, service: 'storefront' });
  const sameEntry = pino(
    {
      base: null,
      messageKey: 'message',
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      mixin: () => ({ id: randomUUID() }),
      formatters: { level: (label) => ({ level: label }) },
    },
    sink(kind),
  ).child({ ...CONTEXT, ...FIXED_FIELDS });
  const withCaller = createLogger({ service: 'storefront', transports: false, destination: sink(kind), config, callerLocation: true }).child(CONTEXT);
  const withoutCaller = createLogger({ service: 'storefront', transports: false, destination: sink(kind), config, callerLocation: false }).child(CONTEXT);
  const errorsOnly = createLogger({ service: 'storefront', transports: false, destination: sink(kind), config, callerLocation: 'errors' }).child(CONTEXT);
  const scoped = createLogger({ service: 'storefront', transports: false, destination: sink(kind), config, callerLocation: false });

  const variants: [string, (i: number) => void][] = [
    ['raw pino', (i) => raw.info({ orderId: 'ord_1', amount: i, currency: 'EUR' }, 'order placed')],
    [SAME_ENTRY, (i) => sameEntry.info({ data: { orderId: 'ord_1', amount: i, currency: 'EUR' } }, 'order placed')],
    ['PlatformLogger, caller location on', (i) => withCaller.info('order placed', { orderId: 'ord_1', amount: i, currency: 'EUR' })],
    ["PlatformLogger, caller location 'errors' (info entries not located)", (i) => errorsOnly.info('order placed', { orderId: 'ord_1', amount: i, currency: 'EUR' })],
    ['PlatformLogger, caller location off', (i) => withoutCaller.info('order placed', { orderId: 'ord_1', amount: i, currency: 'EUR' })],
    [SCOPED, (i) => scoped.info('order placed', { orderId: 'ord_1', amount: i, currency: 'EUR' })],
    ['V8 caller capture alone (no logging)', function captureAlone() { captureWithCallSites(captureAlone); }],
  ];

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
      const seconds = name === SCOPED ? runWithLogContext(CONTEXT, measure) : measure();
      best.set(name, Math.max(best.get(name) ?? 0, calls / seconds));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const baseline = best.get('raw pino')!;
  return variants.map(([name]) => ({ name, opsPerSecond: Math.round(best.get(name)!), ratio: best.get(name)! / baseline }));
}

const callSites = (_error: Error, sites: NodeJS.CallSite[]): NodeJS.CallSite[] => sites;

/** The capture src/caller.ts makes: one structured CallSite, the frames above `fn` skipped. */
function captureWithCallSites(fn: Function): string {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  Error.prepareStackTrace = callSites;
  Error.stackTraceLimit = 1;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  Error.captureStackTrace(holder, fn);
  const site = holder.stack![0];
  Error.prepareStackTrace = prepare;
  Error.stackTraceLimit = limit;
  return `${site.getFileName()}:${site.getLineNumber()}:${site.getColumnNumber()}`;
}

/** The same capture, read as formatted stack text. */
function captureAsText(fn: Function): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, fn);
  Error.stackTraceLimit = limit;
  return holder.stack!;
}

/** A new Error with just enough frames to reach the caller (this one and the logging method's), read as text. */
function captureWithNewError(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 3;
  const stack = new Error().stack!;
  Error.stackTraceLimit = limit;
  return stack;
}

/** The frame walk without reading the result: what no reading strategy can save. */
function captureWithoutReading(fn: Function): object {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  const holder = {};
  Error.captureStackTrace(holder, fn);
  Error.stackTraceLimit = limit;
  return holder;
}

export interface CaptureRow {
  name: string;
  microseconds: number;
}

/**
 * The ways to learn the caller's location without V8 flags (Node 20 has no util.getCallSite),
 * each called from a stand-in logging method, in interleaved rounds; CPU µs per capture.
 */
export function runCaptureBench(calls = 100_000, rounds = 5): CaptureRow[] {
  const methods: [string, () => unknown][] = [
    ['captureStackTrace + structured CallSite (used)', function log() { return captureWithCallSites(log); }],
    ['captureStackTrace + stack text', function log() { return captureAsText(log); }],
    ['new Error().stack, 3 frames', function log() { return captureWithNewError(); }],
    ['captureStackTrace, result not read', function log() { return captureWithoutReading(log); }],
  ];
  const best = new Map<string, number>();
  for (const [, log] of methods) for (let i = 0; i < calls / 10; i++) log();
  for (let round = 0; round < rounds; round++) {
    for (const [name, log] of methods) {
      const start = process.cpuUsage();
      for (let i = 0; i < calls; i++) log();
      const used = process.cpuUsage(start);
      best.set(name, Math.min(best.get(name) ?? Infinity, (used.user + used.system) / calls));
    }
  }
  return methods.map(([name]) => ({ name, microseconds: best.get(name)! }));
}

function printTable(rows: BenchRow[]): void {
  console.log('| variant | ops/s | µs per call | vs raw pino |');
  console.log('|---|---:|---:|---:|');
  for (const row of rows) {
    console.log(`| ${row.name} | ${row.opsPerSecond.toLocaleString('en-US')} | ${(1e6 / row.opsPerSecond).toFixed(2)} | ${row.ratio.toFixed(2)}x |`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const calls = Number(process.argv.find((arg) => arg.startsWith('--calls='))?.slice(8) ?? 20_000);
  const rounds = Number(process.argv.find((arg) => arg.startsWith('--rounds='))?.slice(9) ?? 5);
  const kind = process.argv.find((arg) => arg.startsWith('--sink='))?.slice(7) === 'memory' ? 'memory' : 'devnull';
  console.log(`sink: ${kind}, ${calls} calls x ${rounds} rounds (raw pino: a child with the same bindings, child.info(data, message))`);
  printTable(await runLoggerBench({ calls, rounds, sink: kind }));
  console.log('\n| caller capture | µs per capture |');
  console.log('|---|---:|');
  for (const row of runCaptureBench(calls * 5, rounds)) console.log(`| ${row.name} | ${row.microseconds.toFixed(2)} |`);
}
