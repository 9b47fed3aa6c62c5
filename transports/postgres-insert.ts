import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ENTRY_COLUMNS, ENTRY_FIELDS, type StoredField } from '../src/entry-fields.js';
import { DEFAULT_NOTIFY_CHANNEL } from '../src/transport-targets.js';
import type { StoredLogEntry } from '../src/types.js';

/** The entry field of each stored column (all but the generated `search`), in ENTRY_COLUMNS order. */
const FIELDS: readonly StoredField[] = ENTRY_FIELDS.map(({ field }) => field);

/** The value stored for a field: data as JSON text, everything else as is. */
function columnValue(entry: StoredLogEntry, field: StoredField): string | number | null {
  const value = entry[field];
  if (value === null || value === undefined) return null;
  return field === 'data' ? JSON.stringify(value) : (value as string | number);
}

/**
 * `insert` (an INSERT … ON CONFLICT DO NOTHING) as one statement that also announces the
 * rows it added with pg_notify on the channel given as parameter `channelParam`; the notice
 * is delivered when the transaction commits, and none is sent when no row was added.
 * The statement returns `added`.
 */
function announced(insert: string, channelParam: number): string {
  return `WITH inserted AS (${insert} RETURNING 1)
SELECT added, CASE WHEN added > 0 THEN pg_notify($${channelParam}, added::text) END AS notified
FROM (SELECT count(*)::int AS added FROM inserted) AS counted`;
}

const INSERT_UNNEST_SQL = announced(
  `INSERT INTO platform_logs (${ENTRY_COLUMNS})
SELECT * FROM unnest(${ENTRY_FIELDS.map(({ sqlType }, i) => `$${i + 1}::${sqlType}[]`).join(', ')})
ON CONFLICT DO NOTHING`,
  ENTRY_FIELDS.length + 1,
);

/**
 * One multi-row INSERT whose rows are column arrays (one parameter per column, whatever
 * the batch size); an id already stored is skipped. The statement is prepared once per
 * connection. Resolves with the number of rows added.
 */
export async function insertUnnest(
  client: pg.Pool | pg.ClientBase,
  entries: StoredLogEntry[],
  notifyChannel = DEFAULT_NOTIFY_CHANNEL,
): Promise<number> {
  const values: unknown[] = FIELDS.map((field) => entries.map((entry) => columnValue(entry, field)));
  values.push(notifyChannel);
  const { rows } = await client.query({ name: 'platform_logs_insert_unnest', text: INSERT_UNNEST_SQL, values });
  return rows[0].added;
}

const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_SPECIALS = /[\\\n\r\t]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** COPY text format: backslash escapes for the characters it gives meaning to, \N for null. */
function copyField(value: string | number | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return COPY_SPECIAL.test(value) ? value.replace(COPY_SPECIALS, (c) => COPY_ESCAPES[c]) : value;
}

/** Entries as lines of COPY text, in the column order of ENTRY_COLUMNS. */
export function copyText(entries: StoredLogEntry[]): string {
  const last = FIELDS.length - 1;
  let text = '';
  for (const entry of entries) {
    for (let i = 0; i <= last; i++) text += copyField(columnValue(entry, FIELDS[i])) + (i === last ? '\n' : '\t');
  }
  return text;
}

async function copyInto(client: pg.ClientBase, table: string, entries: StoredLogEntry[]): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${table} (${ENTRY_COLUMNS}) FROM STDIN`));
  await new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
    stream.end(copyText(entries));
  });
}

const INSERT_FROM_STAGING_SQL = announced(
  `INSERT INTO platform_logs (${ENTRY_COLUMNS}) SELECT ${ENTRY_COLUMNS} FROM platform_logs_staging ON CONFLICT DO NOTHING`,
  1,
);

/**
 * COPY into a session-local staging table, then one INSERT … ON CONFLICT DO NOTHING from
 * it, in one transaction (four round trips). Measured against insertUnnest by bench/ingest.ts.
 * Resolves with the number of rows added.
 */
export async function insertViaCopy(
  client: pg.ClientBase,
  entries: StoredLogEntry[],
  notifyChannel = DEFAULT_NOTIFY_CHANNEL,
): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query(
      'CREATE TEMP TABLE IF NOT EXISTS platform_logs_staging (LIKE platform_logs) ON COMMIT DELETE ROWS',
    );
    await copyInto(client, 'platform_logs_staging', entries);
    const { rows } = await client.query(INSERT_FROM_STAGING_SQL, [notifyChannel]);
    await client.query('COMMIT');
    return rows[0].added;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** PostgreSQL's unique_violation: the batch holds an id already stored (or one id twice). */
const UNIQUE_VIOLATION = '23505';

/**
 * COPY straight into platform_logs, then the notice, in one transaction: no staging table
 * and no ON CONFLICT, so it costs what a raw COPY costs. A batch holding an id already
 * stored (a retried batch that did commit, or a service that sent one id twice) fails as a
 * whole with a unique violation, which the caller answers with insertViaCopy.
 * Resolves with the number of rows added: all of them.
 */
export async function copyDirect(
  client: pg.ClientBase,
  entries: StoredLogEntry[],
  notifyChannel = DEFAULT_NOTIFY_CHANNEL,
): Promise<number> {
  await client.query('BEGIN');
  try {
    await copyInto(client, 'platform_logs', entries);
    await client.query('SELECT pg_notify($1, $2)', [notifyChannel, String(entries.length)]);
    await client.query('COMMIT');
    return entries.length;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/**
 * From this many rows on, COPY is used (straight into the table, else through staging);
 * below it, one INSERT … unnest (one round trip instead of four). bench/ingest.ts, three
 * runs on a shared 2-core machine: at 50 rows unnest did 0.9-1.8x COPY + staging, at 5,000
 * rows COPY + staging did 1.2-2x unnest.
 */
export const COPY_FROM_ROWS = 1_000;

/** Writes a batch the faster way for its size, announcing it on `notifyChannel`; resolves with the number of rows added. */
export async function insertEntries(
  pool: pg.Pool,
  entries: StoredLogEntry[],
  notifyChannel = DEFAULT_NOTIFY_CHANNEL,
): Promise<number> {
  if (entries.length < COPY_FROM_ROWS) return insertUnnest(pool, entries, notifyChannel);
  const client = await pool.connect();
  try {
    let added: number;
    try {
      added = await copyDirect(client, entries, notifyChannel);
    } catch (error) {
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
      added = await insertViaCopy(client, entries, notifyChannel);
    }
    client.release();
    return added;
  } catch (error) {
    client.release(error as Error);
    throw error;
  }
}
