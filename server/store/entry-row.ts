import { LOG_ENTRY_FIELDS, type StoredLogEntry } from '../../src/types.js';

type StoredField = keyof StoredLogEntry;

const STORED_FIELDS: readonly StoredField[] = [...LOG_ENTRY_FIELDS, 'errorSignature', 'messageTemplate'];

function columnName(field: StoredField): string {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

const COLUMN_OF_FIELD = STORED_FIELDS.map((field) => [field, columnName(field)] as const);

/** The platform_logs columns that make a StoredLogEntry, for `SELECT ${ENTRY_COLUMNS} FROM platform_logs`. */
export const ENTRY_COLUMNS = COLUMN_OF_FIELD.map(([, column]) => `"${column}"`).join(', ');

/** A platform_logs row (selected with ENTRY_COLUMNS) in the API's wire shape. */
export function rowToEntry(row: Record<string, unknown>): StoredLogEntry {
  const entry: Record<string, unknown> = {};
  for (const [field, column] of COLUMN_OF_FIELD) {
    const value = row[column];
    entry[field] = value instanceof Date ? value.toISOString() : (value ?? null);
  }
  return entry as unknown as StoredLogEntry;
}
