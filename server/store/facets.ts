import type pg from 'pg';
import type { FieldRef } from '../query/ast.js';
import { whereClause, type LogFilters } from './filters.js';

export interface FacetValue {
  /** As the API writes the field: text, a number, or for data any JSON scalar (null included). */
  value: string | number | boolean | null;
  /** Entries holding the value. */
  count: number;
}

export interface Facet {
  /** The top values, most entries first (then by value). */
  values: FacetValue[];
  /** Entries matching the filters with no value there (null, or no such path). */
  missing: number;
}

/** Columns whose values are worth counting; the rest are unique per entry or long text. */
const NOT_FACETS = new Set(['id', 'timestamp', 'message', 'errorStack', 'data']);

export function isFacetField(field: FieldRef): boolean {
  return field.kind === 'data' || !NOT_FACETS.has(field.field.field);
}

/** The jsonpath of a data path's scalar items, as `@path:value` tests them (lax: arrays unwrapped). */
function scalarItems(path: readonly string[]): string {
  return `$${path.map((key) => `.${JSON.stringify(key)}`).join('')}[*] ? (@.type() != "object" && @.type() != "array")`;
}

/**
 * The top values of a field among the entries matching the filters, with the number of entries
 * holding each, and how many hold none. One reading of the matching entries.
 */
export async function getFacet(db: pg.Pool, filters: LogFilters, field: FieldRef, limit: number): Promise<Facet> {
  const params: unknown[] = [];
  let valueSql: string;
  let from: string;
  if (field.kind === 'column') {
    valueSql = `"${field.field.column}"`;
    from = 'platform_logs';
  } else {
    params.push(scalarItems(field.path));
    // each entry counts once per value, however often the value occurs in it
    from = `platform_logs LEFT JOIN LATERAL (SELECT DISTINCT item FROM jsonb_path_query(data, $1::jsonpath) AS item) AS items ON true`;
    valueSql = 'items.item';
  }
  const where = whereClause(filters, params);
  params.push(limit);
  const { rows } = await db.query<{ value: unknown; count: string; missing: boolean }>(
    `WITH counted AS (SELECT ${valueSql} AS value, count(*) AS count FROM ${from} ${where} GROUP BY 1)
     (SELECT value, count, false AS missing FROM counted WHERE value IS NOT NULL ORDER BY count DESC, value LIMIT $${params.length})
     UNION ALL
     SELECT NULL, count, true FROM counted WHERE value IS NULL`,
    params,
  );
  const facet: Facet = { values: [], missing: 0 };
  for (const row of rows) {
    if (row.missing) facet.missing = Number(row.count);
    else facet.values.push({ value: row.value as FacetValue['value'], count: Number(row.count) });
  }
  return facet;
}

export interface DataField {
  /** As a query names it: `@cart.total`. */
  path: string;
  /** Entries of the sample holding the path. */
  entries: number;
  /** Its JSON types (string, number, boolean, null, object, array) with the entries holding each. */
  types: { type: string; entries: number }[];
}

export interface DataFields {
  fields: DataField[];
  /** Entries read: the newest matching ones with data, at most the sample size. */
  sampled: number;
  /** Whether every matching entry with data was read (fewer than the sample size matched). */
  complete: boolean;
}

const MAX_DEPTH = 10;
const MAX_FIELDS = 1000;

function pathName(path: string[]): string {
  return `@${path.map((key) => key.replace(/[\\.\s:()"]/g, '\\$&')).join('.')}`;
}

/**
 * The data paths of the newest `sample` entries matching the filters, with their JSON types. A
 * path goes through arrays as a query's does (`@cart.items.sku` for the items' sku), up to ten
 * keys deep; the most common first, at most 1,000.
 */
export async function getDataFields(db: pg.Pool, filters: LogFilters, sample: number): Promise<DataFields> {
  const params: unknown[] = [];
  const where = whereClause(filters, params, ['data IS NOT NULL']);
  params.push(sample);
  const limit = `$${params.length}`;
  params.push(MAX_FIELDS);
  const { rows } = await db.query<{ path: string[] | null; type: string | null; entries: string; sampled: string }>(
    `WITH RECURSIVE sample AS (
       SELECT row_number() OVER () AS entry, data FROM (
         SELECT data FROM platform_logs ${where} ORDER BY "timestamp" DESC, id DESC LIMIT ${limit}
       ) newest
     ), walk(entry, path, value, depth) AS (
       SELECT s.entry, ARRAY[e.key], e.value, 1
       FROM sample s, jsonb_each(CASE jsonb_typeof(s.data) WHEN 'object' THEN s.data ELSE '{}' END) e
       UNION ALL
       SELECT w.entry, w.path || e.key, e.value, w.depth + 1
       FROM walk w
       CROSS JOIN LATERAL (
         SELECT element FROM jsonb_array_elements(CASE jsonb_typeof(w.value) WHEN 'array' THEN w.value ELSE '[]' END) AS element
         UNION ALL SELECT w.value WHERE jsonb_typeof(w.value) = 'object'
       ) AS inner_object(object)
       CROSS JOIN LATERAL jsonb_each(CASE jsonb_typeof(inner_object.object) WHEN 'object' THEN inner_object.object ELSE '{}' END) e
       WHERE w.depth < ${MAX_DEPTH}
     ), paths AS (
       SELECT path, jsonb_typeof(value) AS type, count(DISTINCT entry) AS entries, grouping(jsonb_typeof(value)) AS whole
       FROM walk GROUP BY GROUPING SETS ((path, jsonb_typeof(value)), (path))
     ), top AS (
       SELECT path FROM paths WHERE whole = 1 ORDER BY entries DESC, path LIMIT $${params.length}
     )
     SELECT p.path, CASE WHEN p.whole = 1 THEN NULL ELSE p.type END AS type, p.entries, (SELECT count(*) FROM sample) AS sampled
     FROM paths p JOIN top USING (path)
     UNION ALL SELECT NULL, NULL, 0, (SELECT count(*) FROM sample)`,
    params,
  );
  const byPath = new Map<string, DataField>();
  let sampled = 0;
  for (const row of rows) {
    sampled = Number(row.sampled);
    if (row.path === null) continue;
    const name = pathName(row.path);
    let field = byPath.get(name);
    if (!field) byPath.set(name, (field = { path: name, entries: 0, types: [] }));
    if (row.type === null) field.entries = Number(row.entries);
    else field.types.push({ type: row.type, entries: Number(row.entries) });
  }
  const fields = [...byPath.values()].sort((a, b) => b.entries - a.entries || (a.path < b.path ? -1 : 1));
  for (const field of fields) field.types.sort((a, b) => b.entries - a.entries || (a.type < b.type ? -1 : 1));
  return { fields, sampled, complete: sampled < sample };
}
