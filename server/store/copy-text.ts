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
 * chunk that ends it. Lines and tabs are single bytes that never occur inside a UTF-8 character.
 */
export function copyTextReader(): (chunk: Buffer) => (string | null)[][] {
  let pending: Buffer[] = [];
  return (chunk) => {
    const end = chunk.lastIndexOf(0x0a);
    if (end === -1) {
      pending.push(chunk);
      return [];
    }
    const lines = pending.length ? Buffer.concat([...pending, chunk.subarray(0, end)]) : chunk.subarray(0, end);
    pending = end + 1 < chunk.length ? [chunk.subarray(end + 1)] : [];
    return lines
      .toString('utf8')
      .split('\n')
      .map((line) => line.split('\t').map(unescapeField));
  };
}
