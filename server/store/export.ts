import type pg from 'pg';
import { LOG_ENTRY_FIELDS, type StoredLogEntry } from '../../src/types.js';
import { ENTRY_COLUMNS, rowToEntry } from './entry-row.js';
import { whereClause, type LogFilters } from './filters.js';

export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Rows fetched per batch: large enough to amortize a round trip, small enough to stay flat in memory. */
export const EXPORT_BATCH_ROWS = 5_000;

const CSV_COLUMNS = [...LOG_ENTRY_FIELDS, 'errorSignature', 'messageTemplate'] as const satisfies readonly (keyof StoredLogEntry)[];

/** A CSV field per RFC 4180: quoted when it holds a comma, quote, CR or LF; quotes doubled. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvHeader(): string {
  return CSV_COLUMNS.join(',') + '\r\n';
}

export function csvLine(entry: StoredLogEntry): string {
  return CSV_COLUMNS.map((column) => csvField(entry[column])).join(',') + '\r\n';
}

export function ndjsonLine(entry: StoredLogEntry): string {
  return JSON.stringify(entry) + '\n';
}

/**
 * The export as text chunks, one per batch, newest first, at most `maxRows` rows. One
 * server-side cursor in a read-only snapshot: planned once (partition pruning included),
 * fetched in batches so memory stays flat whatever the size, and closed as soon as the
 * consumer stops pulling.
 */
export async function* exportChunks(
  pool: pg.Pool,
  filters: LogFilters,
  options: { format: ExportFormat; maxRows: number; batchRows?: number },
): AsyncGenerator<string> {
  const format = options.format === 'csv' ? csvLine : ndjsonLine;
  const batchRows = options.batchRows ?? EXPORT_BATCH_ROWS;
  const client = await pool.connect();
  let released = false;
  const release = async (broken: boolean) => {
    if (released) return;
    released = true;
    // Ends the snapshot also when the consumer stopped early; a broken connection is discarded.
    const rolledBack = await client.query('ROLLBACK').then(() => true, () => false);
    client.release(broken || !rolledBack);
  };
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const params: unknown[] = [];
    const where = whereClause(filters, params);
    params.push(options.maxRows);
    await client.query(
      `DECLARE platform_logs_export NO SCROLL CURSOR FOR
       SELECT ${ENTRY_COLUMNS} FROM platform_logs ${where}
       ORDER BY "timestamp" DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    if (options.format === 'csv') yield csvHeader();
    for (;;) {
      const { rows } = await client.query(`FETCH ${batchRows} FROM platform_logs_export`);
      if (rows.length === 0) break;
      let chunk = '';
      for (const row of rows) chunk += format(rowToEntry(row));
      // The last batch gives the connection back before it is handed on, not once it is read.
      if (rows.length < batchRows) await release(false);
      yield chunk;
      if (released) return;
    }
  } catch (error) {
    await release(true);
    throw error;
  } finally {
    await release(false);
  }
}

/** The export of nothing: the CSV header alone, or no NDJSON line. */
export async function* emptyExport(format: ExportFormat): AsyncGenerator<string> {
  if (format === 'csv') yield csvHeader();
}
