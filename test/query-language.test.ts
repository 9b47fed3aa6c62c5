import { describe, expect, test } from 'vitest';
import type { QueryNode } from '../server/query/ast.js';
import { QuerySyntaxError, parseQuery } from '../server/query/parse.js';

const now = new Date('2024-05-01T12:00:00.000Z');

/** The tree with columns written as their field names, for readable expectations. */
function tree(q: string): unknown {
  const root = parseQuery(q, { now }).root;
  return JSON.parse(
    JSON.stringify(root, (key, value) => (key === 'field' && value.kind === 'column' ? value.field.field : value)),
  );
}

function syntaxError(q: string): QuerySyntaxError {
  try {
    parseQuery(q, { now });
  } catch (error) {
    if (error instanceof QuerySyntaxError) return error;
    throw error;
  }
  throw new Error(`${q} parsed`);
}

const text = (...words: string[]) => ({ type: 'text', words, prefix: false });
const data = (...path: string[]) => ({ kind: 'data', path });

describe('the grammar', () => {
  test('the example from the issue: fields, data paths, a comparison, a phrase and a negated word, ANDed', () => {
    expect(
      tree(
        'level:error service:storefront @orderId:ord_123 @cart.total:>100 errorType:TypeError "payment failed" -timeout',
      ),
    ).toEqual({
      type: 'and',
      children: [
        { type: 'equals', field: 'level', values: ['error'] },
        { type: 'equals', field: 'service', values: ['storefront'] },
        { type: 'equals', field: data('orderId'), values: ['ord_123'] },
        { type: 'compare', field: data('cart', 'total'), bounds: [{ op: '>', value: 100 }] },
        { type: 'equals', field: 'errorType', values: ['TypeError'] },
        text('payment', 'failed'),
        { type: 'not', child: text('timeout') },
      ],
    });
  });

  test('AND binds tighter than OR; parentheses group; NOT and - negate', () => {
    expect(tree('a b OR c')).toEqual({
      type: 'or',
      children: [{ type: 'and', children: [text('a'), text('b')] }, text('c')],
    });
    expect(tree('a AND (b OR c)')).toEqual({
      type: 'and',
      children: [text('a'), { type: 'or', children: [text('b'), text('c')] }],
    });
    expect(tree('NOT a -b')).toEqual({
      type: 'and',
      children: [
        { type: 'not', child: text('a') },
        { type: 'not', child: text('b') },
      ],
    });
    expect(tree('--a')).toEqual(text('a'));
    expect(tree('-(a OR b)')).toEqual({ type: 'not', child: { type: 'or', children: [text('a'), text('b')] } });
    // lowercase or between two terms, as full-text search took it before
    expect(tree('timeout or cache')).toEqual({ type: 'or', children: [text('timeout'), text('cache')] });
    expect(tree('and or')).toEqual({ type: 'and', children: [text('and'), text('or')] });
  });

  test('field:(a OR b) is IN; equalities on one field under OR merge', () => {
    expect(tree('service:(admin OR storefront)')).toEqual({
      type: 'equals',
      field: 'service',
      values: ['admin', 'storefront'],
    });
    expect(tree('level:warn OR level:error')).toEqual({ type: 'equals', field: 'level', values: ['warn', 'error'] });
    expect(tree('@code:(404 OR "500")')).toEqual({ type: 'equals', field: data('code'), values: ['404', 404, '500'] });
    expect(tree('service:(a AND -b)')).toEqual({
      type: 'and',
      children: [
        { type: 'equals', field: 'service', values: ['a'] },
        { type: 'not', child: { type: 'equals', field: 'service', values: ['b'] } },
      ],
    });
  });

  test('comparisons and ranges: >, >=, <, <=, [a TO b], {a TO b}, open ends', () => {
    expect(tree('@amount:>=10.5')).toEqual({
      type: 'compare',
      field: data('amount'),
      bounds: [{ op: '>=', value: 10.5 }],
    });
    expect(tree('@amount:<-3')).toEqual({ type: 'compare', field: data('amount'), bounds: [{ op: '<', value: -3 }] });
    expect(tree('line:[10 TO 20]')).toEqual({
      type: 'compare',
      field: 'line',
      bounds: [
        { op: '>=', value: 10 },
        { op: '<=', value: 20 },
      ],
    });
    expect(tree('line:{10 TO 20}')).toEqual({
      type: 'compare',
      field: 'line',
      bounds: [
        { op: '>', value: 10 },
        { op: '<', value: 20 },
      ],
    });
    expect(tree('line:[10 TO *]')).toEqual({ type: 'compare', field: 'line', bounds: [{ op: '>=', value: 10 }] });
    expect(tree('version:>"1.2"')).toEqual({ type: 'compare', field: 'version', bounds: [{ op: '>', value: '1.2' }] });
    expect(tree('@name:[a TO m]')).toEqual({
      type: 'compare',
      field: data('name'),
      bounds: [
        { op: '>=', value: 'a' },
        { op: '<=', value: 'm' },
      ],
    });
    expect(tree('timestamp:>15m')).toEqual({
      type: 'compare',
      field: 'timestamp',
      bounds: [{ op: '>', value: '2024-05-01T11:45:00.000Z' }],
    });
    expect(tree('timestamp:[2024-05-01 TO 2024-05-01T06:00]')).toEqual({
      type: 'compare',
      field: 'timestamp',
      bounds: [
        { op: '>=', value: '2024-05-01T00:00:00.000Z' },
        { op: '<=', value: '2024-05-01T06:00:00.000Z' },
      ],
    });
  });

  test('level compares by severity; its values and wildcards are case-insensitive', () => {
    expect(tree('level:>=warn')).toEqual({ type: 'equals', field: 'level', values: ['warn', 'error'] });
    expect(tree('level:<INFO')).toEqual({ type: 'equals', field: 'level', values: ['debug'] });
    expect(tree('level:[info TO warn]')).toEqual({ type: 'equals', field: 'level', values: ['info', 'warn'] });
    expect(tree('status:E*')).toEqual({ type: 'equals', field: 'level', values: ['error'] });
    expect(tree('level:>error')).toEqual({ type: 'none' });
    expect(tree('-level:>error')).toBeNull();
  });

  test('wildcards, exists and missing', () => {
    expect(tree('service:store*')).toEqual({
      type: 'pattern',
      field: 'service',
      pattern: ['store', { wildcard: '*' }],
    });
    expect(tree('@sku:A?-*')).toEqual({
      type: 'pattern',
      field: data('sku'),
      pattern: ['A', { wildcard: '?' }, '-', { wildcard: '*' }],
    });
    expect(tree('@sku:A\\*')).toEqual({ type: 'equals', field: data('sku'), values: ['A*'] });
    expect(tree('@sku:"A*"')).toEqual({ type: 'equals', field: data('sku'), values: ['A*'] });
    expect(tree('@orderId:*')).toEqual({ type: 'exists', field: data('orderId') });
    expect(tree('_exists_:userId')).toEqual({ type: 'exists', field: 'userId' });
    expect(tree('-_exists_:@cart.id')).toEqual({ type: 'not', child: { type: 'exists', field: data('cart', 'id') } });
  });

  test('every stored column by its field name, its column name or an alias, any case; @ and a path for data', () => {
    expect(tree('tenantId:t1 tenant_id:t2 TENANTID:t3')).toEqual({
      type: 'and',
      children: ['t1', 't2', 't3'].map((value) => ({ type: 'equals', field: 'tenantId', values: [value] })),
    });
    for (const field of [
      'sessionId',
      'impersonatorId',
      'spanId',
      'action',
      'file',
      'function',
      'errorCode',
      'errorStack',
      'environment',
      'version',
      'region',
      'errorSignature',
      'messageTemplate',
      'message',
    ]) {
      expect(tree(`${field}:x`)).toEqual({ type: 'equals', field, values: ['x'] });
    }
    expect(tree('env:production')).toEqual({ type: 'equals', field: 'environment', values: ['production'] });
    expect(tree('@cart.items.sku:AB-1')).toEqual({
      type: 'equals',
      field: data('cart', 'items', 'sku'),
      values: ['AB-1'],
    });
    expect(tree('@a\\.b.c:1')).toEqual({ type: 'equals', field: data('a.b', 'c'), values: ['1', 1] });
    expect(tree('@paid:true @gone:null')).toEqual({
      type: 'and',
      children: [
        { type: 'equals', field: data('paid'), values: ['true', true] },
        { type: 'equals', field: data('gone'), values: ['null', null] },
      ],
    });
    expect(tree('id:0190A5D0-AC96-774B-BCCE-B302099A8057')).toEqual({
      type: 'equals',
      field: 'id',
      values: ['0190a5d0-ac96-774b-bcce-b302099a8057'],
    });
  });

  test('plain words: full text, punctuation splits them into a phrase, * ends a prefix, no words means no condition', () => {
    expect(tree('api.payments.example.com')).toEqual(text('api', 'payments', 'example', 'com'));
    expect(tree('"https://api.payments.example.com/v1"')).toEqual(
      text('https', 'api', 'payments', 'example', 'com', 'v1'),
    );
    expect(tree('Pay*')).toEqual({ type: 'text', words: ['pay'], prefix: true });
    expect(tree('user.*')).toEqual(text('user'));
    expect(tree('12:30')).toEqual(text('12', '30'));
    expect(tree('order_id')).toEqual(text('order_id'));
    for (const empty of ['', '   ', '*', '?!', '- -', '""', '(?) OR -!']) expect(tree(empty)).toBeNull();
    expect(tree('timeout ?!')).toEqual(text('timeout'));
  });

  test('a backslash escapes any character, and stands for itself at the end', () => {
    expect(tree('message:a\\ b')).toEqual({ type: 'equals', field: 'message', values: ['a b'] });
    expect(tree('service:\\(x\\)')).toEqual({ type: 'equals', field: 'service', values: ['(x)'] });
    expect(tree('"say \\"hi\\""')).toEqual(text('say', 'hi'));
    expect(tree('x\\')).toEqual(text('x'));
  });
});

describe('syntax errors name the position and what was expected', () => {
  test.each([
    ['"payment failed', 0, 'a closing "'],
    ['level:error OR', 12, 'a term'],
    ['OR level:error', 0, 'a term'],
    ['a AND', 2, 'a term'],
    ['a AND OR b', 2, 'a term'],
    ['NOT', 0, 'a term'],
    ['(a OR b', 7, "')'"],
    ['a OR b)', 6, 'the end of the query'],
    ['()', 1, 'a term inside ( )'],
    ['service:', 8, 'a value'],
    ['service: storefront', 8, 'a value'],
    ['servce:storefront', 0, 'a data path as @servce'],
    ['http://example.com', 0, 'quotes around it'],
    ['level:fatal', 6, 'one of debug, info, warn, error'],
    ['level:>fatal', 7, 'one of debug'],
    ['line:abc', 5, 'a number'],
    ['line:>x', 6, 'a number'],
    ['line:1*', 5, 'a number'],
    ['timestamp:>yesterday', 11, 'a time'],
    ['timestamp:2024-02-30', 10, 'a time'],
    ['id:42', 3, 'a UUID'],
    ['data:x', 5, 'a data path'],
    ['@cart..total:1', 6, 'a key name between dots'],
    ['@cart.:1', 6, 'a key name after the dot'],
    ['@x:[1 TO', 8, 'a value, or * for no limit'],
    ['@x:[1 5]', 6, 'TO'],
    ['@x:[1 TO 5', 10, "']' or '}'"],
    ['@x:>', 4, 'a number, a time or a text'],
    ['@x:>*', 4, 'a number, a time or a text'],
    ['pa*ment', 0, 'a * only at the end of a word'],
    ['*ment', 0, 'a * only at the end of a word'],
    ['_exists_:', 9, 'a field name or a data path'],
    ['_exists_:nope', 9, 'one of id'],
    [`${'('.repeat(60)}a${')'.repeat(60)}`, 51, 'at most 50 levels'],
  ])('%s → position %i', (q, position, expected) => {
    const error = syntaxError(q);
    expect(error.position).toBe(position);
    expect(error.expected).toContain(expected);
    expect(error.message).toContain(`at position ${position}; expected`);
  });

  test('a lone surrogate is read as U+FFFD (a separator), never as a crash', () => {
    expect(tree('\uD800abc')).toEqual(text('abc'));
    expect(tree('@x:\uDC00')).toEqual({ type: 'equals', field: data('x'), values: ['\uFFFD'] });
  });

  test('deep negation chains stop at a limit instead of the stack', () => {
    expect(syntaxError(`${'-'.repeat(60)}a`).expected).toContain('at most 50');
    expect((parseQuery(`${'-'.repeat(10)}a`, { now }).root as QueryNode).type).toBe('text');
  });
});
