import { LOG_ENTRY_FIELDS, type StoredLogEntry } from './types.js';

export type StoredField = keyof StoredLogEntry;

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

/** The platform_logs columns that make a StoredLogEntry, quoted, in ENTRY_FIELDS order. */
export const ENTRY_COLUMNS = ENTRY_FIELDS.map(({ column }) => `"${column}"`).join(', ');
