import { randomInt } from 'node:crypto';

/** Generated codes leave out characters people confuse when reading or typing them: 0/O, 1/I/L. */
export const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

/** What a stored (normalized) code may contain. */
export const CODE_PATTERN = /^[A-Z0-9][A-Z0-9_-]{2,63}$/;

/**
 * Codes are case-insensitive: trimmed, Unicode-normalized (NFKC turns full-width letters into
 * ASCII) and upper-cased. Inner whitespace is dropped so "summer 24" and "SUMMER24" match.
 */
export function normalizeCode(input: string): string {
  return input.normalize('NFKC').trim().replace(/\s+/g, '').toUpperCase();
}

/** A random code from the unambiguous alphabet (crypto randomness: codes can be worth money). */
export function generateCode(length: number, prefix = ''): string {
  let out = prefix;
  for (let i = 0; i < length; i++) out += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return out;
}

/** Time-ordered ids (the kernel's, shared with other modules' tables). */
export { newId } from '../../core/ids.js';

/** ISO 4217 codes the runtime knows (ARS, COP, USD…); a three-letter string outside it is refused. */
const CURRENCIES = new Set(typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('currency') : []);

export function isKnownCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && (CURRENCIES.size === 0 || CURRENCIES.has(code));
}
