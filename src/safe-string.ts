// ES2024 methods, present since Node 20; the project's lib setting is ES2023.
interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/** The string with lone UTF-16 surrogates replaced by U+FFFD, which JSON stores and databases accept. */
export function wellFormed(value: string): string {
  const s = value as unknown as WellFormed;
  return s.isWellFormed() ? value : s.toWellFormed();
}

/** A well-formed string of at most maxLength characters, with a marker saying how much was cut. */
export function safeString(value: string, maxLength: number): string {
  if (value.length > maxLength) value = `${value.slice(0, maxLength)}…[truncated ${value.length - maxLength} chars]`;
  return wellFormed(value);
}
