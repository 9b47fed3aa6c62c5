import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/factory.js';
import { uuidv7 } from '../src/id.js';
import { LOG_ENTRY_FIELDS, LOG_LEVELS, PLATFORM_TENANT_ID } from '../src/types.js';
import { captureLogger, nextLine, storedEntry } from './support/log-lines.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function idTime(id: string): number {
  return parseInt(id.replace(/-/g, '').slice(0, 12), 16);
}

describe('wire format', () => {
  it('writes each field an entry has once and leaves out the absent ones; stored, every LogEntry field is there', () => {
    const { logger, lines, wire, entries } = captureLogger();
    const before = Date.now();
    logger.debug('d', { n: 1 });
    logger.info('i');
    logger.warn('w', { n: 2 });
    logger.error('e', new Error('boom'));
    const after = Date.now();

    expect(entries().map((entry) => entry.level)).toEqual([...LOG_LEVELS]);
    for (const [i, line] of lines.entries()) {
      expect(line.endsWith('\n')).toBe(true);
      const written = wire()[i];
      for (const key of Object.keys(written)) {
        expect(LOG_ENTRY_FIELDS, key).toContain(key);
        expect(written[key], key).not.toBeNull();
        expect(line.split(`"${key}":`).length - 1, key).toBe(1);
      }
      const entry = entries()[i];
      expect(Object.keys(entry).sort()).toEqual([...LOG_ENTRY_FIELDS].sort());
      expect(entry.id).toMatch(UUID_V7);
      expect(entry.timestamp).toMatch(ISO_MS_UTC);
      expect(Date.parse(entry.timestamp)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(entry.timestamp)).toBeLessThanOrEqual(after);
      expect(idTime(entry.id)).toBe(Date.parse(entry.timestamp));
    }
    expect(Object.keys(wire()[1]).sort()).toEqual([
      'environment',
      'file',
      'id',
      'level',
      'line',
      'message',
      'service',
      'tenantId',
      'timestamp',
    ]);
  });

  it('gives two whole entries when reading the message or the data logs (re-entrant calls)', () => {
    const { logger, entries } = captureLogger();
    const message = {
      toString() {
        logger.warn('inner', { side: 'inner' });
        return 'outer';
      },
    };
    const data = {
      side: 'outer',
      toJSON() {
        logger.info('from toJSON', { side: 'toJSON' });
        return { side: 'outer' };
      },
    };
    logger.error(message as unknown as string, new Error('outer failure'), data);
    const byMessage = new Map(entries().map((entry) => [entry.message, entry]));
    expect(byMessage.size).toBe(3);
    expect(byMessage.get('inner')).toMatchObject({ level: 'warn', data: { side: 'inner' }, errorType: null });
    expect(byMessage.get('from toJSON')).toMatchObject({ level: 'info', data: { side: 'toJSON' }, errorType: null });
    expect(byMessage.get('outer')).toMatchObject({ level: 'error', data: { side: 'outer' }, errorType: 'Error' });
    expect(new Set(entries().map((entry) => entry.id)).size).toBe(3);
  });

  it("leaves pino's time metadata to the time, not the entry", () => {
    const seen: unknown[] = [];
    const destination = {
      [Symbol.for('pino.metadata')]: true,
      lastTime: undefined as unknown,
      write(_line: string) {
        seen.push(this.lastTime);
      },
    };
    const logger = createLogger({
      service: 'admin',
      transports: false,
      env: {},
      config: { console: 'off' },
      destination,
    });
    logger.info('x', { secretish: 'data' });
    expect(seen).toHaveLength(1);
    expect(String(seen[0])).not.toContain('data');
  });

  it('writes null for every field without a value and the platform tenant when there is no tenant', () => {
    const { logger, last } = captureLogger({ callerLocation: false });
    logger.info('plain');
    expect(last()).toMatchObject({
      tenantId: PLATFORM_TENANT_ID,
      tenantSlug: null,
      userId: null,
      sessionId: null,
      impersonatorId: null,
      requestId: null,
      traceId: null,
      spanId: null,
      action: null,
      file: null,
      line: null,
      function: null,
      message: 'plain',
      data: null,
      errorType: null,
      errorCode: null,
      errorStack: null,
      version: null,
      region: null,
      service: 'admin',
      environment: 'development',
    });
  });

  it('carries service, environment, version and region from options or the environment', () => {
    const fromOptions = captureLogger({
      service: 'storefront',
      environment: 'staging',
      version: '2.0.1',
      region: 'eu-west-1',
    });
    fromOptions.logger.info('x');
    expect(fromOptions.last()).toMatchObject({
      service: 'storefront',
      environment: 'staging',
      version: '2.0.1',
      region: 'eu-west-1',
    });

    const fromEnv = captureLogger({ env: { APP_ENV: 'production', APP_VERSION: '3.1.0', APP_REGION: 'us-east-2' } });
    fromEnv.logger.info('x');
    expect(fromEnv.last()).toMatchObject({ environment: 'production', version: '3.1.0', region: 'us-east-2' });

    const fromNpm = captureLogger({ env: { npm_package_version: '0.9.0' } });
    fromNpm.logger.info('x');
    expect(fromNpm.last().version).toBe('0.9.0');
  });

  it('makes ids that sort in the order the entries were written', () => {
    const { logger, entries } = captureLogger({ callerLocation: false });
    for (let i = 0; i < 3000; i++) logger.info('burst');
    const ids = entries().map((entry) => entry.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });
});

describe('uuidv7', () => {
  it('stays unique and ordered past 4,096 ids in one millisecond and when the clock steps back', () => {
    const now = Date.now() + 60_000;
    const ids = [...Array.from({ length: 5000 }, () => uuidv7(now)), uuidv7(now - 10_000), uuidv7(now + 1)];
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect(idTime(ids[0])).toBe(now);
  });
});

describe('context', () => {
  it('puts the logger context and each child context on the entries; a child adds to its parent', () => {
    const { logger, entries } = captureLogger({ tenantId: 't_1', action: 'boot' });
    const request = logger.child({ userId: 'u_1', requestId: 'r_1', tenantSlug: 'acme' });
    const job = request.child({ action: 'charge', sessionId: 's_1', impersonatorId: 'admin_7' });
    logger.info('root');
    request.info('request');
    job.info('job');
    const [root, req, child] = entries();
    expect(root).toMatchObject({ tenantId: 't_1', action: 'boot', userId: null });
    expect(req).toMatchObject({ tenantId: 't_1', tenantSlug: 'acme', userId: 'u_1', requestId: 'r_1', action: 'boot' });
    expect(child).toMatchObject({
      tenantId: 't_1',
      userId: 'u_1',
      requestId: 'r_1',
      action: 'charge',
      sessionId: 's_1',
      impersonatorId: 'admin_7',
    });
  });
});

describe('errors', () => {
  it('serializes type, code, stack and the cause chain', () => {
    class PaymentDeclined extends Error {
      code = 'card_declined';
    }
    const { logger, last } = captureLogger();
    const err = new PaymentDeclined('card was declined', {
      cause: new TypeError('amount is not a number', { cause: 'gateway said no' }),
    });
    logger.error('payment failed', err, { orderId: 'o_1' });
    const entry = last();
    expect(entry).toMatchObject({
      level: 'error',
      message: 'payment failed',
      errorType: 'PaymentDeclined',
      errorCode: 'card_declined',
      data: { orderId: 'o_1' },
    });
    expect(entry.errorStack).toContain('card was declined');
    expect(entry.errorStack).toContain('\nCaused by: TypeError: amount is not a number');
    expect(entry.errorStack).toContain('\nCaused by: gateway said no');
    expect(typeof entry.errorStack).toBe('string');
  });

  it('prefers an explicit error name and keeps numeric codes as text', () => {
    const { logger, last } = captureLogger();
    const err = Object.assign(new Error('nope'), { name: 'ValidationError', code: 422 });
    logger.error('invalid', err);
    expect(last()).toMatchObject({ errorType: 'ValidationError', errorCode: '422', data: null });
  });

  it('stops at a cause cycle', () => {
    const { logger, last } = captureLogger();
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as Error & { cause: unknown }).cause = b;
    logger.error('cycle', a);
    expect(last().errorStack).toContain('Caused by: [Circular]');
  });

  it('takes anything as the error: a string, an object, undefined', () => {
    const { logger, entries } = captureLogger();
    logger.error('thrown string', 'socket hang up');
    logger.error('thrown object', { code: 'ECONNRESET', retry: true }, { attempt: 2 });
    logger.error('nothing thrown', undefined, { attempt: 3 });
    logger.error('two arguments, plain object', { attempt: 4 });
    const [text, object, nothing, plain] = entries();
    expect(text).toMatchObject({
      errorType: 'NonError',
      errorCode: null,
      errorStack: null,
      data: { error: 'socket hang up' },
    });
    expect(object).toMatchObject({
      errorType: 'NonError',
      errorCode: 'ECONNRESET',
      data: { attempt: 2, error: { code: 'ECONNRESET', retry: true } },
    });
    expect(nothing).toMatchObject({ errorType: null, errorStack: null, data: { attempt: 3 } });
    expect(plain).toMatchObject({ errorType: null, data: { attempt: 4 } });
  });

  it('takes an error on warn too', () => {
    const { logger, last } = captureLogger();
    logger.warn('retrying', new RangeError('too far'), { attempt: 1 });
    expect(last()).toMatchObject({ level: 'warn', errorType: 'RangeError', data: { attempt: 1 } });
  });
});

describe('caller location', () => {
  function logFromNamedFunction(log: ReturnType<typeof captureLogger>['logger']): number {
    const line = nextLine();
    log.info('from a function');
    return line;
  }

  it("points at the calling code's file, line and function, not at the logger", () => {
    const { logger, entries } = captureLogger();
    const topLine = nextLine();
    logger.info('top');
    const functionLine = logFromNamedFunction(logger);
    const childLine = nextLine();
    logger.child({ userId: 'u' }).error('child', new Error('x'));
    const [top, inFunction, child] = entries();
    expect(top).toMatchObject({ file: join('test', 'logger.test.ts'), line: topLine });
    expect(inFunction).toMatchObject({
      file: join('test', 'logger.test.ts'),
      line: functionLine,
      function: 'logFromNamedFunction',
    });
    expect(child).toMatchObject({ file: join('test', 'logger.test.ts'), line: childLine });
  });

  it("with 'errors', is on warn and error entries only, by option or by LOG_CALLER_LOCATION=errors", () => {
    for (const options of [{ callerLocation: 'errors' as const }, { env: { LOG_CALLER_LOCATION: 'errors' } }]) {
      const { logger, entries } = captureLogger(options);
      logger.debug('d');
      logger.info('i');
      const warnLine = nextLine();
      logger.warn('w');
      const errorLine = nextLine();
      logger.error('e', new Error('x'));
      const [debug, info, warn, error] = entries();
      for (const entry of [debug, info]) expect(entry).toMatchObject({ file: null, line: null, function: null });
      expect(warn).toMatchObject({ file: join('test', 'logger.test.ts'), line: warnLine });
      expect(error).toMatchObject({ file: join('test', 'logger.test.ts'), line: errorLine });
      for (const entry of entries()) expect(Object.keys(entry).sort()).toEqual([...LOG_ENTRY_FIELDS].sort());
    }
  });

  it('rejects an unknown LOG_CALLER_LOCATION with a clear error', () => {
    expect(() => captureLogger({ env: { LOG_CALLER_LOCATION: 'sometimes' } })).toThrow(
      'LOG_CALLER_LOCATION must be all, errors or off, got "sometimes"',
    );
  });

  it('is left out (null) when turned off, by option or by LOG_CALLER_LOCATION=false', () => {
    const byOption = captureLogger({ callerLocation: false });
    byOption.logger.info('x');
    expect(byOption.last()).toMatchObject({ file: null, line: null, function: null });
    const byEnv = captureLogger({ env: { LOG_CALLER_LOCATION: 'false' } });
    byEnv.logger.warn('x');
    expect(byEnv.last()).toMatchObject({ file: null, line: null, function: null });
  });
});

describe('levels', () => {
  it('drops debug in production, even when LOG_LEVEL asks for it', () => {
    const { logger, entries } = captureLogger({ env: { APP_ENV: 'production', LOG_LEVEL: 'debug' } });
    logger.debug('hidden');
    logger.info('shown');
    expect(entries().map((entry) => entry.message)).toEqual(['shown']);
    expect(logger.isLevelEnabled('debug')).toBe(false);
  });

  it('keeps debug in development and honours LOG_LEVEL elsewhere', () => {
    const dev = captureLogger();
    dev.logger.debug('kept');
    expect(dev.entries().map((entry) => entry.message)).toEqual(['kept']);
    const staging = captureLogger({ env: { APP_ENV: 'staging', LOG_LEVEL: 'warn' } });
    staging.logger.info('dropped');
    staging.logger.warn('kept');
    expect(staging.entries().map((entry) => entry.message)).toEqual(['kept']);
  });
});

describe("pino's levels and calls", () => {
  it('has trace and fatal, written with their names and stored as debug and error', () => {
    const { logger, wire, entries } = captureLogger({ config: { minLevel: 'trace' } });
    logger.trace('t', { n: 1 });
    logger.fatal('f', new Error('down'));
    expect(wire().map((line) => line.level)).toEqual(['trace', 'fatal']);
    expect(entries()).toMatchObject([
      { level: 'debug', message: 't', data: { n: 1 } },
      { level: 'error', message: 'f', errorType: 'Error' },
    ]);
  });

  it("takes pino's level names in LOG_LEVEL, any case, and names the allowed ones otherwise", () => {
    const messages = (LOG_LEVEL: string) => {
      const { logger, entries } = captureLogger({ env: { LOG_LEVEL } });
      logger.trace('trace');
      logger.debug('debug');
      logger.error('error');
      logger.fatal('fatal');
      return entries().map((entry) => entry.message);
    };
    expect(messages('trace')).toEqual(['trace', 'debug', 'error', 'fatal']);
    expect(messages('FATAL')).toEqual(['fatal']);
    expect(messages('silent')).toEqual([]);
    expect(() => captureLogger({ env: { LOG_LEVEL: 'verbose' } })).toThrow(
      'LOG_LEVEL must be one of trace, debug, info, warn, error, fatal or silent, got "verbose"',
    );
  });

  it('reads and sets the level at runtime, for every logger of the tree, children made before included', () => {
    const { logger, entries } = captureLogger();
    const child = logger.child({ userId: 'u_1' });
    expect(logger.level).toBe('debug');
    logger.level = 'warn';
    expect(child.level).toBe('warn');
    expect(child.isLevelEnabled('info')).toBe(false);
    child.info('dropped');
    child.warn('kept');
    child.level = 'trace';
    logger.trace('traced');
    expect(entries().map((entry) => entry.message)).toEqual(['kept', 'traced']);
    expect(() => {
      logger.level = 'loud' as 'info';
    }).toThrow('level must be one of trace, debug, info, warn, error, fatal or silent, got "loud"');
  });

  it('keeps the keys of child() beyond the context in the data of every entry, redacted, under the call data', () => {
    const { logger, entries } = captureLogger();
    const billing = logger.child({ tenantId: 't_1', component: 'billing', apiKey: 'sk_live', attempt: 1 });
    billing.info('charged', { attempt: 2 });
    billing.child({ step: 'refund' }).warn('refunded');
    billing.info('no data');
    expect(entries()).toMatchObject([
      { tenantId: 't_1', message: 'charged', data: { component: 'billing', apiKey: '[REDACTED]', attempt: 2 } },
      {
        tenantId: 't_1',
        message: 'refunded',
        data: { component: 'billing', apiKey: '[REDACTED]', attempt: 1, step: 'refund' },
      },
      { tenantId: 't_1', message: 'no data', data: { component: 'billing', apiKey: '[REDACTED]', attempt: 1 } },
    ]);
  });

  it("understands pino's order: the object first, then the message; an error first; an err key", () => {
    const { logger, entries } = captureLogger();
    logger.info({ orderId: 'o_1' }, 'order placed');
    logger.warn({ orderId: 'o_2' });
    const err = new TypeError('card declined');
    logger.error(err, 'payment failed');
    logger.error({ err, orderId: 'o_3' }, 'payment failed again');
    logger.fatal(err);
    expect(entries()).toMatchObject([
      { level: 'info', message: 'order placed', data: { orderId: 'o_1' }, errorType: null },
      { level: 'warn', message: '', data: { orderId: 'o_2' } },
      { level: 'error', message: 'payment failed', errorType: 'TypeError', data: null },
      { level: 'error', message: 'payment failed again', errorType: 'TypeError', data: { orderId: 'o_3' } },
      { level: 'error', message: 'card declined', errorType: 'TypeError' },
    ]);
  });
});

describe('never throws', () => {
  it('writes a line saying the entry could not be serialized when writing it failed', () => {
    const lines: string[] = [];
    let failures = 1;
    const logger = createLogger({
      service: 'admin',
      transports: false,
      env: {},
      config: { console: 'off' },
      destination: {
        write(line: string) {
          if (failures-- > 0) throw new Error('disk on fire');
          lines.push(line);
        },
      },
    });
    expect(() => logger.info('first try', { a: 1 })).not.toThrow();
    expect(lines).toHaveLength(1);
    const entry = storedEntry(lines[0]);
    expect(Object.keys(entry).sort()).toEqual([...LOG_ENTRY_FIELDS].sort());
    expect(entry.message).toBe('Log entry could not be serialized: first try');
    expect(entry.data).toEqual({ reason: 'disk on fire' });
  });

  it('turns a message that is not a string into text', () => {
    const { logger, entries } = captureLogger();
    const unprintable = {
      toString: () => {
        throw new Error('no');
      },
    };
    logger.info(42 as unknown as string);
    logger.info(unprintable as unknown as string);
    expect(entries().map((entry) => entry.message)).toEqual(['42', '[message could not be converted to text]']);
  });
});

describe('close', () => {
  it('resolves after the worker-thread transport has written every line', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'platform-logging-')), 'out.ndjson');
    const logger = createLogger({
      service: 'admin',
      transports: false,
      env: {},
      config: { console: 'off' },
      targets: [{ target: 'pino/file', options: { destination: file } }],
    });
    for (let i = 0; i < 2000; i++) i % 2 === 0 ? logger.debug('entry', { i }) : logger.info('entry', { i });
    await logger.flush();
    await logger.close();
    const written = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(written).toHaveLength(2000);
    expect(written.map((entry) => entry.data.i)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(written.filter((entry) => entry.level === 'debug')).toHaveLength(1000);
    expect(() => logger.info('after close')).not.toThrow();
    await expect(logger.close()).resolves.toEqual({}); // no platform store, so no store report
  });

  it('rejects when the transports miss the deadline', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'platform-logging-')), 'out.ndjson');
    const logger = createLogger({
      service: 'admin',
      transports: false,
      env: {},
      config: { console: 'off' },
      targets: [{ target: 'pino/file', options: { destination: file } }],
    });
    logger.info('x');
    await expect(logger.close({ timeoutMs: 0 })).rejects.toThrow(/did not finish within 0 ms/);
  });
});

describe('console', () => {
  const entry = new URL('../dist/src/index.js', import.meta.url).pathname;
  const script = `const { createLogger } = await import(${JSON.stringify(entry)});
const logger = createLogger({ service: 'admin', transports: false });
logger.info('hello console', { n: 1 });
await logger.close();`;
  const run = (env: Record<string, string>) =>
    execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
    });

  it('writes JSON lines to stdout in staging', () => {
    const out = run({ APP_ENV: 'staging' }).trim().split('\n');
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0])).toMatchObject({ message: 'hello console', level: 'info', environment: 'staging' });
  });

  it('writes nothing to stdout in production', () => {
    expect(run({ APP_ENV: 'production' })).toBe('');
  });

  it('writes readable lines in development, without the empty fields', () => {
    const out = run({ APP_ENV: 'development' });
    expect(out).toContain('hello console');
    expect(out).toContain('"n": 1');
    expect(out).toContain('tenantId: "_platform"');
    expect(out).not.toContain('null');
    expect(() => JSON.parse(out.trim())).toThrow();
  });

  it('follows LOG_CONSOLE over the environment default', () => {
    const out = run({ APP_ENV: 'production', LOG_CONSOLE: 'json' }).trim();
    expect(JSON.parse(out)).toMatchObject({ message: 'hello console', environment: 'production' });
  });
});
