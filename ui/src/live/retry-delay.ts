const FIRST_RETRY_MS = 500;
const LONGEST_RETRY_MS = 30_000;

/** Exponential backoff with jitter: about 0.5 s, 1 s, 2 s … up to 30 s. */
export function retryDelay(attempt: number): number {
  const ceiling = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt);
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}
