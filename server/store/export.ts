import type pg from 'pg';
import { LOG_ENTRY_FIELDS, type StoredLogEntry } from '../../src/types.js';
import type { LogFilters } from './filters.js';
import { selectPage, type Keyset } from './query.js';

export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Rows read per keyset batch: large enough to amortize a round trip, small enough to stay flat in memory. */
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
 * The export as text chunks, one per batch, newest first, at most `maxRows` rows. Reads in
 * keyset batches, so memory stays flat whatever the size, and stops reading as soon as the
 * consumer stops pulling.
 */
export async function* exportChunks(
  pool: pg.Pool,
  filters: LogFilters,
  options: { format: ExportFormat; maxRows: number; batchRows?: number },
): AsyncGenerator<string> {
  const format = options.format === 'csv' ? csvLine : ndjsonLine;
  if (options.format === 'csv') yield csvHeader();
  let remaining = options.maxRows;
  let after: Keyset | undefined;
  while (remaining > 0) {
    const page = await selectPage(pool, filters, Math.min(options.batchRows ?? EXPORT_BATCH_ROWS, remaining), after);
    if (page.entries.length === 0) return;
    let chunk = '';
    for (const entry of page.entries) chunk += format(entry);
    yield chunk;
    remaining -= page.entries.length;
    if (!page.next) return;
    after = page.next;
  }
}

/** The export of nothing: the CSV header alone, or no NDJSON line. */
export async function* emptyExport(format: ExportFormat): AsyncGenerator<string> {
  if (format === 'csv') yield csvHeader();
}
