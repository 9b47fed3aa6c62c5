/**
 * The words of a message, as full-text search sees them, the same in the server's live matcher
 * and in PostgreSQL (sql/013_search_words.sql computes the stored `search` column with the same
 * rules). A word is a run of characters that are not separators; separators are ASCII
 * punctuation, whitespace and controls (every ASCII character but letters, digits and `_`),
 * and the Unicode blocks of spaces, punctuation, arrows, symbols and emoji listed below. So the
 * parts of a URL, host, email, path or dotted identifier are words: `payments` is found in
 * `https://api.payments.example.com/v1/charges`. Only ASCII letters are folded to lower case,
 * as PostgreSQL's `lower(… COLLATE "C")` does, so both sides agree whatever the database's
 * locale. Only the first SEARCH_MAX_CHARACTERS of a message are read, and words of 2,048 bytes
 * or more are not indexed (PostgreSQL's limit for a lexeme).
 */

/** Code point ranges, inclusive, whose characters separate words. */
export const SEPARATOR_RANGES: readonly (readonly [number, number])[] = [
  [0x0000, 0x002f],
  [0x003a, 0x0040],
  [0x005b, 0x005e],
  [0x0060, 0x0060],
  [0x007b, 0x00bf],
  [0x00d7, 0x00d7],
  [0x00f7, 0x00f7],
  [0x1680, 0x1680],
  [0x2000, 0x206f],
  [0x2190, 0x2bff],
  [0x2e00, 0x2e7f],
  [0x3000, 0x303f],
  [0xfe10, 0xfe1f],
  [0xfe30, 0xfe6f],
  [0xfeff, 0xfeff],
  [0xff00, 0xff0f],
  [0xff1a, 0xff20],
  [0xff3b, 0xff40],
  [0xff5b, 0xff65],
  [0xfff0, 0xffff],
  [0x1f000, 0x1faff],
];

/** Characters of a message that full-text search reads (PostgreSQL's `left(message, n)`). */
export const SEARCH_MAX_CHARACTERS = 100_000;
/** A lexeme must be shorter than this many bytes (UTF-8). */
export const MAX_WORD_BYTES = 2048;

const hex = (code: number) => code.toString(16).padStart(4, '0');
const jsClass = SEPARATOR_RANGES.map(([from, to]) =>
  from === to ? `\\u{${hex(from)}}` : `\\u{${hex(from)}}-\\u{${hex(to)}}`,
).join('');

/** One run of separators. */
export const SEPARATORS = new RegExp(`[${jsClass}]+`, 'u');

/**
 * The same class in PostgreSQL's regular expression syntax (ARE), as written in
 * sql/013_search_words.sql; NUL cannot occur in PostgreSQL text and is left out.
 */
export const SQL_SEPARATOR_CLASS = `[${SEPARATOR_RANGES.map(([from, to]) => {
  const one = (code: number) => (code > 0xffff ? `\\U${code.toString(16).padStart(8, '0')}` : `\\u${hex(code)}`);
  const start = Math.max(from, 1);
  return start === to ? one(start) : `${one(start)}-${one(to)}`;
}).join('')}]`;

const ASCII_UPPER = /[A-Z]+/g;

/** ASCII letters to lower case, nothing else (PostgreSQL's lower() under COLLATE "C"). */
export function foldCase(text: string): string {
  return text.replace(ASCII_UPPER, (letters) => letters.toLowerCase());
}

/** The first SEARCH_MAX_CHARACTERS code points of the text (PostgreSQL's left()). */
function searchedPart(text: string): string {
  if (text.length <= SEARCH_MAX_CHARACTERS) return text;
  let index = 0;
  for (let count = 0; count < SEARCH_MAX_CHARACTERS && index < text.length; count++) {
    const unit = text.charCodeAt(index);
    const pair = unit >= 0xd800 && unit < 0xdc00 && index + 1 < text.length;
    index += pair ? 2 : 1;
  }
  return text.slice(0, index);
}

/** The words of a text in order, folded; the text as PostgreSQL's platform_log_search_text() gives it, split. */
export function wordsOf(text: string): string[] {
  return foldCase(searchedPart(text))
    .split(SEPARATORS)
    .filter((word) => word !== '');
}

/** Whether a word is short enough to be a lexeme of the stored tsvector. */
export function isIndexable(word: string): boolean {
  return word.length < MAX_WORD_BYTES / 3 || Buffer.byteLength(word, 'utf8') < MAX_WORD_BYTES;
}

/** The words of a message as the live matcher searches them: in order, and the set the index holds. */
export interface MessageWords {
  words: readonly string[];
  indexed: ReadonlySet<string>;
}

export function messageWords(message: string): MessageWords {
  const words = wordsOf(message);
  return { words, indexed: new Set(words.filter(isIndexable)) };
}
