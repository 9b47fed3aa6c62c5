import { describe, expect, test } from 'vitest';
import type { StoredLogEntry } from '../../src/types.js';
import { LiveBuffer } from '../../ui/src/live/live-buffer.js';
import { retryDelay } from '../../ui/src/live/retry-delay.js';
import { liveEntry } from './dataset.js';

const stored = (n: number): StoredLogEntry => ({
  ...liveEntry(n, 'buffer'),
  errorSignature: null,
  messageTemplate: null,
});
const ids = (buffer: LiveBuffer) => buffer.items.map((item) => (item.kind === 'entry' ? item.entry.data?.n : 'gap'));

describe('the live buffer', () => {
  test('holds each entry once, however often a replay repeats it', () => {
    const buffer = new LiveBuffer(10);
    const entries = [0, 1, 2].map(stored);
    for (const entry of entries) expect(buffer.addEntry(entry)).toBe(true);
    for (const entry of entries) expect(buffer.addEntry(entry)).toBe(false);
    expect(ids(buffer)).toEqual([0, 1, 2]);
  });

  test('trim drops the oldest lines past its limit, and forgets their ids', () => {
    const buffer = new LiveBuffer(50_000);
    const first = stored(0);
    buffer.addEntry(first);
    for (let n = 1; n <= 50_010; n++) buffer.addEntry(stored(n));
    buffer.trim();
    expect(buffer.items).toHaveLength(50_000);
    expect(buffer.dropped).toBe(11);
    expect(ids(buffer).slice(0, 2)).toEqual([11, 12]);
    expect(ids(buffer).at(-1)).toBe(50_010);
    // a line dropped long ago is news again if the stream ever sends it
    expect(buffer.addEntry(first)).toBe(true);
  });

  test('stays bounded even when nothing trims it (a hidden tab renders no frames)', () => {
    const buffer = new LiveBuffer(100);
    for (let n = 0; n < 1_000; n++) buffer.addEntry(stored(n));
    expect(buffer.items.length).toBeLessThan(200);
    buffer.trim();
    expect(ids(buffer)).toEqual(Array.from({ length: 100 }, (_, i) => 900 + i));
  });

  test('marks a gap where it happened, and clear empties everything', () => {
    const buffer = new LiveBuffer(10);
    buffer.addEntry(stored(1));
    buffer.addGap('trimmed', 120);
    buffer.addEntry(stored(2));
    expect(ids(buffer)).toEqual([1, 'gap', 2]);
    expect(buffer.items[1]).toMatchObject({ kind: 'gap', reason: 'trimmed', missed: 120 });
    buffer.clear();
    expect(buffer.items).toEqual([]);
    expect(buffer.addEntry(stored(1))).toBe(true);
  });
});

describe('reconnect backoff', () => {
  test('doubles from about half a second up to 30 s, with jitter', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(30_000, 500 * 2 ** attempt);
      const delay = retryDelay(attempt);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    }
  });
});
