import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { StoredLogEntry } from '../src/types.js';
import { Batcher, type BatcherOptions, type Redelivery } from '../transports/batcher.js';
import { entryBytes } from '../transports/entry-size.js';
import { normalizeEntry } from '../transports/normalize-entry.js';
import { Spool, spoolDir } from '../transports/spool.js';

const folders: string[] = [];
function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spool-test-'));
  folders.push(dir);
  return join(dir, 'storefront', 'postgres');
}
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const values = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ n: from + i, message: `entry ${from + i}` }));
const MB = 1024 * 1024;

/** Reads everything back and releases it, as a store that takes every record would. */
function drain(spool: Spool, chunk = 100): unknown[] {
  const out: unknown[] = [];
  for (let records = spool.read(chunk, MB); records.length > 0; records = spool.read(chunk, MB)) {
    for (const record of records) {
      out.push(record.value);
      spool.release(record.ticket);
    }
  }
  return out;
}

/** Makes a spool's files look left by a process that is gone: renamed to a pid that does not exist. */
function orphan(dir: string, spool: Spool): void {
  const owner = (spool as unknown as { owner: string }).owner;
  for (const name of readdirSync(dir))
    if (name.includes(owner)) renameSync(join(dir, name), join(dir, name.replace(owner, '999999999-0-dead00')));
}

describe('the disk spool', () => {
  test('gives records back oldest first, across files, and removes each file once all of it is stored', () => {
    const dir = folder();
    const spool = new Spool({ dir, maxBytes: 100 * MB, fileBytes: 2_000 });
    expect(spool.append(values(300)).written).toBe(300);
    expect(readdirSync(dir).length).toBeGreaterThan(5);
    expect(spool.records).toBe(300);
    const first = spool.read(50, MB);
    expect(first.map((record) => (record.value as { n: number }).n)).toEqual(values(50).map((value) => value.n));
    for (const record of first) spool.release(record.ticket);
    expect(spool.append(values(100, 300)).written).toBe(100);
    expect(drain(spool)).toEqual(values(350, 50));
    expect(spool.records).toBe(0);
    expect(spool.unread).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('keeps a file until every record read from it is released', () => {
    const dir = folder();
    const spool = new Spool({ dir, maxBytes: MB });
    spool.append(values(10));
    const records = spool.read(10, MB);
    for (const record of records.slice(0, 9)) spool.release(record.ticket);
    expect(readdirSync(dir)).toHaveLength(1);
    spool.release(records[9].ticket);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('reads a record longer than its read chunk', () => {
    const spool = new Spool({ dir: folder(), maxBytes: 100 * MB });
    const long = { message: 'x'.repeat(3 * MB) };
    spool.append([{ n: 1 }, long, { n: 2 }]);
    expect(drain(spool)).toEqual([{ n: 1 }, long, { n: 2 }]);
  });

  test('folder 0700, files 0600', () => {
    const dir = folder();
    const spool = new Spool({ dir, maxBytes: MB });
    spool.append(values(1));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(dir)) expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
  });

  test('past maxBytes it refuses the rest: spool full', () => {
    const spool = new Spool({ dir: folder(), maxBytes: 2_000 });
    const result = spool.append(values(100));
    expect(result.refused).toBe('spool full');
    expect(result.written).toBeGreaterThan(10);
    expect(result.written).toBeLessThan(100);
    expect(spool.records).toBe(result.written);
    expect(drain(spool)).toEqual(values(result.written));
    expect(spool.append(values(5)).written).toBe(5); // room again once stored
  });

  test('a folder that cannot be made: spool unwritable, with the reason', () => {
    const dir = folder();
    writeFileSync(join(dir, '..', '..', 'blocker'), '');
    const spool = new Spool({ dir: join(dir, '..', '..', 'blocker', 'postgres'), maxBytes: MB });
    expect(spool.problem).toMatch(/ENOTDIR|EEXIST|not a folder/);
    expect(spool.append(values(3))).toEqual({ written: 0, refused: 'spool unwritable' });
    expect(spool.read(10, MB)).toEqual([]);
  });

  test('a cut-off last record costs that record only, and a damaged one only itself', () => {
    const dir = folder();
    const writer = new Spool({ dir, maxBytes: MB });
    writer.append(values(100));
    writer.close();
    orphan(dir, writer);
    const [name] = readdirSync(dir);
    const path = join(dir, name);
    const text = readFileSync(path, 'utf8');
    // one byte changed inside record 40, and the last record cut in the middle
    const at = text.split('\n').slice(0, 40).join('\n').length + 20;
    writeFileSync(path, text.slice(0, at) + (text[at] === 'a' ? 'b' : 'a') + text.slice(at + 1));
    truncateSync(path, statSync(path).size - 15);

    const reader = new Spool({ dir, maxBytes: MB });
    const back = drain(reader) as { n: number }[];
    expect(back.map((value) => value.n)).toEqual(
      values(99)
        .map((value) => value.n)
        .filter((n) => n !== 40),
    );
    expect(reader.damaged).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
  });

  test("claims the files of an owner that is gone, once, and leaves a running owner's alone", () => {
    const dir = folder();
    const running = new Spool({ dir, maxBytes: MB });
    running.append(values(5));
    const leftBehind = new Spool({ dir, maxBytes: MB });
    leftBehind.append(values(7, 100));
    leftBehind.close();
    orphan(dir, leftBehind);

    const next = new Spool({ dir, maxBytes: MB });
    const other = new Spool({ dir, maxBytes: MB });
    expect(next.records).toBe(7);
    expect(other.records).toBe(0);
    expect(drain(next)).toEqual(values(7, 100));
    expect(drain(running)).toEqual(values(5));
  });

  test('a process killed mid-append (kill -9) leaves every complete record to the next one', async () => {
    const dir = folder();
    const module = new URL('../dist/transports/spool.js', import.meta.url).href;
    const script = `
      const { Spool } = await import(${JSON.stringify(module)});
      const spool = new Spool({ dir: ${JSON.stringify(dir)}, maxBytes: 1024 ** 3, fileBytes: 256 * 1024 });
      let n = 0;
      process.stdout.write('ready\\n');
      for (;;) spool.append(Array.from({ length: 50 }, () => ({ n: n++, padding: 'x'.repeat(200) })));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await once(child.stdout, 'data');
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGKILL');
    await once(child, 'exit');

    const next = new Spool({ dir, maxBytes: 1024 ** 3 });
    const back = drain(next, 5_000) as { n: number }[];
    expect(back.length).toBeGreaterThan(1_000);
    expect(back.map((value) => value.n)).toEqual(back.map((_, i) => i)); // nothing missing before the last, in order
    expect(next.damaged).toBeLessThanOrEqual(1);
  });

  test('its folder: LOG_SPOOL_DIR, else XDG_STATE_HOME, else the temporary folder, then service and store', () => {
    expect(spoolDir('postgres', 'storefront', '/var/spool/logs')).toBe('/var/spool/logs/storefront/postgres');
    expect(spoolDir('redis-stream', 'admin', undefined, { XDG_STATE_HOME: '/home/u/.local/state' })).toBe(
      '/home/u/.local/state/platform-logs/admin/redis-stream',
    );
    expect(spoolDir('postgres', '../b', undefined, {})).toBe(
      join(tmpdir(), `platform-logs-${process.getuid!()}`, '.._b', 'postgres'),
    );
    expect(spoolDir('postgres', '..', undefined, {})).toBe(
      join(tmpdir(), `platform-logs-${process.getuid!()}`, '_', 'postgres'),
    );
  });
});

/** A store that is down until told otherwise, and records what it took. */
function fakeStore() {
  const store = { down: true, taken: [] as StoredLogEntry[], write: async (entries: StoredLogEntry[]) => {} };
  store.write = async (entries) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (store.down) throw new Error('connection refused');
    store.taken.push(...entries);
  };
  return store;
}

const logEntries = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    normalizeEntry({ level: i % 10 === 0 ? 'error' : 'info', message: `entry ${i}` }),
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const rules = (spool: Spool, overrides: Partial<BatcherOptions> = {}): BatcherOptions => ({
  batchSize: 10,
  flushIntervalMs: 100,
  flushImmediatelyAt: 'error',
  maxBufferedBytes: 64 * MB,
  maxWriteBatch: 5_000,
  writesInFlight: 2,
  retryBaseMs: 20,
  retryMaxMs: 100,
  closeTimeoutMs: 5_000,
  exitTimeoutMs: 300,
  spool,
  ...overrides,
});
const messages = (entries: StoredLogEntry[]) => entries.map((entry) => entry.message);

describe('a batcher with a spool', () => {
  test('while the store is down every entry goes to disk; memory holds about one batch; all are written once it is back', async () => {
    const dir = folder();
    const store = fakeStore();
    const sent = logEntries(3_000);
    const subject = new Batcher(
      'test',
      store.write,
      rules(new Spool({ dir, maxBytes: 100 * MB }), { maxWriteBatch: 1_000 }),
    );
    for (const entry of sent.slice(0, 2_000)) subject.add(entry);
    await sleep(200);
    for (const entry of sent.slice(2_000)) subject.add(entry);
    await sleep(200);
    expect(subject.size).toBeLessThanOrEqual(2_000);
    const lines = readdirSync(dir).reduce(
      (sum, name) => sum + readFileSync(join(dir, name), 'utf8').split('\n').length - 1,
      0,
    );
    expect(lines).toBe(3_000);
    store.down = false;
    const report = await subject.close();
    // two writes were in flight when the store went down: their batches may come back in either order
    expect(messages(store.taken).sort()).toEqual(messages(sent).sort());
    expect(report).toMatchObject({ written: 3_000, spooled: 0, dropped: 0 });
    expect(readdirSync(dir)).toEqual([]);
  });

  test('past the memory bound with the store up, entries go through the spool, oldest first, none dropped', async () => {
    const store = fakeStore();
    store.down = false;
    const sent = logEntries(500);
    const subject = new Batcher(
      'test',
      store.write,
      rules(new Spool({ dir: folder(), maxBytes: 100 * MB }), { maxBufferedBytes: 20 * entryBytes(sent[1]) }),
    );
    for (const entry of sent) subject.add(entry);
    const report = await subject.close();
    expect(report).toMatchObject({ written: 500, spooled: 0, dropped: 0 });
    expect(new Set(messages(store.taken)).size).toBe(500);
    expect(messages(store.taken).slice(-100)).toEqual(messages(sent).slice(-100));
  });

  test('a store that neither takes nor refuses a write (a network dropping packets): within about a second what waits is on disk', async () => {
    const dir = folder();
    const subject = new Batcher(
      'test',
      () => new Promise<void>(() => {}),
      rules(new Spool({ dir, maxBytes: 100 * MB })),
    );
    for (const entry of logEntries(500)) subject.add(entry);
    const lines = () =>
      readdirSync(dir).reduce((sum, name) => sum + readFileSync(join(dir, name), 'utf8').split('\n').length - 1, 0);
    expect(lines()).toBe(0);
    await sleep(1_300);
    expect(lines()).toBe(499); // all but the first write's, which is in flight: the error entry, alone
    for (const entry of logEntries(10)) subject.add(entry);
    await sleep(20);
    expect(lines()).toBe(509);
  });

  test('close spools what the store did not take within exitTimeoutMs; a later process sends it, restoring what the store kept', async () => {
    const dir = folder();
    const store = fakeStore();
    const saved: unknown[] = [];
    const redelivery: Redelivery = {
      save: (entry) => `kept for ${entry.message}`,
      restore: (_entry, value) => saved.push(value),
    };
    const first = new Batcher('test', store.write, rules(new Spool({ dir, maxBytes: 100 * MB }), { redelivery }));
    const sent = logEntries(25);
    for (const entry of sent) first.add(entry);
    const started = Date.now();
    const report = await first.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(report).toMatchObject({ written: 0, spooled: 25, dropped: 0, spoolDir: dir });

    await sleep(50); // the write in flight at the deadline fails too
    orphan(dir, (first as unknown as { spool: Spool }).spool);
    saved.length = 0;
    store.down = false;
    const next = new Batcher('test', store.write, rules(new Spool({ dir, maxBytes: 100 * MB }), { redelivery }));
    await sleep(100);
    expect(messages(store.taken)).toEqual(messages(sent));
    expect(saved).toEqual(sent.map((entry) => `kept for ${entry.message}`));
    expect(await next.close()).toMatchObject({ written: 25, spooled: 0 });
    expect(readdirSync(dir)).toEqual([]);
  });

  test('a spool that cannot be written: memory only, and the close reports what it dropped and why', async () => {
    const dir = folder();
    writeFileSync(join(dir, '..', '..', 'file'), '');
    const store = fakeStore();
    const subject = new Batcher(
      'test',
      store.write,
      rules(new Spool({ dir: join(dir, '..', '..', 'file', 'postgres'), maxBytes: MB })),
    );
    for (const entry of logEntries(20)) subject.add(entry);
    const report = await subject.close();
    expect(report).toMatchObject({
      written: 0,
      spooled: 0,
      dropped: 20,
      droppedByLevel: { debug: 0, info: 18, warn: 0, error: 2 },
      dropReasons: { 'spool unwritable': 20 },
    });
    expect(report.spoolProblem).toMatch(/ENOTDIR|EEXIST/);
  });
});
