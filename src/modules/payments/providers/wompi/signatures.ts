import { createHash } from 'node:crypto';
import { safeEqual } from '../../../../core/crypto.js';

/**
 * Wompi's two hashes (docs.wompi.co, "Widget & Web Checkout" and "Eventos"). Both are plain
 * SHA-256 over a concatenation ending in a secret (not an HMAC), hex encoded.
 */

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/**
 * The integrity signature of a checkout: SHA-256 of
 * `<reference><amount_in_cents><currency>[<expiration_time>]<integrity secret>`.
 *
 * @example integritySignature({ reference: 'sk8-438k4-xmxm392-sn2m', amountInCents: 2490000, currency: 'COP', secret })
 */
export function integritySignature(p: { reference: string; amountInCents: number; currency: string; expirationTime?: string; secret: string }): string {
  return sha256(`${p.reference}${p.amountInCents}${p.currency}${p.expirationTime ?? ''}${p.secret}`);
}

/** The signed part of an event: `signature.properties` point into `data`. */
export interface SignedEventFields {
  data: unknown;
  signature: { properties: string[] };
  timestamp: number;
}

/**
 * The value a property path (`transaction.amount_in_cents`) names inside `data`, as Wompi
 * concatenates it: strings as they are, numbers in decimal, null/absent as nothing. Own keys
 * only, so a crafted path (`__proto__…`) reads nothing.
 */
export function propertyValue(data: unknown, path: string): string {
  let node: unknown = data;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return '';
    node = (node as Record<string, unknown>)[key];
  }
  if (node === null || node === undefined) return '';
  if (typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean') return String(node);
  // An object or array is never a signed property; refusing it beats hashing "[object Object]".
  throw new TypeError(`signature property ${path} is not a scalar`);
}

/** The string Wompi hashes for an event: the properties' values in order, the timestamp, the secret. */
export function eventChecksumInput(event: SignedEventFields, secret: string): string {
  return event.signature.properties.map((p) => propertyValue(event.data, p)).join('') + String(event.timestamp) + secret;
}

/** The event checksum, upper-case hex as Wompi sends it (compare case-insensitively). */
export function eventChecksum(event: SignedEventFields, secret: string): string {
  return sha256(eventChecksumInput(event, secret)).toUpperCase();
}

/** Constant-time, case-insensitive comparison of a received checksum with the expected one. */
export function checksumMatches(received: string, expected: string): boolean {
  return safeEqual(received.toLowerCase(), expected.toLowerCase());
}
