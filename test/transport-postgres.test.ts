import { hostname } from 'node:os';
import pg from 'pg';
import pino from 'pino';
import { describe, expect, test } from 'vitest';
import { transportModulePath } from '../src/transport-targets.js';
import { closeTransport, openTransport, send, waitFor, wireEntry } from './fixtures/transport-harness.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();

async function countFor(tenantId: string): Promise<number> {
  const { rows } = await stores.pool.query('SELECT count(*)::int AS n FROM platform_logs WHERE tenant_id = $1', [
    tenantId,
  ]);
  return rows[0].n;
}

async function rowsFor(tenantId: string) {
  const { rows } = await stores.pool.query(
    `SELECT *, "timestamp" AS ts, tableoid::regclass::text AS partition FROM platform_logs WHERE tenant_id = $1 ORDER BY "timestamp", id`,
    [tenantId],
  );
  return rows;
}

describe('postgres transport', () => {
  test('stores every field of wire entries, with signature and template on warn and error only', async () => {
    const info = wireEntry({
      tenantId: 'fields',
      level: 'info',
      traceId: 'trace-9',
      spanId: 'span-1',
      action: 'cart.add',
    });
    const error = wireEntry({
      tenantId: 'fields',
      level: 'error',
      message: 'payment 123 failed',
      errorType: 'PaymentError',
      errorCode: 'E_DECLINED',
      errorStack: 'PaymentError: payment 123 failed\n    at pay (src/pay.ts:10:5)',
      timestamp: new Date(Date.now() + 1).toISOString(),
    });
    const stream = openTransport({ postgres: { connectionString: stores.databaseUrl } });
    send(stream, [info, error]);
    await closeTransport(stream);

    const rows = await rowsFor('fields');
    expect(rows).toHaveLength(2);
    const [storedInfo, storedError] = rows;
    expect(storedInfo).toMatchObject({
      id: info.id,
      level: 'info',
      tenant_slug: 'acme',
      user_id: 'user-1',
      request_id: 'req-1',
      trace_id: 'trace-9',
      span_id: 'span-1',
      service: 'storefront',
      action: 'cart.add',
      file: 'src/cart.ts',
      line: 42,
      function: 'addItem',
      message: 'item added to cart',
      data: { sku: 'A-1', quantity: 2 },
      environment: 'test',
      version: '1.2.3',
      region: 'eu-west-1',
      error_signature: null,
      message_template: null,
    });
    expect(storedInfo.ts.toISOString()).toBe(info.timestamp);
    expect(storedError).toMatchObject({
      id: error.id,
      error_type: 'PaymentError',
      error_code: 'E_DECLINED',
      error_stack: error.errorStack,
    });
    expect(storedError.error_signature).toMatch(/^[0-9a-f]{16}$/);
    expect(typeof storedError.message_template).toBe('string');
  });

  test('an entry id is stored once, however often it is sent', async () => {
    const entry = wireEntry({ tenantId: 'dedupe' });
    const first = openTransport({ postgres: { connectionString: stores.databaseUrl } });
    send(first, [entry, entry]);
    await closeTransport(first);
    // a batch large enough to go through COPY + staging, holding the stored id again
    const more = Array.from({ length: 1_199 }, () => wireEntry({ tenantId: 'dedupe' }));
    const second = openTransport({ postgres: { connectionString: stores.databaseUrl } });
    send(second, [entry, ...more]);
    await closeTransport(second);
    const rows = await rowsFor('dedupe');
    expect(rows).toHaveLength(1_200);
    expect(rows.filter((r) => r.id === entry.id)).toHaveLength(1);
  });

  test('plain pino lines are stored sensibly: levels, the service and environment of the options or the line, the error once', async () => {
    const transport = pino.transport({
      target: transportModulePath('postgres'),
      options: { connectionString: stores.databaseUrl, service: 'storefront', environment: 'staging' },
    });
    const logger = pino(transport);
    logger.info({ tenantId: 'plain', orderId: 7 }, 'order placed');
    logger.debug({ tenantId: 'plain' }, 'not at default level');
    logger.warn({ tenantId: 'plain', service: 'admin' }, 'stock low');
    const err = Object.assign(new TypeError('boom', { cause: new Error('disk full') }), {
      code: 'E_BOOM',
      statusCode: 502,
    });
    logger.fatal({ tenantId: 'plain', err }, 'crashed');
    await closeTransport(transport);

    const rows = await rowsFor('plain');
    expect(rows.map((r) => [r.level, r.message])).toEqual([
      ['info', 'order placed'],
      ['warn', 'stock low'],
      ['error', 'crashed'],
    ]);
    const [placed, low, crashed] = rows;
    expect(placed).toMatchObject({
      service: 'storefront',
      environment: 'staging',
      data: { orderId: 7, pid: process.pid, hostname: hostname() },
    });
    expect(low.service).toBe('admin');
    expect(placed.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(Math.abs(placed.ts.getTime() - Date.now())).toBeLessThan(60_000);
    expect(crashed).toMatchObject({
      error_type: 'TypeError',
      error_code: 'E_BOOM',
      data: { err: { statusCode: 502 }, pid: process.pid, hostname: hostname() },
    });
    expect(crashed.error_stack).toContain('TypeError: boom');
    expect(crashed.error_stack).toMatch(/\ncaused by: Error: disk full/i);
    expect(crashed.error_signature).toMatch(/^[0-9a-f]{16}$/);
  });

  test('plain pino data is redacted by default, with the extra keys of LOG_REDACT_KEYS; the environment comes from APP_ENV', async () => {
    const worker = { env: { APP_ENV: 'production', LOG_REDACT_KEYS: 'ssn' } };
    const redacting = pino.transport({
      target: transportModulePath('postgres'),
      options: { connectionString: stores.databaseUrl },
      worker,
    });
    pino(redacting).info(
      { tenantId: 'redacted', password: 'secret', user: { apiToken: 't_1', ssn: '078-05-1120', name: 'Ann' } },
      'signed in',
    );
    await closeTransport(redacting);
    const open = pino.transport({
      target: transportModulePath('postgres'),
      options: { connectionString: stores.databaseUrl, redact: false },
      worker,
    });
    pino(open).info({ tenantId: 'not-redacted', password: 'secret' }, 'signed in');
    await closeTransport(open);

    const [redacted] = await rowsFor('redacted');
    expect(redacted).toMatchObject({ service: 'unknown', environment: 'production' });
    expect(redacted.data).toMatchObject({
      password: '[REDACTED]',
      user: { apiToken: '[REDACTED]', ssn: '[REDACTED]', name: 'Ann' },
    });
    expect((await rowsFor('not-redacted'))[0].data).toMatchObject({ password: 'secret' });
  });

  test('bad input is stored, never lost: invalid id and time, NUL characters, lines that are not JSON', async () => {
    const stream = openTransport({ postgres: { connectionString: stores.databaseUrl } });
    const good = wireEntry({ tenantId: 'bad-input' });
    stream.write(
      `${JSON.stringify({
        ...wireEntry({ tenantId: 'bad-input' }),
        id: 'not-a-uuid',
        timestamp: 'yesterday',
        line: 1e12,
      })}\n`,
    );
    stream.write(
      `${JSON.stringify(wireEntry({ tenantId: 'bad-input', message: 'nul\u0000here', data: { k: 'v\u0000' } }))}\n`,
    );
    stream.write('this is not json\n');
    send(stream, [good]);
    await closeTransport(stream);

    const rows = await rowsFor('bad-input');
    expect(rows).toHaveLength(3);
    const invalid = rows.find((r) => r.data?.id === 'not-a-uuid');
    expect(invalid.data).toMatchObject({ id: 'not-a-uuid', timestamp: 'yesterday', line: 1e12 });
    expect(invalid.line).toBeNull();
    expect(rows.find((r) => r.message.startsWith('nul'))).toMatchObject({
      message: 'nul\uFFFDhere',
      data: { k: 'v\uFFFD' },
    });
    expect(rows.find((r) => r.id === good.id)).toBeDefined();
    const { rows: platform } = await stores.pool.query(
      `SELECT message FROM platform_logs WHERE tenant_id = '_platform' AND message = 'this is not json'`,
    );
    expect(platform).toHaveLength(1);
  });

  test('an entry whose time has no partition yet lands in the default partition', async () => {
    const old = wireEntry({ tenantId: 'replayed', timestamp: '2001-02-03T04:05:06.789Z' });
    const stream = openTransport({ postgres: { connectionString: stores.databaseUrl } });
    send(stream, [old]);
    await closeTransport(stream);
    const [row] = await rowsFor('replayed');
    expect(row.partition).toBe('platform_logs_info_default');
    expect(row.ts.toISOString()).toBe(old.timestamp);
  });

  test('each committed batch is announced on the platform_logs channel with the rows it added', async () => {
    const listener = new pg.Client({ connectionString: stores.databaseUrl });
    await listener.connect();
    try {
      const notices: string[] = [];
      let rowsAtNotice = -1;
      listener.on('notification', (notice) => {
        if (notice.channel !== 'platform_logs' || notice.payload !== '37') return;
        notices.push(notice.payload);
        void countFor('announced').then((n) => (rowsAtNotice = n));
      });
      await listener.query('LISTEN platform_logs');
      const stream = openTransport({ postgres: { connectionString: stores.databaseUrl } });
      try {
        // 36 entries wait for a full batch; the error entry flushes all 37 at once
        const batch = [
          ...Array.from({ length: 36 }, () => wireEntry({ tenantId: 'announced' })),
          wireEntry({ tenantId: 'announced', level: 'error' }),
        ];
        send(stream, batch);
        await waitFor(
          async () => rowsAtNotice,
          (n) => n >= 0,
          5_000,
        );
        expect(notices).toEqual(['37']);
        expect(rowsAtNotice).toBe(37);
      } finally {
        await closeTransport(stream);
      }
    } finally {
      await listener.end();
    }
  });
});
