import { describe, expect, it } from 'vitest';
import { compileMatcher } from '../server/query/match.js';
import { parseQuery } from '../server/query/parse.js';
import { EntryFilter, parseSubscribe } from '../server/stream/subscription.js';
import type { StoredLogEntry } from '../src/types.js';
import { makeEntry } from './server-fixtures.js';

const now = new Date();
const matchesEntry = (q: string, entry: StoredLogEntry) => compileMatcher(parseQuery(q, { now }).root)(entry);
const matches = (q: string, message: string) => matchesEntry(q, makeEntry({ message }));

describe('live stream search on the message', () => {
  it('needs every word, in any case and order, as whole words', () => {
    expect(matches('payment declined', 'Card DECLINED during payment')).toBe(true);
    expect(matches('payment declined', 'payment accepted')).toBe(false);
    expect(matches('pay', 'payment accepted')).toBe(false);
    expect(matches('order', 'order-42 shipped')).toBe(true);
  });

  it('matches a quoted phrase only as consecutive words', () => {
    expect(matches('"card declined"', 'the card declined twice')).toBe(true);
    expect(matches('"card declined"', 'declined card')).toBe(false);
    expect(matches('"card declined"', 'card was declined')).toBe(false);
  });

  it('leaves out messages with an excluded term, and takes either side of or', () => {
    expect(matches('timeout -retry', 'upstream timeout')).toBe(true);
    expect(matches('timeout -retry', 'timeout, will retry')).toBe(false);
    expect(matches('timeout or refused upstream', 'connection refused by upstream')).toBe(true);
    expect(matches('timeout or refused upstream', 'connection refused')).toBe(false);
  });

  it('matches everything when the search holds no words', () => {
    expect(matches('', 'anything')).toBe(true);
    expect(matches('  ?! ', 'anything')).toBe(true);
  });

  it('finds the words inside URLs, hosts, emails, paths and dotted identifiers', () => {
    const message =
      'POST https://api.payments.example.com/v1/charges failed for ops@acme.io in billing.invoice.create (/srv/app/src/pay.ts)';
    for (const q of [
      'payments',
      'charges',
      'v1',
      'acme',
      'invoice',
      'srv',
      'pay',
      'api.payments.example.com',
      '"billing.invoice"',
      'https://api.payments*',
    ]) {
      expect(matches(q.includes(':') ? `"${q.replace(/\*$/, '')}"` : q, message), q).toBe(true);
    }
    expect(matches('payments.example.org', message)).toBe(false);
    expect(matches('paym*', message)).toBe(true);
    expect(matches('"example payments"', message)).toBe(false);
  });
});

describe('live stream filters on fields and data', () => {
  const entry = makeEntry({
    level: 'error',
    service: 'storefront',
    errorType: 'TypeError',
    message: 'payment failed: card declined',
    data: {
      orderId: 'ord_123',
      cart: {
        total: 150,
        items: [
          { sku: 'AB-1', qty: 2 },
          { sku: 'CD-9', qty: 1 },
        ],
      },
      tags: ['vip', 'eu'],
      paid: false,
    },
  });

  it.each([
    [
      'level:error service:storefront @orderId:ord_123 @cart.total:>100 errorType:TypeError "payment failed" -timeout',
      true,
    ],
    ['@cart.total:>150', false],
    ['@cart.total:>=150', true],
    ['@cart.total:[100 TO 200]', true],
    ['@cart.total:{150 TO 200]', false],
    ['@cart.items.sku:CD-9', true],
    ['@cart.items.sku:AB*', true],
    ['@cart.items.sku:*-?', true],
    ['@cart.items.qty:2', true],
    ['@cart.items.qty:3', false],
    ['@tags:eu', true],
    ['@tags:(us OR eu)', true],
    ['@paid:false', true],
    ['@paid:"false"', false],
    ['@orderId:*', true],
    ['@missing:*', false],
    ['-@missing:*', true],
    ['_exists_:@cart.items', true],
    ['_exists_:impersonatorId', false],
    ['-_exists_:impersonatorId', true],
    ['-userId:someone-else', true],
    ['service:(admin OR storefront)', true],
    ['service:store*', true],
    ['level:>=warn', true],
    ['level:<error', false],
    ['status:ERROR', true],
    ['line:>40 line:<=42', true],
    ['NOT level:error OR service:admin', false],
    ['(level:warn OR level:error) AND NOT @tags:us', true],
  ])('%s → %s', (q, expected) => {
    expect(matchesEntry(q, entry)).toBe(expected);
  });

  it('confines a tenant key before the query: a tenantId term cannot widen it', () => {
    const other = makeEntry({ tenantId: 'tenant-b', message: 'secret' });
    const own = makeEntry({ tenantId: 'tenant-a', message: 'secret' });
    for (const q of [
      'tenantId:tenant-b',
      'tenantId:(tenant-a OR tenant-b)',
      '-tenantId:tenant-a',
      'tenantId:* secret',
    ]) {
      const filter = new EntryFilter(parseSubscribe({ type: 'subscribe', filters: { q } }, () => null).filters, {
        scope: 'tenant',
        tenantId: 'tenant-a',
      });
      expect(filter.matches(other), q).toBe(false);
    }
    const filter = new EntryFilter(
      parseSubscribe({ type: 'subscribe', filters: { q: 'secret' } }, () => null).filters,
      { scope: 'tenant', tenantId: 'tenant-a' },
    );
    expect(filter.matches(own)).toBe(true);
  });

  it('refuses a query with a syntax error, naming q and the position', () => {
    expect(() => parseSubscribe({ type: 'subscribe', filters: { q: 'level:(error' } }, () => null)).toThrow(
      /^q: .* at position 12; expected '\)'$/,
    );
  });
});
