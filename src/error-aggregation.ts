import { createHash } from 'node:crypto';
import type { LogEntry } from './types.js';

/**
 * Only the start of a message shapes its template: the cost of generalizing is bounded
 * whatever a service logs, and the start is where messages differ.
 */
export const MAX_GENERALIZED_LENGTH = 2_000;

/** In-app stack frames that make up a stack-based signature, from the top. */
export const SIGNATURE_FRAMES = 5;

/** A template part: literal text, or the name of a placeholder such as NUM. */
type Part = { text: string } | { placeholder: string };

const QUOTES = new Set(['"', "'", '`']);
/** Characters after which a quote opens a quoted value (rather than being an apostrophe). */
const QUOTE_OPENERS = new Set(['(', '[', '{', '=', ':', ',']);
/** Characters that may follow a closing quote. */
const QUOTE_CLOSERS = new Set([')', ']', '}', ',', '.', ';', ':', '!', '?']);
const MAX_QUOTED_LENGTH = 500;

const LEADING_PUNCTUATION = new Set(['(', '[', '{', '<', '"', "'", '`']);
const TRAILING_PUNCTUATION = new Set([')', ']', '}', '>', '"', "'", '`', ',', ';', ':', '.', '!', '?']);

const PLAIN_WORD = /^[A-Za-z_-]+$/;
const HAS_DIGIT = /\d/;
const URL_PATTERN = /^[a-z][a-z0-9+.-]*:\/\/./i;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL_PATTERN = /^[\w.+%-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/;
const IPV4_PATTERN = /^\/?(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?$/;
const IPV6_PATTERN = /^\[?[0-9a-f:]*:[0-9a-f:]*(?:%\w+)?\]?(?::\d{1,5})?$/i;
/** Digits with only the separators of numbers, dates and times. */
const NUMERIC_PATTERN = /^[+-]?[\d.,:/+TZ-]+$/;
const DATE_START = /^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{8}-)/;
const DURATION_PATTERN = /^\d+(?:\.\d+)?(?:ns|us|µs|ms|s|sec|secs|seconds|m|min|mins|minutes|h|hr|hrs|hours|d|days)$/;
const QUANTITY_PATTERN = /^[+-]?\d+(?:[.,]\d+)*(?:%|[KMGTP]i?B|[kKMGTP]|B|kb|mb|gb|bytes?)$/;
const HEX_PREFIXED = /^0x[0-9a-f]+$/i;
const HEX_PATTERN = /^[0-9a-f]+$/i;
const PATH_START = /^(?:\/.|~\/|\.\.?\/|[A-Za-z]:\\|\\\\)/;
const KEY_VALUE = /^([A-Za-z_][\w.-]*)=(.*)$/s;
const KEY_BEFORE_QUOTE = /^[A-Za-z_][\w.-]*=(?=["'`])/;
const HOST_LABEL = /^[a-z0-9-]+$/i;
/** Characters that separate the parts of a compound token such as `onExtend:1514038530000`. */
const TOKEN_DELIMITERS = /([:,;|#()[\]{}<>/=@.]+)/;
/** Literal text that may sit between placeholders that merge into one. */
const LIST_SEPARATOR = /^[\s,;:|#/.-]*$/;

const TOP_LEVEL_DOMAINS = new Set([
  'com',
  'net',
  'org',
  'edu',
  'gov',
  'mil',
  'int',
  'io',
  'dev',
  'app',
  'ai',
  'co',
  'me',
  'info',
  'biz',
  'cloud',
  'local',
  'localdomain',
  'internal',
  'lan',
  'corp',
  'home',
  'svc',
  'cluster',
  'uk',
  'hk',
  'cn',
  'de',
  'jp',
  'fr',
  'ru',
  'us',
  'ca',
  'au',
  'in',
  'br',
  'nl',
  'eu',
  'es',
  'it',
  'se',
  'ch',
  'kr',
  'tw',
  'sg',
]);

const CALENDAR_WORDS = new Set([
  'jan',
  'feb',
  'mar',
  'apr',
  'may',
  'jun',
  'jul',
  'aug',
  'sep',
  'sept',
  'oct',
  'nov',
  'dec',
  'january',
  'february',
  'march',
  'april',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
  'mon',
  'tue',
  'wed',
  'thu',
  'fri',
  'sat',
  'sun',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
]);
const DATE_PLACEHOLDERS = new Set(['NUM', 'TIME', 'DATE']);

/** Words after which `user` names an account: `Invalid user admin`, `session opened for user root`. */
const USER_INTRODUCERS = new Set(['invalid', 'for', 'by', 'unknown', 'illegal']);
const NOT_A_USER_NAME = new Set([
  'from',
  'by',
  'for',
  'is',
  'was',
  'has',
  'not',
  'in',
  'on',
  'at',
  'to',
  'with',
  'id',
  'name',
  'and',
  'or',
  'of',
  'the',
]);

/** The placeholder a token of digits and number/date/time separators stands for. */
function numericPlaceholder(token: string): string {
  if (DATE_START.test(token)) return 'DATE';
  if (token.includes(':')) return 'TIME';
  return 'NUM';
}

/** `db.example.com`, `localhost:5432`, `msra-sa-41:9000`, `10-1-2-3.dsl.example.co.uk`. */
function isHostName(token: string): boolean {
  const colon = token.lastIndexOf(':');
  const port = colon > 0 && /^\d{1,5}$/.test(token.slice(colon + 1));
  const name = port ? token.slice(0, colon) : token;
  if (name === 'localhost') return true;
  const labels = name.split('.');
  if (!labels.every((label) => HOST_LABEL.test(label))) return false;
  // a machine name with a port: `minint-fnanli5:8030` (but not `step:12`)
  if (port && (labels.length > 1 || HAS_DIGIT.test(name))) return true;
  const tld = labels[labels.length - 1];
  if (labels.length < 2 || tld !== tld.toLowerCase()) return false;
  // two-letter country domains only with three labels, so that `index.js` stays a file
  return TOP_LEVEL_DOMAINS.has(tld) || (labels.length >= 3 && /^[a-z]{2}$/.test(tld));
}

function isIpv6(token: string): boolean {
  if (!IPV6_PATTERN.test(token)) return false;
  const colons = token.split(':').length - 1;
  return token.includes('::') || colons >= 5;
}

/** The placeholder for a token recognized as a whole, or null. */
function wholeTokenPlaceholder(token: string): string | null {
  if (URL_PATTERN.test(token)) return 'URL';
  if (token.includes('@')) return EMAIL_PATTERN.test(token) ? 'EMAIL' : null;
  if (UUID_PATTERN.test(token)) return 'UUID';
  if (IPV4_PATTERN.test(token)) return 'HOST';
  if (PATH_START.test(token) || (token.includes('/') && token.includes('.') && !NUMERIC_PATTERN.test(token)))
    return 'PATH';
  if (HAS_DIGIT.test(token)) {
    if (NUMERIC_PATTERN.test(token)) return numericPlaceholder(token);
    if (DURATION_PATTERN.test(token)) return 'DURATION';
    if (QUANTITY_PATTERN.test(token)) return 'NUM';
    if (HEX_PREFIXED.test(token)) return 'HEX';
    if (token.length >= 8 && HEX_PATTERN.test(token)) return 'HEX';
  }
  const hasColon = token.includes(':');
  if ((hasColon && isIpv6(token)) || ((hasColon || token.includes('.') || token === 'localhost') && isHostName(token)))
    return 'HOST';
  return null;
}

/** A token with digits that no rule recognized: an id (`blk_-1608`, `user-42`, `R20-M1-N0`). */
function idPlaceholder(token: string): string {
  return token.length >= 8 && HEX_PATTERN.test(token) ? 'HEX' : 'ID';
}

const CLOSER_OF: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' };
const CLOSERS = new Set(Object.values(CLOSER_OF));

/** For each closing bracket, how many more closers than openers token[start, end) holds. */
function unmatchedClosers(token: string, start: number, end: number): Map<string, number> {
  const excess = new Map<string, number>();
  for (let i = start; i < end; i++) {
    const char = token[i];
    const closer = CLOSERS.has(char) ? char : CLOSER_OF[char];
    if (closer !== undefined) excess.set(closer, (excess.get(closer) ?? 0) + (closer === char ? 1 : -1));
  }
  return excess;
}

class TemplateBuilder {
  readonly parts: Part[] = [];

  text(text: string): void {
    if (text) this.parts.push({ text });
  }

  placeholder(name: string): void {
    this.parts.push({ placeholder: name });
  }

  /** One whitespace-free token, its surrounding punctuation kept. */
  token(token: string): void {
    if (token[0] === '[' && isIpv6(token)) return this.placeholder('HOST');
    let start = 0;
    let end = token.length;
    while (start < end && LEADING_PUNCTUATION.has(token[start])) start++;
    // `ws=WorkSource{10113}` keeps its brace; `(uid=0)` loses its parenthesis
    const excess = unmatchedClosers(token, start, end);
    while (end > start && TRAILING_PUNCTUATION.has(token[end - 1])) {
      const char = token[end - 1];
      if (CLOSERS.has(char)) {
        const unmatched = excess.get(char) ?? 0;
        if (unmatched <= 0) break;
        excess.set(char, unmatched - 1);
      }
      end--;
    }
    this.text(token.slice(0, start));
    this.core(token.slice(start, end));
    this.text(token.slice(end));
  }

  private core(token: string): void {
    if (!token) return;
    if (PLAIN_WORD.test(token)) return this.text(token);
    const whole = wholeTokenPlaceholder(token);
    if (whole) return this.placeholder(whole);
    const keyValue = KEY_VALUE.exec(token);
    if (keyValue) {
      this.text(`${keyValue[1]}=`);
      if (keyValue[2]) this.placeholder('VALUE');
      return;
    }
    if (!HAS_DIGIT.test(token)) return this.text(token);
    if (!TOKEN_DELIMITERS.test(token)) return this.placeholder(idPlaceholder(token));
    const pieces = token.split(TOKEN_DELIMITERS);
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (i % 2 === 1 || !HAS_DIGIT.test(piece)) this.text(piece);
      else this.placeholder(wholeTokenPlaceholder(piece) ?? idPlaceholder(piece));
    }
  }
}

function isWhitespace(char: string): boolean {
  const code = char.charCodeAt(0);
  return code === 32 || (code >= 9 && code <= 13) || (code > 127 && /\s/.test(char));
}

function isPlaceholder(part: Part | undefined): part is { placeholder: string } {
  return part !== undefined && 'placeholder' in part;
}

function isSpace(part: Part | undefined): boolean {
  return part !== undefined && 'text' in part && part.text === ' ';
}

/** The neighbouring part across one space, if any. */
function neighbour(parts: Part[], index: number, step: 1 | -1): Part | undefined {
  const next = parts[index + step];
  return isSpace(next) ? parts[index + 2 * step] : next;
}

/** Word variables that token rules cannot see: month and weekday names next to a date, user names. */
function markContextualVariables(parts: Part[]): void {
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i];
    if (!('text' in part) || part.text.length < 3 || part.text.length > 9) continue;
    const first = part.text.charCodeAt(0);
    if (first < 65 || first > 90) continue; // calendar words are capitalized
    if (CALENDAR_WORDS.has(part.text.toLowerCase())) {
      const around = [neighbour(parts, i, 1), neighbour(parts, i, -1)];
      if (around.some((p) => isPlaceholder(p) && DATE_PLACEHOLDERS.has(p.placeholder)))
        parts[i] = { placeholder: 'DATE' };
    }
  }
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (!('text' in part) || part.text.length !== 4 || part.text.toLowerCase() !== 'user') continue;
    const before = neighbour(parts, i, -1);
    const after = i + 2;
    if (!before || !('text' in before) || !USER_INTRODUCERS.has(before.text.toLowerCase())) continue;
    const name = parts[after];
    if (!isSpace(parts[i + 1]) || !name) continue;
    if (isPlaceholder(name) || (/^[\w.-]+$/.test(name.text) && !NOT_A_USER_NAME.has(name.text.toLowerCase()))) {
      parts[after] = { placeholder: 'USER' };
    }
  }
}

/** Joins the parts; placeholders separated only by list punctuation merge into the first. */
function render(parts: Part[]): string {
  let out = '';
  let pendingSeparator = '';
  let lastWasPlaceholder = false;
  for (const part of parts) {
    if (isPlaceholder(part)) {
      if (!lastWasPlaceholder) out += `${pendingSeparator}<${part.placeholder}>`;
      pendingSeparator = '';
      lastWasPlaceholder = true;
    } else if (lastWasPlaceholder && LIST_SEPARATOR.test(part.text)) {
      pendingSeparator += part.text;
    } else {
      out += pendingSeparator + part.text;
      pendingSeparator = '';
      lastWasPlaceholder = false;
    }
  }
  return (out + pendingSeparator).trim();
}

/**
 * Appends the parts of a quoted value starting at `open` (unless no builder is given) and
 * returns the index after it, or -1 when the quote at `open` does not open a value.
 */
function quotedValue(text: string, open: number, exhausted: Set<string>, builder: TemplateBuilder | null): number {
  const quote = text[open];
  if (exhausted.has(quote)) return -1;
  const close = text.indexOf(quote, open + 1);
  if (close === -1) {
    exhausted.add(quote);
    return -1;
  }
  const after = text[close + 1];
  if (close === open + 1 || close - open > MAX_QUOTED_LENGTH) return -1;
  if (after !== undefined && !isWhitespace(after) && !QUOTE_CLOSERS.has(after)) return -1;
  const content = text.slice(open + 1, close);
  if (!builder) return close + 1;
  if (!/\s/.test(content)) {
    builder.placeholder('QUOTED');
  } else {
    // A quoted phrase keeps its words: `"GET /path HTTP/1.1"` and `"POST …"` differ.
    builder.text(quote);
    content.split(/\s+/).forEach((token, index) => {
      if (index > 0) builder.text(' ');
      builder.token(token);
    });
    builder.text(quote);
  }
  return close + 1;
}

/**
 * The message's template: its variable parts (numbers, ids, UUIDs, hex, emails, URLs, hosts,
 * IPs, dates, times, durations, quoted values, key=value values, paths) replaced by named
 * placeholders such as `<NUM>`, and runs of adjacent placeholders merged so that a list of
 * any length gives one template. Pure and linear in the message length.
 */
export function generalizeMessage(message: string): string {
  const text = message.length > MAX_GENERALIZED_LENGTH ? message.slice(0, MAX_GENERALIZED_LENGTH) : message;
  const builder = new TemplateBuilder();
  const exhaustedQuotes = new Set<string>();
  const tokens = /\S+/g;
  let end = 0;
  for (let match = tokens.exec(text); match !== null; match = tokens.exec(text)) {
    if (match.index < end) continue; // inside a quoted value already taken
    if (match.index > end) builder.text(' ');
    const start = match.index;
    const previous = text[start - 1];
    if (QUOTES.has(text[start]) && (previous === undefined || isWhitespace(previous) || QUOTE_OPENERS.has(previous))) {
      const next = quotedValue(text, start, exhaustedQuotes, builder);
      if (next !== -1) {
        end = next;
        tokens.lastIndex = next;
        continue;
      }
    }
    const quotedKey = KEY_BEFORE_QUOTE.exec(match[0]);
    if (quotedKey) {
      const next = quotedValue(text, start + quotedKey[0].length, exhaustedQuotes, null);
      if (next !== -1) {
        builder.text(quotedKey[0]);
        builder.placeholder('VALUE');
        end = next;
        tokens.lastIndex = next;
        continue;
      }
    }
    builder.token(match[0]);
    end = tokens.lastIndex;
  }
  markContextualVariables(builder.parts);
  return render(builder.parts);
}

const FRAME_LINE = /^\s*at\s+(.*)$/;
const LINE_AND_COLUMN = /(?::\d+){1,2}$/;
/** Folders from which an in-app path is kept: the part before them depends on the install. */
const APP_ROOTS = new Set(['src', 'dist', 'build', 'lib', 'out']);
/** A bundled file name with a content hash: `main.3f9a2c1b.js`, `index-B7xZ2kQp.js`. */
const HASHED_FILE = /^([^.]+)[.-]([A-Za-z0-9_]{6,20})(\.[cm]?[jt]sx?)$/;

function withoutContentHash(file: string): string {
  const match = HASHED_FILE.exec(file);
  if (!match) return file;
  const hash = match[2];
  const looksGenerated = /\d/.test(hash) || (/[a-z]/.test(hash) && /[A-Z]/.test(hash));
  return looksGenerated ? match[1] + match[3] : file;
}

/** The deploy-independent form of an in-app file path. */
function appRelativePath(location: string): string {
  const path = location
    .replace(/^file:\/\//, '')
    .replace(/[?#].*$/, '')
    .replace(LINE_AND_COLUMN, '');
  const segments = path.split(/[\\/]/).filter(Boolean);
  let root = -1;
  for (let i = segments.length - 2; i >= 0; i--) {
    if (APP_ROOTS.has(segments[i])) {
      root = i;
      break;
    }
  }
  const kept = root >= 0 ? segments.slice(root) : segments.slice(-2);
  kept[kept.length - 1] = withoutContentHash(kept[kept.length - 1]);
  return kept.join('/');
}

/**
 * The in-app frames of a V8 stack as `function@path`, top first: frames of dependencies
 * (node_modules), of Node itself (node:, internal/) and anonymous frames are left out, and
 * line numbers are dropped, so that the same code path gives the same frames on every deploy.
 */
export function inAppFrames(stack: string): string[] {
  const frames: string[] = [];
  for (const line of stack.split('\n')) {
    const match = FRAME_LINE.exec(line);
    if (!match) continue;
    const body = match[1].trim();
    const open = body.lastIndexOf(' (');
    if (open === -1 || !body.endsWith(')')) continue; // `at file:1:2`: no function name
    const fn = body
      .slice(0, open)
      .replace(/^(?:async|new)\s+/, '')
      .replace(/\s*\[as [^\]]*\]$/, '');
    const location = body.slice(open + 2, -1);
    if (!fn || fn.includes('<anonymous>')) continue;
    if (!/[\\/]/.test(location) || location.includes('node_modules') || /^(?:node:|internal\/)/.test(location))
      continue;
    frames.push(`${fn}@${appRelativePath(location)}`);
  }
  return frames;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * A short stable hash that groups the same logical error. With a stack: the error type and
 * the top in-app frames (the whole in-app path, so one throw site reached from two callers
 * gives two groups); the message does not count, as its ids vary. Without a stack, or when
 * no in-app frame remains: the error type and the generalized message.
 */
export function computeErrorSignature(entry: Pick<LogEntry, 'message' | 'errorType' | 'errorStack'>): string {
  const frames = entry.errorStack ? inAppFrames(entry.errorStack).slice(0, SIGNATURE_FRAMES) : [];
  if (frames.length > 0) return shortHash(`stack\n${entry.errorType ?? ''}\n${frames.join('\n')}`);
  return shortHash(`message\n${entry.errorType ?? ''}\n${generalizeMessage(entry.message)}`);
}
