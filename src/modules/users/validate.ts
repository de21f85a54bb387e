import { Type, type TSchema } from 'typebox';
import type { FieldError } from '../../core/http/problem.js';
import { STRING_FIELD_DEFAULT_MAX, type CustomField } from './config.js';

export type CustomValue = string | number | boolean;

export interface ProfilePatch {
  name?: string;
  avatarUrl?: string | null;
  locale?: string | null;
  timezone?: string | null;
  custom?: Record<string, unknown>;
}

// Control, format (bidi overrides, zero-width), separators: never part of a name shown to others.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
export const NAME_MAX = 100;
export const URL_MAX = 2048;

export function checkName(value: string, errors: FieldError[]): string | undefined {
  const name = value.normalize('NFC').trim();
  if (INVISIBLE.test(value)) errors.push({ pointer: '/body/name', code: 'control_characters', detail: 'Control characters are not allowed' });
  else if (name.length < 1 || [...name].length > NAME_MAX) {
    errors.push({ pointer: '/body/name', code: 'length', detail: `Must be 1 to ${NAME_MAX} characters` });
  } else return name;
  return undefined;
}

/** http(s) only, no embedded credentials: an avatar is fetched by other people's browsers. */
export function checkAvatarUrl(value: string, errors: FieldError[]): string | undefined {
  let url: URL | undefined;
  try {
    url = value.length <= URL_MAX && !INVISIBLE.test(value) ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || !url.hostname) {
    errors.push({ pointer: '/body/avatarUrl', code: 'format', detail: 'Must be an http or https URL' });
    return undefined;
  }
  return url.href;
}

/** IANA names only (Europe/Madrid, UTC), canonicalised by Intl; offsets like +01:00 are refused. */
export function checkTimezone(value: string, errors: FieldError[]): string | undefined {
  if (/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/.test(value) && value.length <= 64) {
    try {
      return new Intl.DateTimeFormat('en', { timeZone: value }).resolvedOptions().timeZone;
    } catch {
      // RangeError: unknown zone
    }
  }
  errors.push({ pointer: '/body/timezone', code: 'format', detail: 'Must be an IANA time zone such as Europe/Madrid' });
  return undefined;
}

export function checkCustomValue(name: string, field: CustomField, value: unknown, errors: FieldError[]): CustomValue | undefined {
  const pointer = `/body/custom/${name}`;
  const fail = (code: string, detail: string) => {
    errors.push({ pointer, code, detail });
    return undefined;
  };
  switch (field.type) {
    case 'string': {
      if (typeof value !== 'string') return fail('type', 'Must be a string');
      const max = field.max ?? STRING_FIELD_DEFAULT_MAX;
      if (/[\p{Cc}]/u.test(value.replace(/[\n\t]/g, ''))) return fail('control_characters', 'Control characters are not allowed');
      if ([...value].length > max) return fail('maxLength', `Must be at most ${max} characters`);
      return value;
    }
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return fail('type', 'Must be an integer');
      if (field.max !== undefined && value > field.max) return fail('maximum', `Must be at most ${field.max}`);
      if (field.min !== undefined && value < field.min) return fail('minimum', `Must be at least ${field.min}`);
      return value;
    case 'boolean':
      return typeof value === 'boolean' ? value : fail('type', 'Must be true or false');
    case 'enum':
      return typeof value === 'string' && field.values!.includes(value) ? value : fail('enum', `Must be one of: ${field.values!.join(', ')}`);
  }
}

/** TypeBox schema of one custom field's value (for route validation and the OpenAPI document). */
export function customFieldSchema(field: CustomField): TSchema {
  switch (field.type) {
    case 'string':
      return Type.String({ maxLength: field.max ?? STRING_FIELD_DEFAULT_MAX });
    case 'integer':
      // Bounded even when the config sets no limits: beyond 2^53 an integer is no longer exact.
      return Type.Integer({ minimum: field.min ?? Number.MIN_SAFE_INTEGER, maximum: field.max ?? Number.MAX_SAFE_INTEGER });
    case 'boolean':
      return Type.Boolean();
    case 'enum':
      return Type.Union(field.values!.map((v) => Type.Literal(v)));
  }
}
