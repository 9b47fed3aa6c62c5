import type { Bound, FieldRef, QueryNode, Scalar, WildcardPart } from './ast.js';
import { SQL_SEPARATOR_CLASS, isIndexable } from './words.js';

/**
 * The SQL compiler: a query tree as one boolean SQL expression over platform_logs, with the
 * meaning the live matcher (match.ts) gives it. Every value goes in as a parameter ($n); the
 * SQL text holds only column names, operators and casts. Data paths compile to a jsonpath
 * (itself a parameter, its strings written as JSON string literals) tested with `@?`, which
 * the GIN jsonb_path_ops index on data serves for equalities.
 *
 * NOT is pushed down to the leaves, and a negated leaf is `(…) IS NOT TRUE`, so a null (an
 * entry without the field) is a non-match for `field:value` and a match for `-field:value`,
 * as in the live matcher; without NOT above it, a null leaf excludes the row like a false one.
 */

export type AddParam = (value: unknown) => string;

const SQL_TYPES: Record<string, string> = { text: 'text', number: 'numeric', time: 'timestamptz', json: 'jsonb' };

function columnSql(field: FieldRef & { kind: 'column' }): string {
  return `"${field.field.column}"`;
}

function castOf(field: FieldRef & { kind: 'column' }): string {
  return field.field.field === 'id' ? 'uuid' : SQL_TYPES[field.field.kind];
}

/** A jsonpath string literal (JSON's escapes are jsonpath's). */
function jsonpathString(text: string): string {
  return JSON.stringify(text);
}

function jsonpathScalar(value: Scalar): string {
  if (typeof value === 'string') return jsonpathString(value);
  if (typeof value === 'number') return JSON.stringify(value);
  return String(value);
}

function jsonpathOf(path: readonly string[], filter?: string): string {
  return `$${path.map((key) => `.${jsonpathString(key)}`).join('')}${filter ? ` ? (${filter})` : ''}`;
}

/** A wildcard pattern as LIKE's: % and _ and \ escaped, * as %, ? as _. */
export function likePattern(pattern: readonly WildcardPart[]): string {
  return pattern
    .map((part) => (typeof part === 'string' ? part.replace(/[\\%_]/g, '\\$&') : part.wildcard === '*' ? '%' : '_'))
    .join('');
}

/** A wildcard pattern as a POSIX (ARE) regular expression, anchored; ASCII punctuation escaped. */
function aresPattern(pattern: readonly WildcardPart[]): string {
  const body = pattern
    .map((part) =>
      typeof part === 'string'
        ? part.replace(/[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]/g, '\\$&')
        : part.wildcard === '*'
          ? '.*'
          : '.',
    )
    .join('');
  return `^${body}$`;
}

/** A phrase as a regular expression on platform_log_search_text(message): the words consecutive, whole. */
function phrasePattern(words: readonly string[], prefix: boolean): string {
  const sep = SQL_SEPARATOR_CLASS;
  // words hold no separator, so no ASCII punctuation and nothing a regular expression reads as an operator
  return `(^|${sep})${words.join(`${sep}+`)}${prefix ? '' : `(${sep}|$)`}`;
}

/** tsquery text for the words; words hold no quote or backslash (both are separators). */
function tsqueryOf(words: readonly string[], prefix: boolean): string {
  return words.map((word, i) => `'${word}'${prefix && i === words.length - 1 ? ':*' : ''}`).join(' & ');
}

function boundsFilter(bounds: readonly Bound[]): string {
  return bounds.map(({ op, value }) => `@ ${op} ${jsonpathScalar(value as Scalar)}`).join(' && ');
}

function leafSql(node: QueryNode, param: AddParam): string {
  switch (node.type) {
    case 'text': {
      if (!node.words.every(isIndexable)) return 'FALSE';
      const vector = `search @@ ${param(tsqueryOf(node.words, node.prefix))}::tsquery`;
      if (node.words.length === 1) return vector;
      return `(${vector} AND platform_log_search_text(message) ~ ${param(phrasePattern(node.words, node.prefix))})`;
    }
    case 'equals': {
      const { field, values } = node;
      if (field.kind === 'data') {
        return `data @? ${param(jsonpathOf(field.path, values.map((value) => `@ == ${jsonpathScalar(value)}`).join(' || ')))}::jsonpath`;
      }
      const cast = castOf(field);
      if (values.length === 1) return `${columnSql(field)} = ${param(values[0])}::${cast}`;
      return `${columnSql(field)} = ANY(${param(values)}::${cast}[])`;
    }
    case 'compare': {
      const { field, bounds } = node;
      if (field.kind === 'data') return `data @? ${param(jsonpathOf(field.path, boundsFilter(bounds)))}::jsonpath`;
      const kind = field.field.kind;
      const conditions = bounds.map(({ op, value }) => {
        if (field.field.field === 'id') return `("id"::text COLLATE "C") ${op} ${param(value)}::text`;
        if (kind === 'text') return `(${columnSql(field)} COLLATE "C") ${op} ${param(value)}::text`;
        return `${columnSql(field)} ${op} ${param(value)}::${castOf(field)}`;
      });
      return conditions.length === 1 ? conditions[0] : `(${conditions.join(' AND ')})`;
    }
    case 'pattern': {
      const { field, pattern } = node;
      if (field.kind === 'data') {
        const [first] = pattern;
        const prefixOnly =
          pattern.length === 2 &&
          typeof first === 'string' &&
          typeof pattern[1] !== 'string' &&
          pattern[1].wildcard === '*';
        const filter = prefixOnly
          ? `@ starts with ${jsonpathString(first)}`
          : `@ like_regex ${jsonpathString(aresPattern(pattern))} flag "s"`;
        return `data @? ${param(jsonpathOf(field.path, filter))}::jsonpath`;
      }
      const column = field.field.field === 'id' ? '"id"::text' : columnSql(field);
      return `${column} LIKE ${param(likePattern(pattern))}`;
    }
    case 'exists': {
      const { field } = node;
      if (field.kind === 'data') return `data @? ${param(jsonpathOf(field.path, '@.type() != "null"'))}::jsonpath`;
      return `${columnSql(field)} IS NOT NULL`;
    }
    case 'none':
      return 'FALSE';
    default:
      throw new Error(`not a leaf: ${node.type}`);
  }
}

function compile(node: QueryNode, param: AddParam, negated: boolean): string {
  switch (node.type) {
    case 'and':
    case 'or': {
      // De Morgan: NOT (a AND b) is (NOT a) OR (NOT b)
      const joiner = (node.type === 'and') !== negated ? ' AND ' : ' OR ';
      return `(${node.children.map((child) => compile(child, param, negated)).join(joiner)})`;
    }
    case 'not':
      return compile(node.child, param, !negated);
    default: {
      const sql = leafSql(node, param);
      return negated ? `(${sql}) IS NOT TRUE` : sql;
    }
  }
}

/** The query as one SQL condition; its values are given to `param`, which answers the placeholder. */
export function querySql(node: QueryNode, param: AddParam): string {
  return compile(node, param, false);
}
