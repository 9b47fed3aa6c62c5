import { randomFillSync } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

// Random bytes are drawn from a pool, also kept as hex: one crypto call and one hex
// conversion per 256 ids instead of one per id.
const pool = Buffer.alloc(8 * 256);
let poolHex = '';
let poolOffset = pool.length;

function randomBytes8(): number {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolHex = pool.toString('hex');
    poolOffset = 0;
  }
  const offset = poolOffset;
  poolOffset += 8;
  return offset;
}

let lastMs = -1;
let sequence = 0;
// The id's first 15 characters depend on the millisecond only.
let timePrefix = '';

/**
 * A UUIDv7 (RFC 9562) for the given time, monotonic within the process: ids made in the
 * same millisecond count up in the 12-bit rand_a field (seeded randomly each millisecond),
 * and a clock that steps back never makes an id sort before an earlier one.
 */
export function uuidv7(now: number = Date.now()): string {
  let ms = now;
  if (ms > lastMs) {
    const offset = randomBytes8();
    sequence = ((pool[offset] << 8) | pool[offset + 1]) & 0x7ff;
  } else {
    ms = lastMs;
    sequence++;
    if (sequence > 0xfff) {
      ms++;
      sequence = 0;
    }
  }
  if (ms !== lastMs) {
    const time = ms.toString(16).padStart(12, '0');
    timePrefix = `${time.slice(0, 8)}-${time.slice(8, 12)}-7`;
  }
  lastMs = ms;

  // rand_b: the variant bits 10, then 62 random bits (the rest of byte r and bytes r+1..r+7).
  const r = randomBytes8();
  const hex = 2 * r;
  return `${timePrefix}${HEX[sequence >> 8][1]}${HEX[sequence & 0xff]}-${HEX[0x80 | (pool[r] & 0x3f)]}${poolHex.slice(hex + 2, hex + 4)}-${poolHex.slice(hex + 4, hex + 16)}`;
}
