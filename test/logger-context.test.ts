import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLogContext, getLogger, runWithLogContext, setDefaultLogger } from '../src/context.js';
import { createRequestLogger, parseTraceparent, requestLogContext, withRequestLogger } from '../src/request-context.js';
import { captureLogger } from './support/log-lines.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

describe('request scope', () => {
  it('gives every entry inside the scope its context, across awaits and timers, whichever logger writes', async () => {
    const { logger, entries } = captureLogger();
    const moduleLogger = logger.child({ action: 'billing' });
    await runWithLogContext({ tenantId: 't_1', requestId: 'r_1' }, async () => {
      moduleLogger.info('start');
      await sleep(5);
      moduleLogger.info('after await');
      await new Promise<void>((resolve) => setTimeout(() => (moduleLogger.info('in timer'), resolve()), 5));
      await new Promise<void>((resolve) => setImmediate(() => (logger.info('in setImmediate'), resolve())));
    });
    moduleLogger.info('outside');
    expect(entries().map((entry) => [entry.message, entry.tenantId, entry.requestId, entry.action])).toEqual([
      ['start', 't_1', 'r_1', 'billing'],
      ['after await', 't_1', 'r_1', 'billing'],
      ['in timer', 't_1', 'r_1', 'billing'],
      ['in setImmediate', 't_1', 'r_1', null],
      ['outside', '_platform', null, 'billing'],
    ]);
  });

  it("keeps concurrent scopes apart and lets a logger's own context win over the scope's", async () => {
    const { logger, entries } = captureLogger();
    const pinned = logger.child({ tenantId: 't_pinned' });
    await Promise.all(
      ['a', 'b', 'c'].map((tenant) =>
        runWithLogContext({ tenantId: tenant, userId: `u_${tenant}` }, async () => {
          await sleep(Math.random() * 10);
          logger.info(`for ${tenant}`);
          pinned.info(`pinned in ${tenant}`);
        }),
      ),
    );
    const byMessage = new Map(entries().map((entry) => [entry.message, entry]));
    for (const tenant of ['a', 'b', 'c']) {
      expect(byMessage.get(`for ${tenant}`)).toMatchObject({ tenantId: tenant, userId: `u_${tenant}` });
      expect(byMessage.get(`pinned in ${tenant}`)).toMatchObject({ tenantId: 't_pinned', userId: `u_${tenant}` });
    }
  });

  it('nests scopes, and getLogger() returns the scope logger, else the default one', () => {
    const { logger, entries } = captureLogger();
    setDefaultLogger(logger);
    const requestLogger = logger.child({ requestId: 'r_9' });
    runWithLogContext(requestLogger, () => {
      expect(getLogger()).toBe(requestLogger);
      runWithLogContext({ action: 'inner' }, () => {
        expect(getLogContext()).toMatchObject({ requestId: 'r_9', action: 'inner' });
        getLogger().warn('deep inside');
      });
    });
    expect(getLogger()).toBe(logger);
    expect(getLogContext()).toBeUndefined();
    expect(entries()[0]).toMatchObject({ message: 'deep inside', requestId: 'r_9', action: 'inner', level: 'warn' });
  });
});

describe('OpenTelemetry', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(manager.enable());
  });
  afterAll(() => {
    context.disable();
  });

  it("takes traceId and spanId from the active span, over any the logger has (a traceparent's included)", async () => {
    const { logger, entries } = captureLogger();
    const span = trace.wrapSpanContext({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });
    await context.with(trace.setSpan(context.active(), span), async () => {
      await sleep(1);
      logger.info('in span');
      logger.error('error in span', new Error('x'));
      logger.child({ traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', spanId: 'bbbbbbbbbbbbbbbb' }).info('own trace');
    });
    logger.info('no span');
    const [inSpan, errorInSpan, own, none] = entries();
    expect(inSpan).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID });
    expect(errorInSpan).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, errorType: 'Error' });
    expect(own).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID });
    expect(none).toMatchObject({ traceId: null, spanId: null });
    expect(Object.keys(inSpan)).toHaveLength(24);
  });

  it("gives a request's entries the active span's ids, never the caller's span id from traceparent", async () => {
    const { logger, wire, entries } = captureLogger();
    const callerSpan = 'aaaaaaaaaaaaaaaa';
    const request = createRequestLogger(
      new Request('http://localhost/', { headers: { traceparent: `00-${TRACE_ID}-${callerSpan}-01` } }),
      logger,
    );
    const span = trace.wrapSpanContext({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });
    context.with(trace.setSpan(context.active(), span), () => request.info('in span'));
    request.info('no span');
    expect(entries()).toMatchObject([
      { message: 'in span', traceId: TRACE_ID, spanId: SPAN_ID },
      { message: 'no span', traceId: TRACE_ID, spanId: null },
    ]);
    for (const [i, line] of wire().entries())
      expect(JSON.stringify(line).split('"traceId"').length - 1, String(i)).toBe(1);
  });

  it('ignores an invalid span context', () => {
    const { logger, last } = captureLogger();
    const invalid = trace.wrapSpanContext({
      traceId: '0'.repeat(32),
      spanId: '0'.repeat(16),
      traceFlags: TraceFlags.NONE,
    });
    context.with(trace.setSpan(context.active(), invalid), () => logger.info('invalid span'));
    expect(last()).toMatchObject({ traceId: null, spanId: null });
  });
});

const HEADERS = {
  'x-tenant-id': 'tenant_1',
  'x-tenant-slug': 'acme',
  'x-user-id': 'user_1',
  'x-session-id': 'session_1',
  'x-impersonator-id': 'admin_1',
  'x-request-id': 'req_1',
  traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`,
};
const EXPECTED_CONTEXT = {
  tenantId: 'tenant_1',
  tenantSlug: 'acme',
  userId: 'user_1',
  sessionId: 'session_1',
  impersonatorId: 'admin_1',
  requestId: 'req_1',
  traceId: TRACE_ID,
  spanId: null,
};

describe('request logger', () => {
  it('reads the context from a Fetch Request', () => {
    expect(requestLogContext(new Request('http://localhost/x', { headers: HEADERS }))).toEqual(EXPECTED_CONTEXT);
  });

  it('reads the context from a Node IncomingMessage', async () => {
    let seen: IncomingMessage | undefined;
    const server = createServer((req, res) => {
      seen = req;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const { 'x-tenant-id': tenantId, ...others } = HEADERS;
      await fetch(`http://127.0.0.1:${port}/`, { headers: { ...others, 'X-Tenant-Id': tenantId } });
    } finally {
      server.close();
    }
    expect(requestLogContext(seen!)).toEqual(EXPECTED_CONTEXT);
    expect(requestLogContext({ headers: { 'x-user-id': ['first', 'second'] } }).userId).toBe('first');
  });

  it('reads header names in any case, whatever object carries the headers', () => {
    const mixed = { 'X-Tenant-Id': 'tenant_1', 'X-REQUEST-ID': 'req_1', TraceParent: HEADERS.traceparent };
    const expected = { tenantId: 'tenant_1', requestId: 'req_1', traceId: TRACE_ID };
    expect(requestLogContext({ headers: mixed })).toMatchObject(expected);
    expect(requestLogContext({ headers: new Map(Object.entries(mixed)) })).toMatchObject(expected);
    expect(requestLogContext({ headers: new Headers(mixed) })).toMatchObject(expected);
    expect(
      requestLogContext({ headers: { get: (name: string) => (name === 'x-tenant-id' ? 'tenant_1' : null) } }),
    ).toMatchObject({ tenantId: 'tenant_1' });
  });

  it('makes a request id when there is none, and keeps every header value, trimmed, cut past 256 characters', () => {
    const context = requestLogContext({
      headers: {
        'x-tenant-id': 'has space',
        'x-user-id': 'u'.repeat(300),
        'x-session-id': '  s_1  ',
        'x-impersonator-id': '   ',
      },
    });
    expect(context.requestId).toMatch(UUID_V7);
    expect(context).toMatchObject({
      tenantId: 'has space',
      userId: `${'u'.repeat(256)}…[truncated 44 chars]`,
      sessionId: 's_1',
      impersonatorId: null,
      traceId: null,
      spanId: null,
    });
  });

  it('accepts only valid W3C traceparent values', () => {
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-01`)).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID });
    expect(parseTraceparent(`01-${TRACE_ID}-${SPAN_ID}-01-future-field`)).toEqual({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
    });
    for (const invalid of [
      `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`,
      `00-${'0'.repeat(32)}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
      `ff-${TRACE_ID}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${SPAN_ID}-01-extra`,
      `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${SPAN_ID}`,
      'garbage',
    ]) {
      expect(parseTraceparent(invalid), invalid).toBeNull();
    }
  });

  it('returns a child of the base logger whose entries carry the request context', () => {
    const { logger, last } = captureLogger({ action: 'http' });
    createRequestLogger(new Request('http://localhost/', { headers: HEADERS }), logger).info('handled');
    expect(last()).toMatchObject({ ...EXPECTED_CONTEXT, action: 'http', message: 'handled' });
  });

  it('runs a handler in the request scope', async () => {
    const { logger, entries } = captureLogger();
    const helper = async () => {
      await sleep(1);
      getLogger().info('from a helper');
    };
    await withRequestLogger({ headers: HEADERS }, logger, async (requestLogger) => {
      requestLogger.info('from the handler');
      await helper();
    });
    expect(entries()).toHaveLength(2);
    for (const entry of entries()) expect(entry).toMatchObject(EXPECTED_CONTEXT);
  });
});
