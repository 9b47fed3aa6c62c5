import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runWithLogContext } from '../src/context.js';
import { createLogger } from '../src/factory.js';
import { captureLogger } from './support/log-lines.js';
import { freePort } from './support/free-port.js';
import { readmeExample, runPackageScript, runPackageServer } from './support/package-script.js';
import { useTestStores } from './support/stores.js';

const stores = useTestStores();
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('logger.pino', () => {
  it("is a real pino Logger whose entries carry the logger's context, an id, a timestamp and the child's bindings in data", () => {
    const { logger, entries } = captureLogger({ tenantId: 't_1', action: 'checkout', version: '1.2.0' });
    const before = Date.now();
    logger.pino.child({ component: 'cart' }).info({ orderId: 'o_1' }, 'order placed');
    logger.child({ userId: 'u_1', step: 'pay' }).pino.warn('slow');
    expect(typeof logger.pino.child).toBe('function');
    expect(typeof logger.pino.bindings).toBe('function');
    const [placed, slow] = entries();
    expect(placed).toMatchObject({
      level: 'info',
      message: 'order placed',
      tenantId: 't_1',
      action: 'checkout',
      service: 'admin',
      environment: 'development',
      version: '1.2.0',
      data: { component: 'cart', orderId: 'o_1' },
    });
    expect(placed.id).toMatch(UUID_V7);
    expect(Date.parse(placed.timestamp)).toBeGreaterThanOrEqual(before);
    expect(parseInt(placed.id.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.parse(placed.timestamp));
    expect(slow).toMatchObject({
      level: 'warn',
      message: 'slow',
      tenantId: 't_1',
      userId: 'u_1',
      data: { step: 'pay' },
    });
  });

  it("follows the logger's level, set before or after it was taken", () => {
    const { logger, entries } = captureLogger();
    const pino = logger.pino;
    const requestPino = pino.child({ req: { id: 1 } });
    logger.level = 'warn';
    expect(pino.level).toBe('warn');
    pino.info('dropped');
    requestPino.info('dropped too');
    requestPino.error('kept');
    logger.level = 'trace';
    pino.trace('traced');
    expect(entries().map((entry) => [entry.level, entry.message])).toEqual([
      ['error', 'kept'],
      ['debug', 'traced'],
    ]);
  });

  it("takes the request scope's context where its own is empty, and pino-http's req.id as requestId", async () => {
    const { logger, entries } = captureLogger({ action: 'http' });
    const pinned = logger.child({ tenantId: 't_pinned' });
    await runWithLogContext({ tenantId: 't_scope', userId: 'u_scope', requestId: 'r_scope' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      logger.pino.info('in scope');
      pinned.pino.info('pinned in scope');
    });
    // what pino-http writes: a child bound to the request, one line when the response is done
    logger.pino
      .child({ req: { id: 7, method: 'GET', url: '/orders' } })
      .info({ res: { statusCode: 200 }, responseTime: 4 }, 'request completed');
    const [scoped, pinnedEntry, http] = entries();
    expect(scoped).toMatchObject({ tenantId: 't_scope', userId: 'u_scope', requestId: 'r_scope', action: 'http' });
    expect(pinnedEntry).toMatchObject({ tenantId: 't_pinned', userId: 'u_scope' });
    expect(http).toMatchObject({
      tenantId: '_platform',
      requestId: '7',
      message: 'request completed',
      data: { req: { id: 7, method: 'GET', url: '/orders' }, res: { statusCode: 200 }, responseTime: 4 },
    });
  });

  describe('inside an OpenTelemetry span', () => {
    const manager = new AsyncLocalStorageContextManager();
    beforeAll(() => void context.setGlobalContextManager(manager.enable()));
    afterAll(() => context.disable());

    it("carries the active span's ids", () => {
      const { logger, last } = captureLogger();
      const span = trace.wrapSpanContext({
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
        traceFlags: TraceFlags.SAMPLED,
      });
      context.with(trace.setSpan(context.active(), span), () => logger.pino.info('in span'));
      expect(last()).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' });
    });
  });

  it('drops what is logged after close(), without a warning', async () => {
    const warning = vi.spyOn(process, 'emitWarning');
    const { logger, lines } = captureLogger();
    await logger.close();
    logger.pino.info('after close');
    expect(lines).toEqual([]);
    expect(warning).not.toHaveBeenCalled();
    warning.mockRestore();
  });

  it("is stored like the logger's own entries: redacted with the logger's rules, its error in the error fields", async () => {
    const logger = createLogger({
      service: 'admin',
      env: { LOG_REDACT_KEYS: 'ssn' },
      config: { console: 'off' },
      transports: { postgres: { connectionString: stores.databaseUrl } },
      tenantId: 'pino-stored',
    });
    logger.pino.info({ headers: { authorization: 'Bearer abc', accept: 'text/html' }, ssn: '078-05-1120' }, 'request');
    logger.pino.error({ err: new RangeError('too far') }, 'failed');
    await logger.close();
    const { rows } = await stores.pool.query(
      `SELECT message, data, error_type FROM platform_logs WHERE tenant_id = 'pino-stored' ORDER BY message DESC`,
    );
    expect(rows).toEqual([
      {
        message: 'request',
        data: { headers: { authorization: '[REDACTED]', accept: 'text/html' }, ssn: '[REDACTED]' },
        error_type: null,
      },
      { message: 'failed', data: null, error_type: 'RangeError' },
    ]);
  });

  for (const [example, marker, completed] of [
    ['pino-http', 'With pino-http, one line per request', 'request completed'],
    ['hono-pino', 'With hono-pino:', 'Request completed'],
  ] as const) {
    it(`the README's ${example} example stores each request's lines with its tenant and ids, headers redacted`, async () => {
      const tenantId = `t_${example}`;
      const run = await runPackageServer(
        readmeExample(marker),
        { APP_ENV: 'test', DATABASE_URL: stores.databaseUrl, PORT: String(await freePort()) },
        async (baseUrl) => {
          const answer = await fetch(`${baseUrl}/orders/o_1`, {
            headers: { 'X-Tenant-Id': tenantId, 'X-Request-Id': `r_${example}`, authorization: 'Bearer secret' },
          });
          expect(await answer.text()).toBe('ok');
        },
      );
      expect(run.stderr).toBe('');
      const { rows } = await stores.pool.query(
        `SELECT message, request_id, service, data FROM platform_logs WHERE tenant_id = $1 ORDER BY message COLLATE "C"`,
        [tenantId],
      );
      expect(rows.map((row) => [row.message, row.request_id, row.service])).toEqual(
        [
          ['order viewed', `r_${example}`, 'storefront'],
          [completed, `r_${example}`, 'storefront'],
        ].sort(),
      );
      const viewed = rows.find((row) => row.message === 'order viewed')!;
      expect(viewed.data).toMatchObject({ orderId: 'o_1' });
      const done = rows.find((row) => row.message === completed)!;
      expect(done.data.req.headers).toMatchObject({ authorization: '[REDACTED]' });
    });
  }

  it("the README's example stores its entry in PostgreSQL with the platform context", async () => {
    const run = await runPackageScript(readmeExample('**A real pino logger**'), {
      APP_ENV: 'test',
      DATABASE_URL: stores.databaseUrl,
    });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const { rows } = await stores.pool.query(
      `SELECT tenant_id, request_id, service, message, data FROM platform_logs WHERE message = 'order placed'`,
    );
    expect(rows).toEqual([
      {
        tenant_id: 't_1',
        request_id: 'r_1',
        service: 'storefront',
        message: 'order placed',
        data: { component: 'checkout', orderId: 'o_1' },
      },
    ]);
  });
});
