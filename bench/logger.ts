import { openSync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
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
  /** Interleaved rounds; each variant's median round counts. Default 5. */
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

export const RAW_PINO = 'raw pino';
export const PINO_CALLER = 'pino + pino-caller';
export const WINSTON = "winston's JSON logger";
export const CALLER_ON = 'PlatformLogger, caller location on';
export const CALLER_OFF = 'PlatformLogger, caller location off';
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

/** The same sink as a Node stream, which winston needs: each line written synchronously. */
function streamSink(kind: BenchSink): Writable {
  const fd = kind === 'devnull' ? openSync('/dev/null', 'w') : -1;
  return new Writable({
    write(chunk, _encoding, done) {
      if (fd !== -1) writeSync(fd, chunk);
      done();
    },
  });
}

/** An optional package's default export, or null when it is not installed. */
async function optional(name: string): Promise<any> {
  try {
    const module = await import(name);
    return module.default ?? module;
  } catch {
    return null;
  }
}

const rawPino = (kind: BenchSink): PinoLogger =>
  pino({ base: null, messageKey: 'message' }, sink(kind)).child({ ...CONTEXT, service: 'storefront' });

/**
 * PlatformLogger.info with full context and a small data object, against what a user would
 * pick instead, each writing to the same kind of sink: raw pino (a child bound to the same
 * context and service, `child.info(data, message)`, pino's numeric level and epoch time);
 * pino with pino-caller, for caller location; winston's JSON logger. The last two run only
 * when their packages are installed. Interleaved rounds; ops per second of CPU time, the
 * median round of each. One more row times the cheapest V8 capture of the caller's location
 * alone, the floor under "caller location on".
 */
export async function runLoggerBench(options: LoggerBenchOptions = {}): Promise<BenchRow[]> {
  const calls = options.calls ?? 20_000;
  const rounds = options.rounds ?? 5;
  const kind = options.sink ?? 'devnull';
  const config = { environment: 'production' as const, console: 'off' as const };
  const data = (i: number) => ({ orderId: 'ord_1', amount: i, currency: 'EUR' });

  const raw = rawPino(kind);
  const withCaller = createLogger({
    service: 'storefront',
    transports: false,
    destination: sink(kind),
    config,
    callerLocation: true,
  }).child(CONTEXT);
  const withoutCaller = createLogger({
    service: 'storefront',
    transports: false,
    destination: sink(kind),
    config,
    callerLocation: false,
  }).child(CONTEXT);
  const errorsOnly = createLogger({
    service: 'storefront',
    transports: false,
    destination: sink(kind),
    config,
    callerLocation: 'errors',
  }).child(CONTEXT);
  const scoped = createLogger({
    service: 'storefront',
    transports: false,
    destination: sink(kind),
    config,
    callerLocation: false,
  });

  const variants: [string, (i: number) => void][] = [[RAW_PINO, (i) => raw.info(data(i), 'order placed')]];
  const pinoCaller = await optional('pino-caller');
  if (pinoCaller) {
    const located = pinoCaller(rawPino(kind));
    variants.push([PINO_CALLER, (i) => located.info(data(i), 'order placed')]);
  }
  const winston = await optional('winston');
  if (winston) {
    const logger = winston
      .createLogger({
        format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
        transports: [new winston.transports.Stream({ stream: streamSink(kind) })],
      })
      .child({ ...CONTEXT, service: 'storefront' });
    variants.push([WINSTON, (i) => logger.info('order placed', data(i))]);
  }
  variants.push(
    [CALLER_ON, (i) => withCaller.info('order placed', data(i))],
    [
      "PlatformLogger, caller location 'errors' (info entries not located)",
      (i) => errorsOnly.info('order placed', data(i)),
    ],
    [CALLER_OFF, (i) => withoutCaller.info('order placed', data(i))],
    [SCOPED, (i) => scoped.info('order placed', data(i))],
    [
      'V8 caller capture alone (no logging)',
      function captureAlone() {
        captureWithCallSites(captureAlone);
      },
    ],
  );

  const perRound = new Map<string, number[]>(variants.map(([name]) => [name, []]));
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
      perRound.get(name)!.push(calls / seconds);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];
  const baseline = median(perRound.get(RAW_PINO)!);
  return variants.map(([name]) => {
    const opsPerSecond = median(perRound.get(name)!);
    return { name, opsPerSecond: Math.round(opsPerSecond), ratio: opsPerSecond / baseline };
  });
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
    [
      'captureStackTrace + structured CallSite (used)',
      function log() {
        return captureWithCallSites(log);
      },
    ],
    [
      'captureStackTrace + stack text',
      function log() {
        return captureAsText(log);
      },
    ],
    [
      'new Error().stack, 3 frames',
      function log() {
        return captureWithNewError();
      },
    ],
    [
      'captureStackTrace, result not read',
      function log() {
        return captureWithoutReading(log);
      },
    ],
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
    console.log(
      `| ${row.name} | ${row.opsPerSecond.toLocaleString('en-US')} | ${(1e6 / row.opsPerSecond).toFixed(2)} | ${row.ratio.toFixed(2)}x |`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const calls = Number(process.argv.find((arg) => arg.startsWith('--calls='))?.slice(8) ?? 20_000);
  const rounds = Number(process.argv.find((arg) => arg.startsWith('--rounds='))?.slice(9) ?? 5);
  const kind = process.argv.find((arg) => arg.startsWith('--sink='))?.slice(7) === 'memory' ? 'memory' : 'devnull';
  console.log(
    `sink: ${kind}, ${calls} calls x ${rounds} rounds, medians (raw pino: a child with the same bindings, child.info(data, message))`,
  );
  printTable(await runLoggerBench({ calls, rounds, sink: kind }));
  console.log('\n| caller capture | µs per capture |');
  console.log('|---|---:|');
  for (const row of runCaptureBench(calls * 5, rounds)) console.log(`| ${row.name} | ${row.microseconds.toFixed(2)} |`);
}
