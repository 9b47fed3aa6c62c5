import { isLogLevel, type LogLevel } from '../../src/types.js';
import type { RetentionDays } from '../../src/config.js';

const DAY_MS = 86_400_000;

/** A time partition as recorded in platform_log_partitions. */
export interface TimePartition {
  name: string;
  level: string;
  lowerBound: Date;
  upperBound: Date;
}

export interface RetentionPolicy {
  now: Date;
  retentionDays: RetentionDays;
  /** Nothing is kept longer than this, whatever its level. */
  maxRetentionDays: number;
}

export type ExpiryReason = 'retention' | 'max-age';

/** The days a level is kept: its own retention, capped by the maximum. */
export function keptDays(level: string, policy: RetentionPolicy): number {
  const own = isLogLevel(level) ? policy.retentionDays[level] : policy.maxRetentionDays;
  return Math.min(own, policy.maxRetentionDays);
}

/** Entries of `level` older than this instant are past their retention. */
export function retentionCutoff(level: LogLevel, policy: RetentionPolicy): Date {
  return new Date(policy.now.getTime() - keptDays(level, policy) * DAY_MS);
}

/** Entries of any level older than this instant are past the maximum retention. */
export function maxAgeCutoff(policy: RetentionPolicy): Date {
  return new Date(policy.now.getTime() - policy.maxRetentionDays * DAY_MS);
}

/**
 * Why a partition is expired, or null when it is not. A partition [lower, upper) expires
 * once its newest possible entry is past its level's retention (upper + days <= now), so no
 * entry outlives its retention by more than one partition width.
 */
export function expiryReason(partition: TimePartition, policy: RetentionPolicy): ExpiryReason | null {
  const ageMs = policy.now.getTime() - partition.upperBound.getTime();
  if (ageMs >= policy.maxRetentionDays * DAY_MS) return 'max-age';
  if (ageMs >= keptDays(partition.level, policy) * DAY_MS) return 'retention';
  return null;
}

/** Checks that retention settings are whole positive days, so that a typo never drops everything. */
export function validatePolicy(policy: RetentionPolicy): void {
  if (Number.isNaN(policy.now.getTime())) throw new Error('`now` is not a valid date');
  const settings: [string, number][] = [
    ...Object.entries(policy.retentionDays).map(([level, days]): [string, number] => [
      `retention days for ${level}`,
      days,
    ]),
    ['maximum retention days', policy.maxRetentionDays],
  ];
  for (const [name, days] of settings) {
    if (!Number.isInteger(days) || days <= 0)
      throw new Error(`${name} must be a positive whole number, got ${String(days)}`);
  }
}
