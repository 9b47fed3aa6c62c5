const NULL_FIELD = '\\N';
const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function unescapeField(field: string): string | null {
  if (field === NULL_FIELD) return null;
  return field.includes('\\') ? field.replace(/\\(.)/gs, (_, char: string) => ESCAPES[char] ?? char) : field;
}

/**
 * A reader of PostgreSQL's COPY text format (a row per line, fields split by tabs, \N for
 * NULL, control characters and backslashes escaped), fed the chunks as they arrive: a chunk
 * may end anywhere, even inside a character, so whatever follows its last line waits for the
 * next one. Lines and tabs are single bytes that never occur inside a UTF-8 character.
 */
export function copyTextReader(): (chunk: Buffer) => (string | null)[][] {
  let rest: Buffer | undefined;
  return (chunk) => {
    const bytes = rest ? Buffer.concat([rest, chunk]) : chunk;
    const end = bytes.lastIndexOf(0x0a);
    rest = bytes.subarray(end + 1);
    if (end === -1) return [];
    return bytes
      .toString('utf8', 0, end)
      .split('\n')
      .map((line) => line.split('\t').map(unescapeField));
  };
}
