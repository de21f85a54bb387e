import { randomInt } from 'node:crypto';
import type { FieldError } from '../../core/http/problem.js';

export const DISPLAY_NAME_MAX = 40;

/** modules.guests.namePrefix: one prefix per language, or one for all. */
export type NamePrefix = string | { es: string; en: string };

/**
 * "Invitado 4821" for a Spanish page, "Guest 4821" for an English one. The name is chosen once,
 * at creation, in the language the visitor's browser asked for: other players see it as it is.
 */
export function generateDisplayName(prefix: NamePrefix, locale: 'es' | 'en'): string {
  return `${typeof prefix === 'string' ? prefix : prefix[locale]} ${randomInt(1000, 10000)}`;
}

// Control (Cc), format (Cf: bidi overrides, zero-width joiners), line/paragraph separators,
// unassigned and private-use code points have no place in a name shown to other people.
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]/u;

/** Normalised display name, or a field error for `pointer`. */
export function validateDisplayName(raw: string, pointer: string): { value: string } | { error: FieldError } {
  if (FORBIDDEN.test(raw)) {
    return { error: { pointer, code: 'control_characters', detail: 'Control or invisible characters are not allowed' } };
  }
  const value = raw.normalize('NFC').trim().replace(/ {2,}/g, ' ');
  const length = [...value].length;
  if (length < 1 || length > DISPLAY_NAME_MAX) {
    return { error: { pointer, code: 'length', detail: `Must be 1 to ${DISPLAY_NAME_MAX} characters` } };
  }
  return { value };
}
