import { createHash, randomBytes } from 'node:crypto';

/** `npk_` + 32 random bytes in base64url (43 characters). */
const FORMAT = /^npk_[A-Za-z0-9_-]{43}$/;

export function generateSecret(): string {
  return `npk_${randomBytes(32).toString('base64url')}`;
}

export const isWellFormed = (secret: string) => FORMAT.test(secret);

/**
 * SHA-256, not a password hash: the secret has 256 bits of entropy, so there is nothing to
 * brute-force and a fast hash keeps every API request cheap.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** What lists show: enough to recognise a key, far too little to use it. */
export const visiblePrefix = (secret: string) => secret.slice(0, 12);
