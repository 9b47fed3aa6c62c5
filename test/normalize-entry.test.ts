import { describe, expect, test } from 'vitest';
import { normalizeLine } from '../transports/normalize-entry.js';
import { wireEntry } from './fixtures/transport-harness.js';

const line = (value: unknown) => JSON.stringify(value);

describe('normalizeLine: one line a transport receives, as the entry the stores keep', () => {
  test('a wire-format line keeps every field as given', () => {
    const entry = wireEntry({ level: 'warn', data: { orderId: 'ord_1', amount: 12 } });
    expect(normalizeLine(line(entry))).toEqual({
      ...entry,
      errorSignature: expect.stringMatching(/^[0-9a-f]{16}$/),
      messageTemplate: expect.any(String),
    });
  });

  test('timestamps: canonical ones are kept, others rewritten to ISO-8601 UTC with milliseconds, whatever came before', () => {
    const at = (timestamp: unknown) => normalizeLine(line({ ...wireEntry(), timestamp })).timestamp;
    expect(at('2024-03-01T00:00:00.123Z')).toBe('2024-03-01T00:00:00.123Z');
    expect(at('2024-03-01T00:00:00.5Z')).toBe('2024-03-01T00:00:00.500Z');
    expect(at('2024-03-01T00:00:00.999+01:00')).toBe('2024-02-29T23:00:00.999Z');
    expect(at(Date.UTC(2024, 2, 1, 0, 0, 0, 7))).toBe('2024-03-01T00:00:00.007Z');
    expect(at('2024-02-30T00:00:00.000Z')).toBe('2024-03-01T00:00:00.000Z');
    for (const timestamp of ['2024-03-01T00:00:00.12xZ', '2024-13-01T00:00:00.000Z', 'soon']) {
      const unstorable = normalizeLine(line({ ...wireEntry(), timestamp, data: null }));
      expect(unstorable.data).toEqual({ timestamp });
      expect(Math.abs(Date.parse(unstorable.timestamp) - Date.now())).toBeLessThan(60_000);
    }
  });

  test('NUL characters and lone surrogates, escaped in the line, are replaced in text and in data, keys included', () => {
    const entry = normalizeLine(
      line({
        ...wireEntry(),
        message: 'a\u0000b',
        userId: 'u\u0000',
        data: { 'k\u0000': 'x\ud800y', ok: '\ud83d\ude00' },
      }),
    );
    expect(entry.message).toBe('a\uFFFDb');
    expect(entry.userId).toBe('u\uFFFD');
    expect(entry.data).toEqual({ 'k\uFFFD': 'x\uFFFDy', ok: '\ud83d\ude00' });
  });

  test('a line that is not a JSON object is kept as the message of an entry', () => {
    for (const text of ['not json', '42', '"text"', 'null', '[1,2]']) {
      expect(normalizeLine(text)).toMatchObject({ message: text, level: 'info', tenantId: '_platform', data: null });
    }
  });
});
