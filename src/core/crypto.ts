import { timingSafeEqual } from 'node:crypto';

/**
 * Constant-time comparison of two secrets (signatures, token hashes) that never throws.
 * `crypto.timingSafeEqual` throws when the byte lengths differ, and a string of the right number
 * of characters can have more bytes (any non-ASCII character): a forged cookie must resolve to
 * anonymous, not 500. Strings are compared as UTF-8 bytes. Only the length leaks, which is public
 * for every value compared here (fixed-size MACs and hashes).
 *
 * @example safeEqual(givenSignature, expectedSignature) // false for any malformed input
 */
export function safeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const x = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const y = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  return x.length === y.length && timingSafeEqual(x, y);
}
