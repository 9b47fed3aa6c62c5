import { describe, expect, test } from 'vitest';
import type { StoredLogEntry } from '../src/types.js';
import { Batcher } from '../transports/batcher.js';
import { entryBytes } from '../transports/entry-size.js';
import { normalizeEntry } from '../transports/normalize-entry.js';

/** A write that resolves when the test says so, recording what each write carried. */
function heldWrites() {
  const pending: (() => void)[] = [];
  const batches: StoredLogEntry[][] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const write = (entries: StoredLogEntry[]) => {
    batches.push(entries);
    inFlight += 1;
    mostInFlight = Math.max(mostInFlight, inFlight);
    return new Promise<void>((resolve) => pending.push(() => ((inFlight -= 1), resolve())));
  };
  const finishOldest = async () => {
    pending.shift()!();
    await new Promise(setImmediate);
  };
  return { write, batches, finishOldest, inFlight: () => inFlight, mostInFlight: () => mostInFlight };
}

const entries = (n: number) => Array.from({ length: n }, (_, i) => normalizeEntry({ message: `entry ${i}` }));

function batcher(write: (entries: StoredLogEntry[]) => Promise<void>) {
  return new Batcher('test', write, {
    batchSize: 50,
    flushIntervalMs: 60_000,
    flushImmediatelyAt: 'error',
    maxBufferedBytes: 64 * 1024 * 1024,
    maxWriteBatch: 100,
    writesInFlight: 2,
    retryBaseMs: 10,
    retryMaxMs: 100,
    closeTimeoutMs: 5_000,
    exitTimeoutMs: 2_000,
  });
}

describe('writes in flight', () => {
  test('a second write starts only while a full batch waits, never a third; every entry is written once', async () => {
    const writes = heldWrites();
    const subject = batcher(writes.write);
    const sent = entries(50 + 99 + 1 + 300);
    const add = (from: number, to: number) => sent.slice(from, to).forEach((entry) => subject.add(entry));

    add(0, 50);
    expect(writes.batches.map((b) => b.length)).toEqual([50]);
    add(50, 149); // 99 wait: less than a full batch, so still one write at a time
    expect(writes.inFlight()).toBe(1);
    add(149, 150); // a full batch of 100 waits
    expect(writes.batches.map((b) => b.length)).toEqual([50, 100]);
    add(150, 450);
    expect(writes.inFlight()).toBe(2);

    const closed = subject.close();
    while (writes.inFlight() > 0) await writes.finishOldest();
    await closed;
    expect(writes.mostInFlight()).toBe(2);
    const written = writes.batches.flat().map((entry) => entry.id);
    expect(written.sort()).toEqual(sent.map((entry) => entry.id).sort());
  });
});

describe('the memory bound', () => {
  const never = () => new Promise<void>(() => {});
  const rules = {
    batchSize: 50,
    flushIntervalMs: 60_000,
    flushImmediatelyAt: 'error',
    maxWriteBatch: 100,
    retryBaseMs: 10,
    retryMaxMs: 100,
    closeTimeoutMs: 5_000,
    exitTimeoutMs: 2_000,
  } as const;

  test('is in bytes: 20,000 waiting entries are kept under the default 64 MiB, and a small bound drops by size', () => {
    const roomy = new Batcher('test', never, { ...rules, maxBufferedBytes: 64 * 1024 * 1024 });
    for (const entry of entries(20_000)) roomy.add(entry);
    expect(roomy.size).toBe(20_000);

    const small = new Batcher('test', never, { ...rules, maxBufferedBytes: 10 * entryBytes(entries(1)[0]) });
    for (const entry of entries(30)) small.add(entry);
    expect(small.size).toBeGreaterThanOrEqual(9);
    expect(small.size).toBeLessThanOrEqual(10);
  });
});
