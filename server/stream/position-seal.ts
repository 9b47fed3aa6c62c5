import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Stream positions as clients see them: sealed with AES-256-GCM under a key made for each API
 * key from the server's secret. A client cannot read what a position holds (a Redis stream id
 * counts every tenant's entries; a PostgreSQL position names another tenant's entry), nor make
 * one, and a position given to one key opens for no other.
 */
export interface PositionSeal {
  seal(position: string): string;
  /** The position, or null when this key was not given it. */
  open(sealed: string): string | null;
}

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Every position is padded to this length, so that a sealed one's length says nothing either. */
const PADDED_BYTES = 64;
/** base64url of nonce, tag and a padded position. */
const SEALED = /^[A-Za-z0-9_-]{40,200}$/;

export function createPositionSeal(secret: Buffer, keyId: string): PositionSeal {
  const key = createHmac('sha256', secret).update(`stream-position\0${keyId}`).digest();
  return {
    seal(position) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      // positions never hold NUL: it pads them
      const padded = Buffer.alloc(Math.max(PADDED_BYTES, Buffer.byteLength(position)));
      padded.write(position, 'utf8');
      const sealed = Buffer.concat([nonce, cipher.update(padded), cipher.final(), cipher.getAuthTag()]);
      return sealed.toString('base64url');
    },
    open(sealed) {
      if (!SEALED.test(sealed)) return null;
      const bytes = Buffer.from(sealed, 'base64url');
      if (bytes.length <= NONCE_BYTES + TAG_BYTES) return null;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, NONCE_BYTES));
        decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
        const padded = Buffer.concat([
          decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)),
          decipher.final(),
        ]);
        return padded.toString('utf8').replace(/\0+$/, '');
      } catch {
        return null;
      }
    },
  };
}
