import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { copyTextReader } from './copy-text.js';
import { ENTRY_FIELDS } from '../../src/entry-fields.js';
import { ENTRY_API_VALUES } from './entry-row.js';
import { whereClause, type LogFilters } from './filters.js';

export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

type Fields = (string | null)[];

// What a spreadsheet would take for a formula at the start of a cell (OWASP, CSV injection).
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A CSV field per RFC 4180: quoted when it holds a comma, quote, CR or LF; quotes doubled.
 * A value that starts like a formula gets a leading `'`, so that it shows as text.
 */
export function csvField(value: string | null): string {
  if (value === null) return '';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvHeader(): string {
  return `${ENTRY_FIELDS.map(({ field }) => field).join(',')}\r\n`;
}

export function csvLine(fields: Fields): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

const NDJSON_KEYS = ENTRY_FIELDS.map(({ field }, i) => `${(i === 0 ? '{' : ',') + JSON.stringify(field)}:`);
const AS_IS = ENTRY_FIELDS.map(({ kind }) => kind === 'number' || kind === 'json');
// What a JSON string must escape; most values hold none of it and are only quoted, which is faster.
const JSON_ESCAPED = /["\\\u0000-\u001f]/;

/** One JSON object per line, keys in wire order; numbers and stored JSON as PostgreSQL writes them, the rest as strings. */
export function ndjsonLine(fields: Fields): string {
  let line = '';
  for (let i = 0; i < fields.length; i++) {
    const value = fields[i];
    const json =
      value === null ? 'null' : AS_IS[i] ? value : JSON_ESCAPED.test(value) ? JSON.stringify(value) : `"${value}"`;
    line += NDJSON_KEYS[i] + json;
  }
  return `${line}}\n`;
}

/** A query value as an SQL literal: COPY takes no parameters. */
function sqlLiteral(value: unknown): string {
  if (typeof value === 'string') return pg.escapeLiteral(value);
  if (value instanceof Date) return `${pg.escapeLiteral(value.toISOString())}::timestamptz`;
  if (Array.isArray(value)) return `ARRAY[${value.map(sqlLiteral).join(', ')}]`;
  if (typeof value === 'number' && Number.isFinite(value)) return value < 0 ? `(${value})` : String(value);
  throw new TypeError(`no SQL literal for ${typeof value}`);
}

/**
 * The export's COPY statement: the matching rows, newest first, at most `maxRows`, in
 * PostgreSQL's text format. `columns` is the select list, the fields as the API writes them
 * unless told otherwise.
 */
export function exportCopySql(filters: LogFilters, maxRows: number, columns = ENTRY_API_VALUES): string {
  const params: unknown[] = [];
  const where = whereClause(filters, params).replace(/\$(\d+)/g, (_, n: string) => sqlLiteral(params[Number(n) - 1]));
  return `COPY (SELECT ${columns} FROM platform_logs ${where}
                ORDER BY "timestamp" DESC, id DESC LIMIT ${sqlLiteral(maxRows)}) TO STDOUT`;
}

/**
 * The export as byte chunks, newest first, at most `maxRows` rows. One COPY statement, so one
 * snapshot; PostgreSQL sends its text format and each chunk becomes lines as it arrives, so
 * memory stays flat whatever the size: a consumer that stops pulling stops the socket, and
 * the server stops with it. The connection goes back to the pool as soon as PostgreSQL has
 * sent the last row; when the consumer leaves earlier it is closed, the only way to stop a COPY.
 */
export async function* exportChunks(
  pool: pg.Pool,
  filters: LogFilters,
  options: { format: ExportFormat; maxRows: number },
): AsyncGenerator<Buffer> {
  const toLine = options.format === 'csv' ? csvLine : ndjsonLine;
  const readRows = copyTextReader();
  // The header goes out with the first rows, so that nothing is answered before PostgreSQL has.
  let head = options.format === 'csv' ? csvHeader() : '';
  const client = await pool.connect();
  let released = false;
  const release = (broken: boolean) => {
    if (released) return;
    released = true;
    client.release(broken);
  };
  try {
    const copy = client.query(copyTo(exportCopySql(filters, options.maxRows)));
    // Closing the connection mid-COPY reports an error on it once nobody reads it any more.
    copy.on('error', () => {});
    copy.once('end', () => release(false));
    for await (const chunk of copy as AsyncIterable<Buffer>) {
      let text = head;
      for (const fields of readRows(chunk)) text += toLine(fields);
      head = '';
      if (text) yield Buffer.from(text);
    }
    if (head) yield Buffer.from(head);
  } finally {
    release(true);
  }
}

/** The export of nothing: the CSV header alone, or no NDJSON line. */
export async function* emptyExport(format: ExportFormat): AsyncGenerator<Buffer> {
  if (format === 'csv') yield Buffer.from(csvHeader());
}
