import type { EntryField } from '../../src/entry-fields.js';

/**
 * The tree a query parses into (server/query/parse.ts). The SQL compiler (sql.ts) and the live
 * matcher (match.ts) both evaluate this one tree, so a query and the live tail agree.
 */

/** A stored column of the entry, or a path into its `data`. */
export type FieldRef = { kind: 'column'; field: EntryField } | { kind: 'data'; path: readonly string[] };

/** What a value is compared as: a column's own type, or for data the JSON value's. */
export type Scalar = string | number | boolean | null;

export type CompareOp = '<' | '<=' | '>' | '>=';

/** A comparison with one value: numbers with numbers, times with times, text with text (by code point). */
export interface Bound {
  op: CompareOp;
  value: string | number | Date;
}

export type QueryNode =
  | { type: 'and'; children: QueryNode[] }
  | { type: 'or'; children: QueryNode[] }
  | { type: 'not'; child: QueryNode }
  /**
   * Full-text search on the message: the words, consecutive when several (a phrase, or a
   * term that held punctuation, such as a host name); with `prefix`, the last word is a prefix.
   */
  | { type: 'text'; words: string[]; prefix: boolean }
  /** The field equals one of the values (IN). For data, any element of an array may. */
  | { type: 'equals'; field: FieldRef; values: Scalar[] }
  /** The field satisfies every bound (a range is two); for data, one element must satisfy all. */
  | { type: 'compare'; field: FieldRef; bounds: Bound[] }
  /** A text value matching a wildcard pattern: `*` any characters, `?` one; other characters as written. */
  | { type: 'pattern'; field: FieldRef; pattern: WildcardPart[] }
  /** The field has a value (is not null; for data, the path leads to a value that is not null). */
  | { type: 'exists'; field: FieldRef }
  /** Matches nothing (for example `level:>error`). */
  | { type: 'none' };

/** A wildcard pattern: literal text, `*` (any run of characters) or `?` (one character). */
export type WildcardPart = string | { wildcard: '*' | '?' };

/** The parsed query, with the text it came from. */
export interface Query {
  source: string;
  /** Null when the query holds no condition (empty, or only words without letters or digits). */
  root: QueryNode | null;
}

export function fieldKey(field: FieldRef): string {
  return field.kind === 'column' ? `column:${field.field.field}` : `data:${JSON.stringify(field.path)}`;
}

/** How a field is written in a query: its name, or @ and the data path. */
export function fieldName(field: FieldRef): string {
  return field.kind === 'column' ? field.field.field : `@${field.path.join('.')}`;
}
