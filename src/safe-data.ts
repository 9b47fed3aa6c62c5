import { REDACTED, type KeyRule } from './redact.js';
import { safeString } from './safe-string.js';
import { errorCodeOf, errorTypeOf, isErrorLike } from './serialize-error.js';

export interface SafeDataLimits {
  maxStringLength: number;
  /** Nesting deeper than this is replaced by a marker. Default 10. */
  maxDepth?: number;
  /** Keys per object and items per array kept; the rest is summarized. Default 1,000. */
  maxKeys?: number;
  /** Values kept in one entry's data overall. Default 10,000. */
  maxValues?: number;
}

/** Turns arbitrary data into a JSON-safe, secret-free object; never throws. */
export type DataSanitizer = (data: unknown) => Record<string, unknown> | null;

const TRUNCATED_KEY = '…';

/**
 * The common case, spared the type checks of walkObject: an object literal that neither
 * looks like an error (message and stack) nor serializes itself (toJSON).
 */
function isPlainData(object: object): boolean {
  const prototype = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) return false;
  const { message, stack, toJSON } = object as { message?: unknown; stack?: unknown; toJSON?: unknown };
  return typeof toJSON !== 'function' && !(typeof message === 'string' && typeof stack === 'string');
}

/**
 * One walk over the data does both jobs: secrets are redacted by key at any depth, and
 * every value becomes something JSON can hold without loss of the entry (cycles, BigInt,
 * Buffers, Map/Set, Dates, functions, symbols, huge strings and objects, deep nesting,
 * lone surrogates, throwing getters). Data that is not an object is wrapped as { value }.
 */
export function createDataSanitizer(keyRule: (key: string) => KeyRule, limits: SafeDataLimits): DataSanitizer {
  const maxStringLength = limits.maxStringLength;
  const maxDepth = limits.maxDepth ?? 10;
  const maxKeys = limits.maxKeys ?? 1_000;
  const maxValues = limits.maxValues ?? 10_000;

  // The objects being walked, outermost first; the current walk's start at firstAncestor.
  const ancestors: object[] = [];
  let firstAncestor = 0;
  let budget = 0;

  function walk(value: unknown, depth: number): unknown {
    if (--budget < 0) return '[Truncated: too many values]';
    switch (typeof value) {
      case 'string':
        return safeString(value, maxStringLength);
      case 'number':
        return Number.isFinite(value) ? value : String(value);
      case 'boolean':
      case 'undefined':
        return value;
      case 'bigint':
        return value.toString();
      case 'symbol':
        return safeString(value.toString(), maxStringLength);
      case 'function':
        return `[Function ${value.name || 'anonymous'}]`;
    }
    if (value === null) return null;
    const object = value as object;
    if (depth >= maxDepth) return `[Truncated: nested deeper than ${maxDepth}]`;
    if (ancestors.indexOf(object, firstAncestor) !== -1) return '[Circular]';
    ancestors.push(object);
    try {
      return walkObject(object, depth);
    } catch (err) {
      return `[Unserializable: ${safeString(String((err as Error)?.message ?? err), 200)}]`;
    } finally {
      ancestors.pop();
    }
  }

  function walkObject(object: object, depth: number): unknown {
    if (isPlainData(object)) return walkPlain(object, depth);
    if (Array.isArray(object)) return walkItems(object, depth);
    if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
    if (Buffer.isBuffer(object)) return `[Buffer ${object.length} bytes]`;
    if (ArrayBuffer.isView(object)) return `[${object.constructor.name} ${object.byteLength} bytes]`;
    if (object instanceof ArrayBuffer) return `[ArrayBuffer ${object.byteLength} bytes]`;
    if (object instanceof Map) return walkEntries(object.entries(), object.size, depth);
    if (object instanceof Set) return walkItems([...object], depth);
    if (object instanceof RegExp) return object.toString();
    if (isErrorLike(object)) {
      const message = typeof object.message === 'string' ? object.message : '';
      const summary = { type: errorTypeOf(object), message, code: errorCodeOf(object), stack: object.stack };
      return walkEntries(Object.entries(summary), 4, depth);
    }
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      const json: unknown = toJSON.call(object);
      if (json !== object) return walk(json, depth);
    }
    return walkPlain(object, depth);
  }

  /**
   * Copy on write: an object whose values all come through unchanged is returned as it is
   * (JSON keeps exactly its own enumerable keys, as here), which spares the common small
   * object an allocation; the first changed value starts a copy.
   */
  function walkPlain(object: object, depth: number): Record<string, unknown> {
    const source = object as Record<string, unknown>;
    const keys = Object.keys(source);
    const kept = Math.min(keys.length, maxKeys);
    let out: Record<string, unknown> | undefined =
      keys.length > kept || Object.getPrototypeOf(source) !== Object.prototype ? {} : undefined;
    for (let i = 0; i < kept; i++) {
      const key = keys[i];
      const raw = source[key];
      const rule = keyRule(key);
      const value = rule.redact ? REDACTED : walk(raw, depth + 1);
      if (out === undefined) {
        if (value === raw && rule.key === key) continue;
        out = {};
        for (let j = 0; j < i; j++) put(out, keys[j], source[keys[j]]);
      }
      put(out, rule.key, value);
    }
    if (out === undefined) return source;
    if (keys.length > kept) out[TRUNCATED_KEY] = `[Truncated: ${keys.length - kept} more keys]`;
    return out;
  }

  function put(out: Record<string, unknown>, key: string, value: unknown): void {
    if (value === undefined) return;
    if (key === '__proto__')
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }

  function walkEntries(entries: Iterable<[unknown, unknown]>, size: number, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    let count = 0;
    for (const [key, value] of entries) {
      if (count++ === maxKeys) {
        out[TRUNCATED_KEY] = `[Truncated: ${size - maxKeys} more keys]`;
        break;
      }
      const rule = keyRule(typeof key === 'string' ? key : String(key));
      put(out, rule.key, rule.redact ? REDACTED : walk(value, depth + 1));
    }
    return out;
  }

  function walkItems(items: readonly unknown[], depth: number): unknown[] {
    const kept = Math.min(items.length, maxKeys);
    let out: unknown[] | undefined = items.length > kept ? items.slice(0, kept) : undefined;
    for (let i = 0; i < kept; i++) {
      const raw = items[i];
      let item = walk(raw, depth + 1);
      if (item === undefined) item = null;
      if (out === undefined) {
        if (item === raw) continue;
        out = items.slice(0, kept);
      }
      out[i] = item;
    }
    if (out === undefined) return items as unknown[];
    if (items.length > kept) out.push(`[Truncated: ${items.length - kept} more items]`);
    return out;
  }

  return (data) => {
    if (data === undefined || data === null) return null;
    // A toJSON or getter may log while its data is being walked: that walk gets its own
    // budget and cycle check, and the outer walk's are restored after it.
    const outerBudget = budget;
    const outerFirstAncestor = firstAncestor;
    budget = maxValues;
    firstAncestor = ancestors.length;
    try {
      const safe = walk(data, 0);
      if (typeof safe === 'object' && safe !== null && !Array.isArray(safe)) return safe as Record<string, unknown>;
      return { value: safe === undefined ? null : safe };
    } finally {
      budget = outerBudget;
      firstAncestor = outerFirstAncestor;
    }
  };
}
