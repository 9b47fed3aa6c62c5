import { ENTRY_FIELDS } from '../../src/entry-fields.js';
import type { StoredLogEntry } from '../../src/types.js';

/**
 * The same columns as the API writes them, for output built from PostgreSQL's text: times as
 * ISO-8601 UTC with milliseconds (Date.prototype.toISOString's format), the rest as stored.
 */
export const ENTRY_API_VALUES = ENTRY_FIELDS.map(({ column, kind }) =>
  kind === 'time' ? `to_char("${column}" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` : `"${column}"`,
).join(', ');

/** A platform_logs row (selected with src/entry-fields' ENTRY_COLUMNS) in the API's wire shape. */
export function rowToEntry(row: Record<string, unknown>): StoredLogEntry {
  const entry: Record<string, unknown> = {};
  for (const { field, column } of ENTRY_FIELDS) {
    const value = row[column];
    entry[field] = value instanceof Date ? value.toISOString() : (value ?? null);
  }
  return entry as unknown as StoredLogEntry;
}
