import { createClient } from 'redis';
import { describe, expect, test } from 'vitest';
import { createLogger } from '../src/factory.js';
import type { PlatformLogger } from '../src/logger.js';
import type { StoredLogEntry } from '../src/types.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();

const MB = 'm'.repeat(1024 * 1024);
const deep = (levels: number) => {
  const root: Record<string, unknown> = {};
  let node = root;
  for (let i = 0; i < levels; i++) node = (node.next = {}) as Record<string, unknown>;
  return root;
};
const circular = () => {
  const a: Record<string, unknown> = { name: 'a' };
  a.self = a;
  a.list = [a, { back: a }];
  return a;
};
const hostileProxy = new Proxy(
  {},
  {
    ownKeys() {
      throw new Error('ownKeys trap');
    },
  },
);

/** Each case logs through its own child logger, whose requestId names the case. */
const CASES: Record<string, (log: PlatformLogger) => void> = {
  'message-1mb': (log) => log.info(MB),
  'data-1mb': (log) => log.info('big data', { blob: MB }),
  'data-10000-keys': (log) =>
    log.info('many keys', Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]))),
  'data-deep-1000': (log) => log.info('deep', deep(1_000)),
  circular: (log) => log.info('circular', circular()),
  bigint: (log) => log.info('bigint', { big: 2n ** 80n }),
  buffer: (log) => log.info('buffer', { buffer: Buffer.alloc(4096, 1), bytes: new Uint8Array(10) }),
  'lone-surrogates': (log) => log.warn('lone \uD800 high and \uDC00 low', { value: 'x\uDFFFy', 'key\uD801': 1 }),
  'nul-characters': (log) =>
    log.error('nul \u0000 in message', { value: 'a\u0000b', 'key\u0000': 'v', nested: { list: ['\u0000'] } }),
  'nul-in-context': (log) => log.child({ tenantSlug: 'slug\u0000', userId: 'user\u0000' }).info('nul in context'),
  'throw-string': (log) => log.error('threw a string', 'just a string'),
  'throw-number': (log) => log.error('threw a number', 42),
  'throw-null': (log) => log.error('threw null', null),
  'throw-object': (log) => log.error('threw an object', { code: 'E_OBJ', reason: 'plain object' }, { extra: true }),
  'throw-symbol': (log) => log.error('threw a symbol', Symbol('sym')),
  'throwing-getter': (log) =>
    log.info('getter', {
      get boom() {
        throw new Error('getter threw');
      },
    }),
  'hostile-proxy': (log) => log.info('proxy', { proxy: hostileProxy }),
  'message-not-text': (log) => log.info({ toString: () => 'object as message' } as unknown as string),
};

async function streamEntries(): Promise<StoredLogEntry[]> {
  const redis = createClient({ url: stores.redisUrl });
  await redis.connect();
  try {
    return ((await redis.xRange(stores.streamKey, '-', '+')) ?? []).map(
      (message) => JSON.parse(message.message.entry) as StoredLogEntry,
    );
  } finally {
    await redis.close();
  }
}

describe('bad input to the library', () => {
  test('every hostile entry is stored safely in PostgreSQL and the stream, and the entries after it too', async () => {
    const logger = createLogger({
      service: 'storefront',
      environment: 'test',
      tenantId: 'bad-input',
      env: {},
      config: { console: 'off' },
      transports: {
        postgres: { connectionString: stores.databaseUrl },
        redis: { url: stores.redisUrl, streamKey: stores.streamKey, channel: stores.channel },
      },
    });
    for (const [name, log] of Object.entries(CASES)) {
      expect(() => log(logger.child({ requestId: name })), name).not.toThrow();
      logger.child({ requestId: `after-${name}` }).info('the entry after it');
    }
    await logger.close();

    const { rows } = await stores.pool.query<{
      request_id: string;
      message: string;
      data: unknown;
      error_type: string | null;
      tenant_slug: string | null;
      user_id: string | null;
    }>(
      `SELECT request_id, message, data, error_type, tenant_slug, user_id FROM platform_logs WHERE tenant_id = 'bad-input'`,
    );
    const stored = new Map(rows.map((row) => [row.request_id, row]));
    const inStream = new Map((await streamEntries()).map((entry) => [entry.requestId, entry]));
    const names = Object.keys(CASES).flatMap((name) => [name, `after-${name}`]);
    console.log(
      'reliability bad input',
      JSON.stringify({
        cases: Object.keys(CASES).length,
        logged: names.length,
        stored: rows.length,
        inStream: inStream.size,
      }),
    );
    expect([...stored.keys()].sort()).toEqual([...names].sort());
    expect([...inStream.keys()].sort()).toEqual([...names].sort());

    const text = (name: string) => JSON.stringify(stored.get(name));
    expect(stored.get('message-1mb')!.message).toMatch(/^m{32768}…\[truncated 1015808 chars\]$/);
    expect(text('data-1mb')).toContain('…[truncated 1015808 chars]');
    const manyKeys = stored.get('data-10000-keys')!.data as Record<string, unknown>;
    expect(Object.keys(manyKeys)).toHaveLength(1_001);
    expect(manyKeys['…']).toBe('[Truncated: 9000 more keys]');
    expect(text('data-deep-1000')).toContain('[Truncated: nested deeper than 10]');
    expect(stored.get('circular')!.data).toEqual({
      name: 'a',
      self: '[Circular]',
      list: ['[Circular]', { back: '[Circular]' }],
    });
    expect(stored.get('bigint')!.data).toEqual({ big: (2n ** 80n).toString() });
    expect(stored.get('buffer')!.data).toEqual({ buffer: '[Buffer 4096 bytes]', bytes: '[Uint8Array 10 bytes]' });
    expect(stored.get('lone-surrogates')!.message).toBe('lone \uFFFD high and \uFFFD low');
    expect(stored.get('lone-surrogates')!.data).toEqual({ value: 'x\uFFFDy', 'key\uFFFD': 1 });
    expect(stored.get('nul-characters')!.message).toBe('nul \uFFFD in message');
    expect(stored.get('nul-characters')!.data).toEqual({
      value: 'a\uFFFDb',
      'key\uFFFD': 'v',
      nested: { list: ['\uFFFD'] },
    });
    expect(stored.get('nul-in-context')).toMatchObject({ tenant_slug: 'slug\uFFFD', user_id: 'user\uFFFD' });
    for (const [name, value] of [
      ['throw-string', 'just a string'],
      ['throw-number', 42],
      ['throw-symbol', 'Symbol(sym)'],
    ] as const) {
      expect(stored.get(name)).toMatchObject({ error_type: 'NonError', data: { error: value } });
    }
    expect(stored.get('throw-object')).toMatchObject({
      error_type: 'NonError',
      data: { extra: true, error: { code: 'E_OBJ', reason: 'plain object' } },
    });
    expect(stored.get('throw-null')).toMatchObject({ message: 'threw null' });
    expect(text('throwing-getter')).toContain('getter threw');
    expect(text('hostile-proxy')).toContain('ownKeys trap');
    expect(stored.get('message-not-text')!.message).toBe('object as message');
    // the stream holds the same safe entries as PostgreSQL
    expect(inStream.get('nul-characters')!.message).toBe('nul \uFFFD in message');
    expect(inStream.get('message-1mb')!.message).toBe(stored.get('message-1mb')!.message);
  });
});
