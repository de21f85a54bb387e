import { Type, type TStringOptions } from 'typebox';

/**
 * Dates from clients, one rule for every module: ISO 8601, years 1000-9999. Both databases store
 * that range (PostgreSQL refuses JavaScript's extremes such as -271821-04-20 with an error, which
 * was a 500), and four-digit years keep ISO text sorting correctly where it is stored as text.
 */
export const MIN_DATE_MS = Date.UTC(1000, 0, 1);
export const MAX_DATE_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const YEAR = '[1-9]\\d{3}';
const DATE_OR_DATE_TIME = `^${YEAR}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|z|[+-]\\d{2}(:?\\d{2})?)?)?$`;

/** A body field holding a date-time (RFC 3339, years 1000-9999). */
export const DateTime = (opts: TStringOptions = {}) => Type.String({ format: 'date-time', pattern: `^${YEAR}-`, maxLength: 40, ...opts });

/** A query filter holding a date (`2026-03-01`) or date-time, years 1000-9999. Read it with parseDateTime. */
export const DateTimeQuery = (opts: TStringOptions = {}) =>
  Type.String({ pattern: DATE_OR_DATE_TIME, maxLength: 40, description: 'ISO 8601 date or date-time (years 1000-9999)', ...opts });

/**
 * The instant an ISO 8601 value names, or null when it is not a real date (2026-02-30) or falls
 * outside years 1000-9999 once in UTC. Use it wherever a client's date becomes a query parameter.
 */
export function parseDateTime(value: string): Date | null {
  const ms = Date.parse(value);
  return Number.isFinite(ms) && ms >= MIN_DATE_MS && ms <= MAX_DATE_MS ? new Date(ms) : null;
}
