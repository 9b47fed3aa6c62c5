import { describe, expect, it } from 'vitest';
import { REDACTED, createKeyRules } from '../src/redact.js';
import { createDataSanitizer } from '../src/safe-data.js';
import { captureLogger } from './support/log-lines.js';

const sanitize = createDataSanitizer(createKeyRules(), { maxStringLength: 100 });

describe('redaction', () => {
  it('redacts secret keys at any depth, whatever their case and separators', () => {
    const { logger, last } = captureLogger();
    logger.info('call', {
      password: 'p',
      user: { name: 'ann', Passwd: 'p', profile: { settings: { api_key: 'k', 'X-API-Key': 'k2' } } },
      request: {
        headers: {
          Authorization: 'Bearer abc.def',
          cookie: 'sid=1',
          'set-cookie': ['a=1'],
          'content-type': 'application/json',
        },
      },
      tokens: [{ accessToken: 'a', refresh_token: 'r', expiresIn: 3600 }],
      stripe: { clientSecret: 's', privateKey: 'pk', webhookSecret: 'w' },
      card: { creditCard: '4111', cvv: '123', last4: '1111' },
      tokenCount: 12,
      author: 'ann',
    });
    expect(last().data).toEqual({
      password: REDACTED,
      user: { name: 'ann', Passwd: REDACTED, profile: { settings: { api_key: REDACTED, 'X-API-Key': REDACTED } } },
      request: {
        headers: {
          Authorization: REDACTED,
          cookie: REDACTED,
          'set-cookie': REDACTED,
          'content-type': 'application/json',
        },
      },
      tokens: [{ accessToken: REDACTED, refresh_token: REDACTED, expiresIn: 3600 }],
      stripe: { clientSecret: REDACTED, privateKey: REDACTED, webhookSecret: REDACTED },
      card: { creditCard: REDACTED, cvv: REDACTED, last4: '1111' },
      tokenCount: 12,
      author: 'ann',
    });
  });

  it('redacts inside Maps and leaves the caller’s object untouched', () => {
    const { logger, last } = captureLogger();
    const data = { nested: { secret: 's', keep: 1 }, headers: new Map([['authorization', 'Bearer x']]) };
    logger.info('x', data);
    expect(last().data).toEqual({ nested: { secret: REDACTED, keep: 1 }, headers: { authorization: REDACTED } });
    expect(data.nested.secret).toBe('s');
  });

  it('takes extra keys from options and LOG_REDACT_KEYS, and can be turned off', () => {
    const extra = captureLogger({ redact: { keys: ['ssn'] }, env: { LOG_REDACT_KEYS: 'internal-note, pin' } });
    extra.logger.info('x', { SSN: '1', internalNote: 'n', pin: '0000', other: 'o' });
    expect(extra.last().data).toEqual({ SSN: REDACTED, internalNote: REDACTED, pin: REDACTED, other: 'o' });

    const off = captureLogger({ redact: { enabled: false } });
    off.logger.info('x', { password: 'visible' });
    expect(off.last().data).toEqual({ password: 'visible' });
  });
});

describe('bad input', () => {
  it('marks cycles but keeps a shared object seen twice', () => {
    const shared = { id: 1 };
    const cyclic: Record<string, unknown> = { name: 'loop', shared, again: shared };
    cyclic.self = cyclic;
    cyclic.list = [cyclic, { back: cyclic }];
    expect(sanitize(cyclic)).toEqual({
      name: 'loop',
      shared: { id: 1 },
      again: { id: 1 },
      self: '[Circular]',
      list: ['[Circular]', { back: '[Circular]' }],
    });
  });

  it('turns BigInt, Buffers, typed arrays, Map, Set, Dates, functions and symbols into JSON values', () => {
    const out = sanitize({
      big: 12345678901234567890n,
      buffer: Buffer.alloc(1234),
      bytes: new Uint8Array(16),
      arrayBuffer: new ArrayBuffer(8),
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, 'b'],
      ]),
      set: new Set(['x', 'y']),
      date: new Date(Date.UTC(2025, 0, 31, 12, 0, 0, 123)),
      badDate: new Date('nope'),
      fn: function handler() {},
      arrow: () => {},
      symbol: Symbol('s'),
      nan: Number.NaN,
      inf: Infinity,
      undef: undefined,
      list: [undefined, 1n],
      regex: /ab+c/i,
      url: new URL('https://example.com/a?b=1'),
    });
    expect(out).toEqual({
      big: '12345678901234567890',
      buffer: '[Buffer 1234 bytes]',
      bytes: '[Uint8Array 16 bytes]',
      arrayBuffer: '[ArrayBuffer 8 bytes]',
      map: { a: 1, '2': 'b' },
      set: ['x', 'y'],
      date: '2025-01-31T12:00:00.123Z',
      badDate: 'Invalid Date',
      fn: '[Function handler]',
      arrow: '[Function arrow]',
      symbol: 'Symbol(s)',
      nan: 'NaN',
      inf: 'Infinity',
      list: [null, '1'],
      regex: '/ab+c/i',
      url: 'https://example.com/a?b=1',
    });
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  });

  it('cuts huge strings with a marker saying how much was cut', () => {
    const out = sanitize({ text: 'a'.repeat(150), exact: 'b'.repeat(100) });
    expect(out).toEqual({ text: `${'a'.repeat(100)}…[truncated 50 chars]`, exact: 'b'.repeat(100) });
  });

  it('cuts messages and stacks at maxStringLength too', () => {
    const { logger, last } = captureLogger({ config: { maxStringLength: 20 } });
    const err = new Error('x');
    err.stack = 's'.repeat(50);
    logger.error('m'.repeat(30), err);
    expect(last().message).toBe(`${'m'.repeat(20)}…[truncated 10 chars]`);
    expect(last().errorStack).toBe(`${'s'.repeat(20)}…[truncated 30 chars]`);
  });

  it('caps keys per object and items per array with a marker', () => {
    const wide = Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`k${i}`, i]));
    const out = sanitize({ wide, long: Array.from({ length: 1200 }, (_, i) => i) })!;
    const keptWide = out.wide as Record<string, unknown>;
    expect(Object.keys(keptWide)).toHaveLength(1001);
    expect(keptWide.k999).toBe(999);
    expect(keptWide.k1000).toBeUndefined();
    expect(keptWide['…']).toBe('[Truncated: 500 more keys]');
    const keptLong = out.long as unknown[];
    expect(keptLong).toHaveLength(1001);
    expect(keptLong[1000]).toBe('[Truncated: 200 more items]');
  });

  it('caps the nesting depth with a marker', () => {
    let deep: Record<string, unknown> = { bottom: true };
    for (let i = 0; i < 15; i++) deep = { next: deep };
    let node = sanitize(deep) as Record<string, unknown>;
    let depth = 0;
    while (typeof node.next === 'object') {
      node = node.next as Record<string, unknown>;
      depth++;
    }
    expect(depth).toBe(9);
    expect(node.next).toBe('[Truncated: nested deeper than 10]');
  });

  it('replaces lone surrogates in data, keys and messages with U+FFFD', () => {
    const { logger, lines, last } = captureLogger();
    logger.info('broken \ud800 message', { 'key\udc00': 'value \ud83d end', fine: '😀' });
    expect(last().message).toBe('broken \ufffd message');
    expect(last().data).toEqual({ 'key\ufffd': 'value \ufffd end', fine: '😀' });
    expect(lines[0]).not.toMatch(/\\ud[89a-f]/i);
  });

  it('wraps data that is not an object as { value }', () => {
    expect(sanitize('text')).toEqual({ value: 'text' });
    expect(sanitize(42)).toEqual({ value: 42 });
    expect(sanitize([1, { password: 'p' }])).toEqual({ value: [1, { password: REDACTED }] });
    expect(sanitize(null)).toBeNull();
    expect(sanitize(undefined)).toBeNull();
  });

  it('describes values whose getters or toJSON throw instead of failing the entry', () => {
    const getter = Object.defineProperty({}, 'boom', {
      enumerable: true,
      get: () => {
        throw new Error('getter failed');
      },
    });
    const badJson = {
      toJSON: () => {
        throw new Error('toJSON failed');
      },
    };
    const proxy = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('no keys');
        },
      },
    );
    expect(sanitize({ getter, badJson, proxy, fine: 1 })).toEqual({
      getter: '[Unserializable: getter failed]',
      badJson: '[Unserializable: toJSON failed]',
      proxy: '[Unserializable: no keys]',
      fine: 1,
    });
  });

  it('summarizes errors found inside data', () => {
    const out = sanitize({ cause: Object.assign(new RangeError('too big'), { code: 'E_RANGE' }) })!;
    expect(out.cause).toMatchObject({ type: 'RangeError', message: 'too big', code: 'E_RANGE' });
    expect((out.cause as { stack: string }).stack).toContain('RangeError: too big');
  });

  it('caps the number of values in one entry', () => {
    const many = Array.from({ length: 30 }, () => Array.from({ length: 1000 }, (_, i) => i));
    const out = sanitize({ many })!;
    expect(JSON.stringify(out)).toContain('[Truncated: too many values]');
  });

  it('logs all of it without throwing, as one valid JSON line', () => {
    const { logger, lines } = captureLogger();
    const cyclic: Record<string, unknown> = { big: 1n, buffer: Buffer.from('abc') };
    cyclic.self = cyclic;
    expect(() => logger.error('everything at once', cyclic, cyclic)).not.toThrow();
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]).data).toMatchObject({ big: '1', buffer: '[Buffer 3 bytes]', self: '[Circular]' });
  });
});
