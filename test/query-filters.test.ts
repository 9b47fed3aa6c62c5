import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compileMatcher } from '../server/query/match.js';
import { parseQuery } from '../server/query/parse.js';
import { SEPARATOR_RANGES, messageWords } from '../server/query/words.js';
import type { StoredLogEntry } from '../src/types.js';
import { PLATFORM_KEY, TENANT_A_KEY, bearer, createTestApp, insertEntries, makeEntry } from './server-fixtures.js';
import { useTestStores } from './support/stores.js';

// Every filter and operator of the query language through the API (PostgreSQL), each answer
// checked against the live matcher on the same entries.
const stores = useTestStores();
let app: Hono<any>;
let close: () => Promise<unknown>;

const HOUR = 3_600_000;
const base = Date.now() - HOUR;
const at = (seconds: number) => new Date(base + seconds * 1000).toISOString();

const named = (name: string, seconds: number, overrides: Partial<StoredLogEntry>) =>
  makeEntry({ sessionId: name, timestamp: at(seconds), ...overrides });
const entries: StoredLogEntry[] = [
  named('e1', 1, {
    message: 'GET https://api.payments.example.com/v1/charges answered 502',
    data: {
      orderId: 'ord_123',
      cart: { total: 150, items: [{ sku: 'AB-1' }, { sku: 'CD-9' }] },
      tags: ['vip', 'eu'],
      paid: true,
    },
  }),
  named('e2', 2, {
    level: 'error',
    errorType: 'TypeError',
    message: 'payment failed: card declined',
    data: { orderId: 'ord_124', cart: { total: 80 }, code: 404 },
  }),
  named('e3', 3, {
    level: 'warn',
    service: 'admin',
    message: 'payment failed after timeout',
    data: { code: '404', tags: ['us'] },
    userId: null,
    version: '1.10.0',
  }),
  named('e4', 4, {
    level: 'debug',
    service: 'inngest',
    message: 'job run for ops@acme.io in billing.invoice.create',
    data: { cart: { items: [{ sku: 'ZZ-0' }] }, score: -2.5 },
    region: null,
    line: 7,
  }),
  named('e5', 5, {
    level: 'error',
    service: 'webhook-handler',
    message: 'order_id missing in payload',
    data: null,
    errorCode: 'E_MISSING',
    impersonatorId: 'admin-9',
    environment: 'production',
    version: '2.0.0',
  }),
  named('e6', 6, {
    service: 'orchestrator',
    message: 'Cache WARM for creator page',
    data: { nested: { deep: { value: 'x' } }, arr: [[1, 2], [3]], name: 'Émile' },
    spanId: null,
  }),
  named('e7', 7, { tenantId: 'tenant-b', message: 'tenant b payment secret', data: { orderId: 'ord_123' } }),
  named('e8', 8, { message: 'payments dashboard opened' }),
];
const byName = new Map(entries.map((entry) => [entry.sessionId!, entry]));
const live = (q: string, of = entries) =>
  of.filter(compileMatcher(parseQuery(q, { now: new Date() }).root)).map((entry) => entry.sessionId!);

async function get(path: string, key = PLATFORM_KEY) {
  const response = await app.request(path, bearer(key));
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // an export
  }
  return { status: response.status, body, text };
}

/** The names the API answers for q, newest first, after checking that the live matcher picks the same. */
async function query(q: string, key = PLATFORM_KEY): Promise<string[]> {
  const { status, body } = await get(`/api/platform/logs?from=2h&limit=1000&q=${encodeURIComponent(q)}`, key);
  expect(status, JSON.stringify(body)).toBe(200);
  const names = body.entries.map((entry: StoredLogEntry) => entry.sessionId);
  if (key === PLATFORM_KEY) expect([...names].sort(), `live and stored agree on ${q}`).toEqual(live(q).sort());
  return [...names].sort();
}

beforeAll(async () => {
  await insertEntries(stores.pool, entries);
  ({ app, close } = await createTestApp(stores));
});
afterAll(async () => close?.());

describe('fields', () => {
  test.each([
    ['level:error', ['e2', 'e5']],
    ['level:>=warn', ['e2', 'e3', 'e5']],
    ['status:(debug OR info)', ['e1', 'e4', 'e6', 'e7', 'e8']],
    ['service:storefront', ['e1', 'e2', 'e7', 'e8']],
    ['service:store*', ['e1', 'e2', 'e7', 'e8']],
    ['service:(admin OR inngest)', ['e3', 'e4']],
    ['-service:storefront', ['e3', 'e4', 'e5', 'e6']],
    ['errorType:TypeError', ['e2']],
    ['errorCode:E_*', ['e5']],
    ['_exists_:impersonatorId', ['e5']],
    ['-_exists_:region', ['e4']],
    ['-_exists_:userId', ['e3']],
    ['environment:production', ['e5']],
    ['env:prod*', ['e5']],
    ['version:>1.2', ['e1', 'e2', 'e4', 'e5', 'e6', 'e7', 'e8']],
    ['version:<1.2', ['e3']],
    ['line:<10', ['e4']],
    ['line:[40 TO 42]', ['e1', 'e2', 'e3', 'e5', 'e6', 'e7', 'e8']],
    ['line:{7 TO *}', ['e1', 'e2', 'e3', 'e5', 'e6', 'e7', 'e8']],
    ['tenantId:tenant-b', ['e7']],
    ['tenant_id:tenant-?', ['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8']],
    ['message:*timeout*', ['e3']],
    ['message:"payment failed after timeout"', ['e3']],
    ['-_exists_:spanId', ['e6']],
    ['_exists_:data', ['e1', 'e2', 'e3', 'e4', 'e6', 'e7', 'e8']],
  ])('%s', async (q, expected) => {
    expect(await query(q)).toEqual(expected);
  });

  test('times: ranges and comparisons on timestamp, absolute and relative', async () => {
    expect(await query(`timestamp:[${at(3)} TO ${at(5)}]`)).toEqual(['e3', 'e4', 'e5']);
    expect(await query(`timestamp:{${at(3)} TO ${at(5)}}`)).toEqual(['e4']);
    expect(await query(`timestamp:>${at(7)}`)).toEqual(['e8']);
    expect(await query(`timestamp:${at(2)}`)).toEqual(['e2']);
    expect(await query('timestamp:<90m')).toEqual([]);
  });

  test('id, exact and by prefix', async () => {
    const { id } = byName.get('e2')!;
    expect(await query(`id:${id}`)).toEqual(['e2']);
    expect(await query(`id:${id.toUpperCase()}`)).toEqual(['e2']);
    expect(await query(`id:${id.slice(0, 30)}*`)).toEqual(['e2']);
  });
});

describe('data paths', () => {
  test.each([
    ['@orderId:ord_123', ['e1', 'e7']],
    ['@orderId:ord_12*', ['e1', 'e2', 'e7']],
    ['@orderId:(ord_124 OR ord_999)', ['e2']],
    ['@cart.total:>100', ['e1']],
    ['@cart.total:>=80', ['e1', 'e2']],
    ['@cart.total:[80 TO 150}', ['e2']],
    ['@cart.items.sku:CD-9', ['e1']],
    ['@cart.items.sku:*-?', ['e1', 'e4']],
    ['@code:404', ['e2', 'e3']],
    ['@code:"404"', ['e3']],
    ['@tags:(us OR eu)', ['e1', 'e3']],
    ['@tags:vip @tags:eu', ['e1']],
    ['-@tags:vip', ['e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8']],
    ['@paid:true', ['e1']],
    ['@score:<0', ['e4']],
    ['@nested.deep.value:x', ['e6']],
    ['@arr:3', ['e6']],
    ['@name:>D', ['e6']],
    ['@name:É*', ['e6']],
    ['@orderId:*', ['e1', 'e2', 'e7']],
    ['-@orderId:*', ['e3', 'e4', 'e5', 'e6', 'e8']],
    // e8 has the fixture's default data, { cart: { items: 2 }, … }
    ['_exists_:@cart.items', ['e1', 'e4', 'e8']],
    ['@cart:*', ['e1', 'e2', 'e4', 'e8']],
    ['@cart.items:2', ['e8']],
  ])('%s', async (q, expected) => {
    expect(await query(q)).toEqual(expected);
  });
});

describe('full-text words, found where users expect them', () => {
  test.each([
    // inside a URL, a host, an email, a dotted identifier
    ['payments', ['e1', 'e8']],
    ['charges', ['e1']],
    ['acme', ['e4']],
    ['invoice', ['e4']],
    ['api.payments.example.com', ['e1']],
    ['"https://api.payments.example.com/v1"', ['e1']],
    ['"example payments"', []],
    ['"payment failed"', ['e2', 'e3']],
    ['payment -timeout', ['e2', 'e7']],
    ['pay*', ['e1', 'e2', 'e3', 'e5', 'e7', 'e8']],
    ['"billing.invoice.cre"*', []],
    ['billing.invoice.cre*', ['e4']],
    ['cache', ['e6']],
    ['CACHE warm', ['e6']],
    ['order_id', ['e5']],
    ['order', []],
    ['timeout or cache', ['e3', 'e6']],
  ])('%s', async (q, expected) => {
    expect(await query(q)).toEqual(expected);
  });
});

describe('AND, OR, NOT and parentheses', () => {
  test.each([
    ['level:error OR @paid:true', ['e1', 'e2', 'e5']],
    ['(service:storefront AND -level:error) OR @score:<0', ['e1', 'e4', 'e7', 'e8']],
    ['NOT (level:info OR level:debug)', ['e2', 'e3', 'e5']],
    ['NOT level:info AND NOT level:debug', ['e2', 'e3', 'e5']],
    ['payment AND (level:warn OR tenantId:tenant-b)', ['e3', 'e7']],
    [
      'level:error service:storefront @orderId:ord_124 @cart.total:>50 errorType:TypeError "payment failed" -timeout',
      ['e2'],
    ],
  ])('%s', async (q, expected) => {
    expect(await query(q)).toEqual(expected);
  });

  test('q combines with the other filters by AND', async () => {
    const { body } = await get(
      `/api/platform/logs?from=2h&service=storefront&q=${encodeURIComponent('payment OR payments')}`,
    );
    expect(body.entries.map((entry: StoredLogEntry) => entry.sessionId).sort()).toEqual(['e1', 'e2', 'e7', 'e8']);
  });
});

describe('a tenant key stays confined whatever q says', () => {
  test.each([
    ['tenantId:tenant-b', []],
    ['tenantId:(tenant-a OR tenant-b) @orderId:ord_123', ['e1']],
    ['-tenantId:tenant-a', []],
    ['tenantId:tenant-* payment', ['e2', 'e3']],
    ['@orderId:ord_123 OR tenantId:tenant-b', ['e1']],
  ])('%s', async (q, expected) => {
    expect(await query(q, TENANT_A_KEY)).toEqual(expected);
  });
});

describe('every filtered route takes the language', () => {
  test('histogram, aggregates and export count and give the same entries', async () => {
    const q = encodeURIComponent('@orderId:ord_12* OR level:error');
    const { body: histogram } = await get(`/api/platform/logs/histogram?from=2h&tenantId=tenant-a&q=${q}`);
    const totals = histogram.buckets.reduce(
      (sum: number, bucket: any) => sum + bucket.counts.info + bucket.counts.error,
      0,
    );
    expect(totals).toBe(3);
    const { text } = await get(`/api/platform/logs/export?from=2h&tenantId=tenant-a&q=${q}`);
    expect(
      text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).sessionId),
    ).toEqual(['e5', 'e2', 'e1']);
    const csv = await get(
      `/api/platform/logs/export?format=csv&from=2h&q=${encodeURIComponent('@cart.total:>=80 @cart.total:<100.5 -@code:"404"')}`,
    );
    expect(csv.text.trimEnd().split('\r\n')).toHaveLength(2);
    const { body: aggregates } = await get(
      `/api/platform/logs/aggregates?from=2h&q=${encodeURIComponent('errorType:TypeError')}`,
    );
    expect(aggregates.groups).toEqual([]); // the fixture's error entries carry no signature
  });
});

describe('PostgreSQL and the live matcher split words the same way', () => {
  const sorted = (words: string[]) => [...words].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const vector = async (text: string): Promise<string[]> => {
    const { rows } = await stores.pool.query(`SELECT tsvector_to_array(platform_log_search_vector($1)) AS words`, [
      text,
    ]);
    return sorted(rows[0].words);
  };
  const js = (text: string) => sorted([...messageWords(text).indexed]);

  test('at every edge of every separator range', async () => {
    const codes = new Set<number>();
    for (const [from, to] of SEPARATOR_RANGES)
      for (const code of [from - 1, from, to, to + 1])
        if (code > 0 && !(code >= 0xd800 && code <= 0xdfff)) codes.add(code);
    const texts = [...codes].map((code) => `x${String.fromCodePoint(code)}y Z${String.fromCodePoint(code)}`);
    const { rows } = await stores.pool.query(
      `SELECT t, tsvector_to_array(platform_log_search_vector(t)) AS words FROM unnest($1::text[]) AS t`,
      [texts],
    );
    expect(rows).toHaveLength(texts.length);
    for (const row of rows) expect(sorted(row.words), JSON.stringify(row.t)).toEqual(js(row.t));
  });

  test('case: ASCII letters fold, others are kept as written', async () => {
    expect(await vector('ÉCOLE école MiXeD ΣΟΦΙΑ')).toEqual(js('ÉCOLE école MiXeD ΣΟΦΙΑ'));
    expect(js('ÉCOLE école MiXeD')).toEqual(sorted(['mixed', 'école', 'École']));
  });

  test('long words are left out, long messages read to 100,000 characters', async () => {
    const long = `${'é'.repeat(1023)} ${'x'.repeat(2047)} ${'y'.repeat(2048)} short`;
    expect(await vector(long)).toEqual(js(long));
    // 99,996 characters, a rocket (one character, two UTF-16 units), then the 100,000th is the t of cut
    const huge = `${'ab '.repeat(33_332)}🚀cutd tail`;
    expect(await vector(huge)).toEqual(js(huge));
    expect(js(huge)).toEqual(['ab', 'cut']);
  });
});
