import { toIso, toIsoOrNull, type Timestamp } from '../../core/db/dialect.js';
import { badRequest, type FieldError } from '../../core/http/problem.js';
import type { CatalogSource } from './catalog-schema.js';

/** Shared pieces of the package and item catalogs. */

export interface Names {
  es: string;
  en: string;
}
export interface Descriptions {
  es?: string;
  en?: string;
}

/** Fields every catalog entry shows to admins. */
export interface CatalogMeta {
  key: string;
  names: Names;
  descriptions: Descriptions | null;
  /** Effective: the admin flag, and for packages the active window too. */
  active: boolean;
  /** The admin flag alone. */
  enabled: boolean;
  sort: number;
  /** `yaml`: still refreshed from neptuno.yaml at start-up; `admin`: edited here, yaml ignored. */
  source: CatalogSource;
  createdAt: string;
  updatedAt: string;
}

export const parseNames = (json: string): Names => JSON.parse(json) as Names;
export const parseDescriptions = (json: string | null): Descriptions | null => (json ? (JSON.parse(json) as Descriptions) : null);

/** The text for a locale (both names are required, descriptions fall back to the other language). */
export const localized = (texts: Descriptions | null, locale: string): string | null =>
  (locale === 'es' ? (texts?.es ?? texts?.en) : (texts?.en ?? texts?.es)) ?? null;

export const isoOrNull = (v: Timestamp | null): string | null => toIsoOrNull(v);
export const iso = (v: Timestamp): string => toIso(v);

/** A definition's window must be a real interval. */
export function checkWindow(startsAt: string | undefined, endsAt: string | undefined, errors: FieldError[]): void {
  if (startsAt && endsAt && Date.parse(startsAt) >= Date.parse(endsAt)) {
    errors.push({ pointer: '/body/endsAt', code: 'invalid_window', detail: 'endsAt must be after startsAt' });
  }
}

export function throwIfErrors(errors: FieldError[]): void {
  if (errors.length) throw badRequest('validation_failed', { errors });
}

/** Within [startsAt, endsAt) at `now`. */
export function inWindow(startsAt: Timestamp | null, endsAt: Timestamp | null, now = Date.now()): boolean {
  return (startsAt === null || new Date(startsAt).getTime() <= now) && (endsAt === null || now < new Date(endsAt).getTime());
}
