/** The value at percentile `p` (0–100) of values sorted ascending: the lower one of two at a boundary. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The median of values in any order (of an even count, the upper middle one). */
export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}
