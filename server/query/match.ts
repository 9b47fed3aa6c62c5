import type { StoredLogEntry } from '../../src/types.js';
import type { Bound, FieldRef, QueryNode, Scalar, WildcardPart } from './ast.js';
import { isIndexable, messageWords, type MessageWords } from './words.js';

/**
 * The live matcher: a query tree evaluated on one entry in the server, with exactly the
 * meaning the SQL compiler (sql.ts) gives it in PostgreSQL:
 *   - columns compare as PostgreSQL compares them: text by code point (COLLATE "C"), times
 *     as instants, numbers as numbers; a null never equals, compares or matches anything;
 *   - a data path is read as PostgreSQL's lax jsonpath reads it: every key unwraps an array
 *     one level, and each value found, an array's elements too, is tested; a test holds
 *     when any of them passes;
 *   - full-text terms test the message's words (words.ts) as the stored tsvector holds them;
 *   - NOT is the complement: an entry without the field matches `-field:value`.
 */

export type EntryMatcher = (entry: StoredLogEntry) => boolean;

/** The words of each entry's message, made once for all the subscriptions that look at it. */
const wordCache = new WeakMap<StoredLogEntry, MessageWords>();

function wordsOfEntry(entry: StoredLogEntry): MessageWords {
  let words = wordCache.get(entry);
  if (!words) wordCache.set(entry, (words = messageWords(entry.message)));
  return words;
}

/** PostgreSQL's text order under COLLATE "C" (UTF-8 bytes, that is code points), not UTF-16's. */
export function compareText(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // surrogates (code points past U+FFFF) sort after U+E000–U+FFFF
    const fix = (unit: number) => (unit >= 0xd800 ? (unit >= 0xe000 ? unit - 0x800 : unit + 0x2000) : unit);
    return fix(x) - fix(y);
  }
  return a.length - b.length;
}

function holds(order: number, op: Bound['op']): boolean {
  return op === '<' ? order < 0 : op === '<=' ? order <= 0 : op === '>' ? order > 0 : order >= 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The values a lax jsonpath `$."a"."b"` yields: each key unwraps arrays one level. */
export function valuesAtPath(data: unknown, path: readonly string[]): unknown[] {
  let values: unknown[] = [data];
  for (const key of path) {
    const next: unknown[] = [];
    for (const value of values) {
      if (Array.isArray(value)) {
        for (const element of value) if (isObject(element) && Object.hasOwn(element, key)) next.push(element[key]);
      } else if (isObject(value) && Object.hasOwn(value, key)) {
        next.push(value[key]);
      }
    }
    values = next;
    if (values.length === 0) break;
  }
  return values;
}

/** The items a filter `? (…)` sees: the values, arrays unwrapped one level. */
function itemsAtPath(data: unknown, path: readonly string[]): unknown[] {
  return valuesAtPath(data, path).flatMap((value) => (Array.isArray(value) ? value : [value]));
}

/** A comparison in a jsonpath filter: an array item is unwrapped once more, its nested arrays never match. */
function itemTest(item: unknown, test: (value: unknown) => boolean): boolean {
  return Array.isArray(item) ? item.some((element) => !Array.isArray(element) && test(element)) : test(item);
}

/** jsonpath's `@ OP value`: numbers with numbers, strings with strings (by code point), nothing else. */
function jsonCompare(value: unknown, bound: Bound): boolean {
  if (typeof bound.value === 'number') return typeof value === 'number' && holds(value - bound.value, bound.op);
  if (typeof bound.value === 'string')
    return typeof value === 'string' && holds(compareText(value, bound.value), bound.op);
  return false;
}

export function wildcardRegExp(pattern: readonly WildcardPart[]): RegExp {
  const source = pattern
    .map((part) =>
      typeof part === 'string' ? part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : part.wildcard === '*' ? '.*' : '.',
    )
    .join('');
  return new RegExp(`^${source}$`, 'su');
}

function columnValue(entry: StoredLogEntry, field: FieldRef & { kind: 'column' }): unknown {
  return (entry as unknown as Record<string, unknown>)[field.field.field];
}

function leafMatcher(node: QueryNode): EntryMatcher {
  switch (node.type) {
    case 'text':
      return textMatcher(node.words, node.prefix);
    case 'equals': {
      const { field, values } = node;
      if (field.kind === 'data') {
        const test = (value: unknown) =>
          (value === null || typeof value !== 'object') && values.includes(value as Scalar);
        return (entry) => itemsAtPath(entry.data, field.path).some((item) => itemTest(item, test));
      }
      if (field.field.kind === 'number') return (entry) => values.includes(columnValue(entry, field) as number);
      const set = new Set(values);
      return (entry) => set.has(columnValue(entry, field) as string);
    }
    case 'compare': {
      const { field, bounds } = node;
      if (field.kind === 'data') {
        return (entry) =>
          itemsAtPath(entry.data, field.path).some((item) =>
            bounds.every((bound) => itemTest(item, (value) => jsonCompare(value, bound))),
          );
      }
      const kind = field.field.kind;
      return (entry) => {
        const value = columnValue(entry, field);
        if (value === null || value === undefined) return false;
        return bounds.every((bound) => {
          if (kind === 'time') return holds(Date.parse(value as string) - (bound.value as Date).getTime(), bound.op);
          if (kind === 'number') return holds((value as number) - (bound.value as number), bound.op);
          return holds(compareText(value as string, bound.value as string), bound.op);
        });
      };
    }
    case 'pattern': {
      const { field } = node;
      const regExp = wildcardRegExp(node.pattern);
      if (field.kind === 'data') {
        const test = (value: unknown) => typeof value === 'string' && regExp.test(value);
        return (entry) => itemsAtPath(entry.data, field.path).some((item) => itemTest(item, test));
      }
      return (entry) => {
        const value = columnValue(entry, field);
        return typeof value === 'string' && regExp.test(value);
      };
    }
    case 'exists': {
      const { field } = node;
      if (field.kind === 'data') return (entry) => itemsAtPath(entry.data, field.path).some((item) => item !== null);
      return (entry) => {
        const value = columnValue(entry, field);
        return value !== null && value !== undefined;
      };
    }
    case 'none':
      return () => false;
    default:
      throw new Error(`not a leaf: ${node.type}`);
  }
}

/**
 * Full-text: a word is in the stored vector (exact, or as a prefix); a phrase needs every word
 * in the vector and the words consecutive in the message (sql.ts checks the same with a
 * regular expression on the text).
 */
function textMatcher(words: readonly string[], prefix: boolean): EntryMatcher {
  if (!words.every(isIndexable)) return () => false;
  const last = words[words.length - 1];
  const exact = prefix ? words.slice(0, -1) : words;
  return (entry) => {
    const { words: all, indexed } = wordsOfEntry(entry);
    if (!exact.every((word) => indexed.has(word))) return false;
    if (prefix) {
      let found = false;
      for (const word of indexed) {
        if (word.startsWith(last)) {
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
    if (words.length === 1) return true;
    outer: for (let start = 0; start + words.length <= all.length; start++) {
      for (let i = 0; i < words.length; i++) {
        const word = all[start + i];
        const wanted = words[i];
        if (prefix && i === words.length - 1 ? !word.startsWith(wanted) : word !== wanted) continue outer;
      }
      return true;
    }
    return false;
  };
}

/** The tree as a function of an entry. */
export function compileMatcher(node: QueryNode | null): EntryMatcher {
  if (node === null) return () => true;
  switch (node.type) {
    case 'and': {
      const children = node.children.map(compileMatcher);
      return (entry) => children.every((child) => child(entry));
    }
    case 'or': {
      const children = node.children.map(compileMatcher);
      return (entry) => children.some((child) => child(entry));
    }
    case 'not': {
      const child = compileMatcher(node.child);
      return (entry) => !child(entry);
    }
    default:
      return leafMatcher(node);
  }
}
