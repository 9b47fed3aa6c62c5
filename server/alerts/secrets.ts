import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type pg from 'pg';

/**
 * Webhook URLs (a Slack URL is itself a credential) and signing secrets are kept sealed with
 * AES-256-GCM: a copy of the rules table alone gives neither. The key is made from
 * LOG_SERVER_SECRET when it is set, otherwise from a secret the first server keeps in
 * platform_log_server_secrets (as stream positions do), so every server of a database opens
 * what any of them sealed.
 */
export interface SecretBox {
  seal(value: string): Buffer;
  open(sealed: Buffer): string;
}

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const LABEL = 'alert-secrets';

export function createSecretBox(secret: Buffer): SecretBox {
  const key = createHmac('sha256', secret).update(`${LABEL}\0`).digest();
  return {
    seal(value) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      return Buffer.concat([nonce, cipher.update(value, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    },
    open(sealed) {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_BYTES));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    },
  };
}

/** The box of this database: from `configured` (LOG_SERVER_SECRET) or the secret kept in the database. */
export async function loadSecretBox(pool: pg.Pool | pg.PoolClient, configured: string | undefined): Promise<SecretBox> {
  if (configured) return createSecretBox(Buffer.from(configured, 'utf8'));
  await pool.query(
    `INSERT INTO platform_log_server_secrets (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
    [LABEL, randomBytes(32)],
  );
  const { rows } = await pool.query<{ secret: Buffer }>(
    `SELECT secret FROM platform_log_server_secrets WHERE name = $1`,
    [LABEL],
  );
  return createSecretBox(rows[0].secret);
}

/** A box loaded once, on first use. */
export function lazySecretBox(pool: pg.Pool, configured: string | undefined): () => Promise<SecretBox> {
  let loading: Promise<SecretBox> | undefined;
  return () => {
    loading ??= loadSecretBox(pool, configured).catch((error) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

/** A signing secret for a rule that was given none: 32 random bytes, prefixed so it is recognisable. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
