import { LOG_ENTRY_FIELDS, type StoredLogEntry } from '../../src/types.js';

type StoredField = keyof StoredLogEntry;

/** How a field's value is written in the API: a JSON string, a number, JSON as stored, or an ISO-8601 time. */
export type FieldKind = 'text' | 'number' | 'json' | 'time';

export interface EntryField {
  field: StoredField;
  column: string;
  kind: FieldKind;
  /** The column's PostgreSQL type. */
  sqlType: string;
}

const STORED_FIELDS: readonly StoredField[] = [...LOG_ENTRY_FIELDS, 'errorSignature', 'messageTemplate'];
const NOT_TEXT: Partial<Record<StoredField, FieldKind>> = { timestamp: 'time', line: 'number', data: 'json' };
const SQL_TYPES: Record<FieldKind, string> = { text: 'text', number: 'integer', json: 'jsonb', time: 'timestamptz' };

/** Every field of a StoredLogEntry in wire order, with its platform_logs column: the one description of a row. */
export const ENTRY_FIELDS: readonly EntryField[] = STORED_FIELDS.map((field) => {
  const kind = NOT_TEXT[field] ?? 'text';
  return {
    field,
    column: field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`),
    kind,
    sqlType: field === 'id' ? 'uuid' : SQL_TYPES[kind],
  };
});

/** The platform_logs columns that make a StoredLogEntry, for `SELECT ${ENTRY_COLUMNS} FROM platform_logs`. */
export const ENTRY_COLUMNS = ENTRY_FIELDS.map(({ column }) => `"${column}"`).join(', ');

/**
 * The same columns as the API writes them, for output built from PostgreSQL's text: times as
 * ISO-8601 UTC with milliseconds (Date.prototype.toISOString's format), the rest as stored.
 */
export const ENTRY_API_VALUES = ENTRY_FIELDS.map(({ column, kind }) =>
  kind === 'time' ? `to_char("${column}" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` : `"${column}"`,
).join(', ');

/** A platform_logs row (selected with ENTRY_COLUMNS) in the API's wire shape. */
export function rowToEntry(row: Record<string, unknown>): StoredLogEntry {
  const entry: Record<string, unknown> = {};
  for (const { field, column } of ENTRY_FIELDS) {
    const value = row[column];
    entry[field] = value instanceof Date ? value.toISOString() : (value ?? null);
  }
  return entry as unknown as StoredLogEntry;
}
