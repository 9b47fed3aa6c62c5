import { ENTRY_FIELDS, type EntryField } from '../../src/entry-fields.js';
import { LOG_LEVELS, isLogLevel, type LogLevel } from '../../src/types.js';
import {
  fieldKey,
  type Bound,
  type CompareOp,
  type FieldRef,
  type Query,
  type QueryNode,
  type Scalar,
  type WildcardPart,
} from './ast.js';
import { wildcardRegExp } from './match.js';
import { readTime } from './time.js';
import { SEPARATORS, wordsOf } from './words.js';

/**
 * The query language (docs/api.md, "Query language"): Datadog's log search syntax, parsed once
 * into a QueryNode tree by this hand-written recursive-descent parser.
 *
 *   query    := or? EOF
 *   or       := and (OR and)*                     OR, or `or` between two terms
 *   and      := unary ((AND)? unary)*             juxtaposition is AND
 *   unary    := NOT unary | -unary | primary
 *   primary  := ( or ) | "phrase" | field:value | word
 *   value    := ( or ) | [a TO b] | {a TO b} | >v | >=v | <v | <=v | "text" | * | text with * and ?
 *   field    := a column (level, service, tenantId, …) | @data.path | _exists_
 */

export class QuerySyntaxError extends Error {
  override name = 'QuerySyntaxError';
  constructor(
    readonly problem: string,
    /** Offset in the query, 0 for its first character. */
    readonly position: number,
    /** What the parser expected there. */
    readonly expected: string,
  ) {
    super(`${problem} at position ${position}; expected ${expected}`);
  }
}

export interface ParseOptions {
  /** What relative times (`timestamp:>15m`) count from. */
  now: Date;
}

const MAX_DEPTH = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const NAME_START = /[A-Za-z_]/;
const NAME_PART = /[A-Za-z0-9_]/;
const SPACE = /\s/;

/** Other names a column answers to, besides its field name and its column name. */
const ALIASES: Record<string, string> = { status: 'level', env: 'environment' };

const COLUMNS = new Map<string, EntryField>();
for (const field of ENTRY_FIELDS) {
  COLUMNS.set(field.field.toLowerCase(), field);
  COLUMNS.set(field.column.toLowerCase(), field);
}
for (const [alias, name] of Object.entries(ALIASES)) COLUMNS.set(alias, COLUMNS.get(name)!);

/** The names of the columns a query can name. */
export const FIELD_NAMES = ENTRY_FIELDS.map(({ field }) => field);

interface Token {
  /** The text with escapes resolved. */
  text: string;
  /** The same, with unescaped `*` and `?` as wildcards. */
  parts: WildcardPart[];
  start: number;
}

function hasWildcard(parts: WildcardPart[]): boolean {
  return parts.some((part) => typeof part !== 'string');
}

function literalParts(parts: WildcardPart[], map: (text: string) => string): WildcardPart[] {
  return parts.map((part) => (typeof part === 'string' ? map(part) : part));
}

/** Whether a wildcard pattern matches a whole text (for the few values of level). */
function patternMatches(parts: WildcardPart[], text: string): boolean {
  return wildcardRegExp(parts).test(text);
}

class Parser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly options: ParseOptions,
  ) {}

  parse(): QueryNode | null {
    this.skipSpaces();
    if (this.atEnd()) return null;
    const node = this.parseOr(null, 0);
    this.skipSpaces();
    if (!this.atEnd()) {
      if (this.peek() === ')') this.fail(`unexpected ')'`, 'a term, AND, OR, or the end of the query');
      this.fail(`unexpected ${this.describe()}`, 'a term, AND, OR, or the end of the query');
    }
    return node;
  }

  parseFieldOnly(): FieldRef {
    if (this.peek() === '@') {
      this.pos++;
      const path = this.readPath(0);
      if (path && this.atEnd()) return { kind: 'data', path };
    } else if (NAME_START.test(this.peek())) {
      while (!this.atEnd() && NAME_PART.test(this.peek())) this.pos++;
      if (this.atEnd()) return this.column(this.text, 0);
    }
    this.fail(
      'not a field',
      `a field name (${FIELD_NAMES.slice(0, 4).join(', ')}, …) or a data path (@key.nested)`,
      this.pos,
    );
  }

  // -- characters

  private atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  private peek(offset = 0): string {
    return this.text[this.pos + offset] ?? '';
  }

  private skipSpaces(): void {
    while (!this.atEnd() && SPACE.test(this.peek())) this.pos++;
  }

  private isDelimiter(offset: number): boolean {
    const char = this.peek(offset);
    return char === '' || SPACE.test(char) || char === '(' || char === ')' || char === '"';
  }

  private describe(): string {
    return this.atEnd() ? 'end of the query' : `'${this.peek()}'`;
  }

  private fail(problem: string, expected: string, position = this.pos): never {
    throw new QuerySyntaxError(problem, position, expected);
  }

  /** Whether an operator word stands at the current position (uppercase, then a delimiter). */
  private atKeyword(word: 'AND' | 'OR' | 'NOT'): boolean {
    return this.text.startsWith(word, this.pos) && this.isDelimiter(word.length);
  }

  /** OR, or a lowercase `or` followed by a term (as full-text search took it before). */
  private atOr(): boolean {
    if (this.atKeyword('OR')) return true;
    if (!(this.text.startsWith('or', this.pos) && this.isDelimiter(2))) return false;
    const saved = this.pos;
    this.pos += 2;
    this.skipSpaces();
    const followedByTerm =
      !this.atEnd() &&
      this.peek() !== ')' &&
      !this.atKeyword('OR') &&
      !this.atKeyword('AND') &&
      !(this.text.startsWith('or', this.pos) && this.isDelimiter(2));
    this.pos = saved;
    return followedByTerm;
  }

  // -- boolean structure

  private parseOr(field: FieldRef | null, depth: number): QueryNode | null {
    if (depth > MAX_DEPTH) this.fail('the query is nested too deeply', `at most ${MAX_DEPTH} levels of parentheses`);
    if (this.atKeyword('OR')) this.fail('OR without a term before it', 'a term');
    const children = [this.parseAnd(field, depth)];
    for (;;) {
      this.skipSpaces();
      if (!this.atOr()) break;
      const operator = this.pos;
      this.pos += 2;
      this.skipSpaces();
      if (this.atEnd() || this.peek() === ')') this.fail('OR without a term after it', 'a term', operator);
      children.push(this.parseAnd(field, depth));
    }
    return simplify({ type: 'or', children: children.filter((child): child is QueryNode => child !== null) });
  }

  private parseAnd(field: FieldRef | null, depth: number): QueryNode | null {
    if (this.atKeyword('AND')) this.fail('AND without a term before it', 'a term');
    const children = [this.parseUnary(field, depth)];
    for (;;) {
      this.skipSpaces();
      if (this.atEnd() || this.peek() === ')' || this.atOr()) break;
      if (this.atKeyword('AND')) {
        const operator = this.pos;
        this.pos += 3;
        this.skipSpaces();
        if (this.atEnd() || this.peek() === ')' || this.atKeyword('OR') || this.atKeyword('AND'))
          this.fail('AND without a term after it', 'a term', operator);
      }
      children.push(this.parseUnary(field, depth));
    }
    return simplify({ type: 'and', children: children.filter((child): child is QueryNode => child !== null) });
  }

  private parseUnary(field: FieldRef | null, depth: number): QueryNode | null {
    if (depth > MAX_DEPTH)
      this.fail('the query is nested too deeply', `at most ${MAX_DEPTH} negations and parentheses`);
    if (this.atKeyword('NOT')) {
      const operator = this.pos;
      this.pos += 3;
      this.skipSpaces();
      if (this.atEnd() || this.peek() === ')' || this.atKeyword('OR') || this.atKeyword('AND'))
        this.fail('NOT without a term after it', 'a term', operator);
      return negate(this.parseUnary(field, depth + 1));
    }
    const next = this.peek(1);
    if (
      this.peek() === '-' &&
      next !== '' &&
      !SPACE.test(next) &&
      next !== ')' &&
      !(field !== null && /[0-9.]/.test(next))
    ) {
      this.pos++;
      return negate(this.parseUnary(field, depth + 1));
    }
    return this.parsePrimary(field, depth);
  }

  private parsePrimary(field: FieldRef | null, depth: number): QueryNode | null {
    const start = this.pos;
    const char = this.peek();
    if (char === '(') return this.parseGroup(field, depth);
    if (char === ')') this.fail(`unexpected ')'`, 'a term');
    if (field !== null) return this.parseValue(field, start, depth);
    if (char === '"') return textNode(this.readQuoted().text, false);
    const named = this.readFieldName();
    if (named) return named.exists ? this.parseExists(named.start) : this.parseValue(named.field, named.start, depth);
    return this.parseWord(this.readBare(false));
  }

  private parseGroup(field: FieldRef | null, depth: number): QueryNode | null {
    const open = this.pos;
    this.pos++;
    this.skipSpaces();
    if (this.peek() === ')') this.fail('empty parentheses', 'a term inside ( )');
    if (this.atEnd()) this.fail(`'(' without its ')'`, `a term and ')' to close the '(' at position ${open}`);
    const node = this.parseOr(field, depth + 1);
    this.skipSpaces();
    if (this.peek() !== ')') this.fail(`'(' at position ${open} is not closed`, `')'`);
    this.pos++;
    return node;
  }

  // -- terms

  /** A field name followed by ':' at the current position (consumed with the colon), or null. */
  private readFieldName(): { field: FieldRef; start: number; exists: false } | { exists: true; start: number } | null {
    const start = this.pos;
    if (this.peek() === '@') {
      this.pos++;
      const path = this.readPath(start);
      if (path && this.peek() === ':') {
        this.pos++;
        return { field: { kind: 'data', path }, start, exists: false };
      }
      this.pos = start;
      return null;
    }
    if (!NAME_START.test(this.peek())) return null;
    let end = this.pos;
    while (end < this.text.length && NAME_PART.test(this.text[end])) end++;
    if (this.text[end] !== ':') return null;
    const name = this.text.slice(start, end);
    this.pos = end + 1;
    if (name === '_exists_') return { exists: true, start };
    return { field: this.column(name, start), start, exists: false };
  }

  private column(name: string, start: number): FieldRef {
    const field = COLUMNS.get(name.toLowerCase());
    if (!field) {
      this.fail(
        `unknown field "${name}"`,
        `one of ${FIELD_NAMES.join(', ')}; a data path as @${name}; or, to search for the text, quotes around it`,
        start,
      );
    }
    return { kind: 'column', field };
  }

  /** The segments of a data path after '@' (dots separate them; `\` escapes), or null when there is none. */
  private readPath(start: number): string[] | null {
    const segments: string[] = [];
    let current = '';
    while (!this.atEnd()) {
      const char = this.peek();
      if (SPACE.test(char) || char === ':' || char === '(' || char === ')' || char === '"') break;
      if (char === '\\') {
        if (this.pos + 1 >= this.text.length) this.fail('a \\ at the end', 'a character after \\');
        current += this.peek(1);
        this.pos += 2;
        continue;
      }
      if (char === '.') {
        if (current === '') this.fail('an empty segment in a data path', 'a key name between dots', this.pos);
        segments.push(current);
        current = '';
        this.pos++;
        continue;
      }
      current += char;
      this.pos++;
    }
    if (current === '' && segments.length === 0) return null;
    if (current === '') this.fail('a data path ending with a dot', 'a key name after the dot', this.pos);
    segments.push(current);
    if (segments.length > 32) this.fail('a data path of more than 32 keys', 'a shorter path', start);
    return segments;
  }

  private parseExists(start: number): QueryNode {
    const at = this.pos;
    if (this.peek() === '@') {
      this.pos++;
      const path = this.readPath(at);
      if (path && this.isDelimiter(0)) return { type: 'exists', field: { kind: 'data', path } };
    } else if (NAME_START.test(this.peek())) {
      let end = this.pos;
      while (end < this.text.length && NAME_PART.test(this.text[end])) end++;
      const name = this.text.slice(this.pos, end);
      this.pos = end;
      if (this.isDelimiter(0)) return { type: 'exists', field: this.column(name, at) };
    }
    this.fail(
      '_exists_ needs a field',
      'a field name or a data path (_exists_:userId, _exists_:@order.id)',
      start + '_exists_:'.length,
    );
  }

  /** "…": the text between the quotes; `\"` and `\\` escape. */
  private readQuoted(): Token {
    const start = this.pos;
    this.pos++;
    let text = '';
    for (;;) {
      if (this.atEnd()) this.fail('a quoted text without its closing quote', 'a closing "', start);
      const char = this.peek();
      if (char === '"') break;
      if (char === '\\' && this.pos + 1 < this.text.length) {
        text += this.peek(1);
        this.pos += 2;
        continue;
      }
      text += char;
      this.pos++;
    }
    this.pos++;
    return { text, parts: [text], start };
  }

  /**
   * Unquoted text up to a space or ')' (or, for a free word, '(' and '"'); `\` escapes any
   * character; in values `*` and `?` are wildcards, in free words `*` only.
   */
  private readBare(value: boolean, stops = ''): Token {
    const start = this.pos;
    let text = '';
    const parts: WildcardPart[] = [];
    let literal = '';
    const flush = () => {
      if (literal) parts.push(literal);
      literal = '';
    };
    while (!this.atEnd()) {
      const char = this.peek();
      if (SPACE.test(char) || char === ')' || stops.includes(char)) break;
      if (!value && (char === '(' || char === '"')) break;
      if (char === '\\') {
        // a \ at the very end stands for itself
        const escaped = this.pos + 1 < this.text.length ? this.peek(1) : '\\';
        text += escaped;
        literal += escaped;
        this.pos = Math.min(this.pos + 2, this.text.length);
        continue;
      }
      if (char === '*' || (value && char === '?')) {
        flush();
        parts.push({ wildcard: char });
      } else {
        literal += char;
      }
      text += char;
      this.pos++;
    }
    flush();
    return { text, parts, start };
  }

  /** A free word: full-text search, with `*` at its end for a prefix. */
  private parseWord(token: Token): QueryNode | null {
    const { parts } = token;
    if (parts.length === 1 && typeof parts[0] !== 'string') return null; // `*` alone: everything
    const inner = parts.findIndex((part, i) => typeof part !== 'string' && i !== parts.length - 1);
    if (inner !== -1) {
      this.fail(
        'a wildcard inside a search word',
        'a * only at the end of a word (pay*); for other patterns, message:*text*',
        token.start,
      );
    }
    const last = parts[parts.length - 1];
    const starred = last !== undefined && typeof last !== 'string';
    const literal = parts.filter((part): part is string => typeof part === 'string').join('');
    // `foo.*` is the word foo, not a prefix: the star follows a separator
    const prefix = starred && literal !== '' && !SEPARATORS.test(Array.from(literal).pop()!);
    return textNode(literal, prefix);
  }

  // -- values of a field

  private parseValue(field: FieldRef, fieldStart: number, depth: number): QueryNode | null {
    const start = this.pos;
    const char = this.peek();
    if (this.atEnd() || SPACE.test(char) || char === ')') {
      this.fail(
        `no value after '${this.text.slice(fieldStart, start)}'`,
        'a value, (a OR b), [a TO b], >n, <n or *',
        start,
      );
    }
    if (char === '(') return this.parseGroup(field, depth);
    if (char === '[' || char === '{') return this.parseRange(field);
    if (char === '>' || char === '<') {
      const op = (this.peek(1) === '=' ? `${char}=` : char) as CompareOp;
      this.pos += op.length;
      const valueStart = this.pos;
      const quoted = this.peek() === '"';
      const token = quoted ? this.readQuoted() : this.readBare(true);
      if (token.text === '' && !quoted) this.fail(`no value after '${op}'`, 'a number, a time or a text', valueStart);
      if (token.text === '*' && !quoted) this.fail(`'*' after '${op}'`, 'a number, a time or a text', valueStart);
      return this.compareNode(field, [{ op, raw: token.text, quoted, at: valueStart }]);
    }
    if (char === '"') {
      const token = this.readQuoted();
      return this.equalsNode(field, token.text, true, token.start);
    }
    const token = this.readBare(true);
    if (token.parts.length === 1 && typeof token.parts[0] !== 'string' && token.parts[0].wildcard === '*')
      return { type: 'exists', field };
    if (hasWildcard(token.parts)) return this.patternNode(field, token.parts, token.start);
    return this.equalsNode(field, token.text, false, token.start);
  }

  /** [a TO b] (inclusive), {a TO b} (exclusive), either side `*` for open; the brackets may be mixed. */
  private parseRange(field: FieldRef): QueryNode | null {
    const open = this.pos;
    const lowInclusive = this.peek() === '[';
    this.pos++;
    this.skipSpaces();
    const low = this.readRangeValue();
    this.skipSpaces();
    if (
      !(
        this.text.slice(this.pos, this.pos + 2).toUpperCase() === 'TO' &&
        (SPACE.test(this.peek(2)) || this.peek(2) === '')
      )
    ) {
      this.fail('a range without TO', `TO between the two ends of the range at position ${open}`);
    }
    this.pos += 2;
    this.skipSpaces();
    const high = this.readRangeValue();
    this.skipSpaces();
    const close = this.peek();
    if (close !== ']' && close !== '}') this.fail(`the range at position ${open} is not closed`, `']' or '}'`);
    this.pos++;
    const bounds: BoundInput[] = [];
    if (low.text !== '*' || low.quoted)
      bounds.push({ op: lowInclusive ? '>=' : '>', raw: low.text, quoted: low.quoted, at: low.start });
    if (high.text !== '*' || high.quoted)
      bounds.push({ op: close === ']' ? '<=' : '<', raw: high.text, quoted: high.quoted, at: high.start });
    if (bounds.length === 0) return { type: 'exists', field };
    return this.compareNode(field, bounds);
  }

  private readRangeValue(): { text: string; quoted: boolean; start: number } {
    const start = this.pos;
    if (this.peek() === '"') return { ...this.readQuoted(), quoted: true };
    const token = this.readBare(false, ']}');
    if (token.text === '') this.fail('a range without its ends', 'a value, or * for no limit', start);
    return { text: token.text, quoted: false, start };
  }

  // -- leaves

  private equalsNode(field: FieldRef, raw: string, quoted: boolean, at: number): QueryNode {
    if (field.kind === 'data') {
      const values: Scalar[] = [raw];
      if (!quoted) {
        if (NUMBER.test(raw) && Number.isFinite(Number(raw))) values.push(Number(raw));
        if (raw === 'true' || raw === 'false') values.push(raw === 'true');
        if (raw === 'null') values.push(null);
      }
      return { type: 'equals', field, values };
    }
    const column = field.field;
    if (column.field === 'level') {
      const level = raw.toLowerCase();
      if (!isLogLevel(level)) this.fail(`unknown level "${raw}"`, `one of ${LOG_LEVELS.join(', ')}`, at);
      return { type: 'equals', field, values: [level] };
    }
    if (column.field === 'id') {
      const id = raw.toLowerCase();
      if (!UUID.test(id)) this.fail(`"${raw}" is not an entry id`, 'a UUID', at);
      return { type: 'equals', field, values: [id] };
    }
    switch (column.kind) {
      case 'number':
        return { type: 'equals', field, values: [this.number(raw, at)] };
      case 'time':
        return {
          type: 'compare',
          field,
          bounds: [
            { op: '>=', value: this.time(raw, at) },
            { op: '<=', value: this.time(raw, at) },
          ],
        };
      case 'json':
        return this.fail('data is queried by path', `a data path: @key or @key.nested (or _exists_:data)`, at);
      default:
        return { type: 'equals', field, values: [raw] };
    }
  }

  private compareNode(field: FieldRef, inputs: BoundInput[]): QueryNode {
    if (field.kind === 'column' && field.field.field === 'level') {
      let levels: readonly LogLevel[] = LOG_LEVELS;
      for (const { op, raw, at } of inputs) {
        const level = raw.toLowerCase();
        if (!isLogLevel(level)) this.fail(`unknown level "${raw}"`, `one of ${LOG_LEVELS.join(', ')}`, at);
        const rank = LOG_LEVELS.indexOf(level);
        levels = levels.filter((candidate) => compareNumbers(LOG_LEVELS.indexOf(candidate), op, rank));
      }
      return levelsNode(field, [...levels]);
    }
    const bounds: Bound[] = inputs.map(({ op, raw, quoted, at }) => ({
      op,
      value: this.boundValue(field, raw, quoted, at),
    }));
    return { type: 'compare', field, bounds };
  }

  private boundValue(field: FieldRef, raw: string, quoted: boolean, at: number): string | number | Date {
    if (field.kind === 'data') return !quoted && NUMBER.test(raw) && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    const column = field.field;
    if (column.field === 'id') return raw.toLowerCase();
    switch (column.kind) {
      case 'number':
        return this.number(raw, at);
      case 'time':
        return this.time(raw, at);
      case 'json':
        return this.fail('data is queried by path', 'a data path: @key or @key.nested', at);
      default:
        return raw;
    }
  }

  private patternNode(field: FieldRef, parts: WildcardPart[], at: number): QueryNode {
    if (field.kind === 'column') {
      const column = field.field;
      if (column.field === 'level') {
        const lowered = literalParts(parts, (text) => text.toLowerCase());
        return levelsNode(
          field,
          LOG_LEVELS.filter((level) => patternMatches(lowered, level)),
        );
      }
      if (column.kind !== 'text')
        this.fail(
          `a wildcard on ${column.field}`,
          `a ${column.kind === 'number' ? 'number' : column.kind === 'time' ? 'time' : 'data path'}, or a wildcard on a text field`,
          at,
        );
      if (column.field === 'id')
        return { type: 'pattern', field, pattern: literalParts(parts, (text) => text.toLowerCase()) };
    }
    return { type: 'pattern', field, pattern: parts };
  }

  private number(raw: string, at: number): number {
    if (!NUMBER.test(raw) || !Number.isFinite(Number(raw))) this.fail(`"${raw}" is not a number`, 'a number', at);
    return Number(raw);
  }

  private time(raw: string, at: number): Date {
    const time = readTime(raw, this.options.now);
    if (typeof time === 'string')
      this.fail(`"${raw}" is not a time`, `a time that ${time.replace(/^must be /, 'is ')}`, at);
    return time;
  }
}

interface BoundInput {
  op: CompareOp;
  raw: string;
  quoted: boolean;
  at: number;
}

function compareNumbers(a: number, op: CompareOp, b: number): boolean {
  return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
}

function levelsNode(field: FieldRef, levels: string[]): QueryNode {
  return levels.length === 0 ? { type: 'none' } : { type: 'equals', field, values: levels };
}

/** Full-text search for the words of a text; null (no condition) when it holds none. */
function textNode(text: string, prefix: boolean): QueryNode | null {
  const words = wordsOf(text);
  return words.length === 0 ? null : { type: 'text', words, prefix };
}

function negate(node: QueryNode | null): QueryNode | null {
  if (node === null) return null;
  if (node.type === 'none') return null; // NOT nothing: no condition
  if (node.type === 'not') return node.child;
  return { type: 'not', child: node };
}

/**
 * An AND or OR without its empty terms (words without letters or digits: no condition),
 * nested ones of the same kind flattened, and for OR, equalities on one field merged into one
 * IN.
 */
function simplify(node: { type: 'and' | 'or'; children: QueryNode[] }): QueryNode | null {
  const children: QueryNode[] = [];
  for (const child of node.children) {
    if (child.type === node.type) children.push(...(child as { children: QueryNode[] }).children);
    else children.push(child);
  }
  if (node.type === 'and') {
    if (children.some((child) => child.type === 'none')) return { type: 'none' };
  } else {
    const some = children.filter((child) => child.type !== 'none');
    if (some.length === 0) return children.length > 0 ? { type: 'none' } : null;
    children.splice(0, children.length, ...mergeEqualities(some));
  }
  if (children.length === 0) return null;
  if (children.length === 1) return children[0];
  return { type: node.type, children };
}

function mergeEqualities(children: QueryNode[]): QueryNode[] {
  const merged: QueryNode[] = [];
  const byField = new Map<string, { type: 'equals'; field: FieldRef; values: Scalar[] }>();
  for (const child of children) {
    if (child.type !== 'equals') {
      merged.push(child);
      continue;
    }
    const key = fieldKey(child.field);
    const existing = byField.get(key);
    if (existing) {
      for (const value of child.values) if (!existing.values.includes(value)) existing.values.push(value);
      continue;
    }
    const copy = { type: 'equals' as const, field: child.field, values: [...child.values] };
    byField.set(key, copy);
    merged.push(copy);
  }
  return merged;
}

/**
 * A field named on its own, as the facets route takes it: a column (any name a query takes) or
 * `@` and a data path. Throws QuerySyntaxError.
 */
export function parseField(name: string): FieldRef {
  return new Parser(name.replace(LONE_SURROGATE, '\uFFFD'), { now: new Date() }).parseFieldOnly();
}

/** Parses a query; throws QuerySyntaxError with the position and what was expected. */
export function parseQuery(source: string, options: ParseOptions): Query {
  const text = source.replace(LONE_SURROGATE, '\uFFFD');
  return { source, root: new Parser(text, options).parse() };
}
