/**
 * Stream ids are opaque to clients. With Redis they are Redis stream ids (`<ms>-<seq>`);
 * without Redis they are positions in platform_logs: base64url of `<timestamp ms>:<entry id>`.
 */

const REDIS_ID = /^(\d{1,15})-(\d{1,15})$/;
const POSITION = /^(\d{1,15}):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export function isRedisStreamId(value: string): boolean {
  return REDIS_ID.test(value);
}

/** Negative when a is before b, positive when after, 0 when equal. Both must be valid ids. */
export function compareRedisStreamIds(a: string, b: string): number {
  const [, aMs, aSeq] = REDIS_ID.exec(a)!;
  const [, bMs, bSeq] = REDIS_ID.exec(b)!;
  return Number(aMs) - Number(bMs) || Number(aSeq) - Number(bSeq);
}

export interface PostgresPosition {
  timestamp: Date;
  id: string;
}

export function encodePostgresPosition(position: PostgresPosition): string {
  return Buffer.from(`${position.timestamp.getTime()}:${position.id}`).toString('base64url');
}

/** The position an id names, or null when it is not one. */
export function decodePostgresPosition(value: string): PostgresPosition | null {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(value)) return null;
  const match = POSITION.exec(Buffer.from(value, 'base64url').toString());
  return match ? { timestamp: new Date(Number(match[1])), id: match[2] } : null;
}
