import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { sql, type SelectQueryBuilder } from 'kysely';
import { safeEqual } from '../crypto.js';
import { Type, type TSchema } from 'typebox';
import { HttpProblem } from '../http/problem.js';

export const MAX_PAGE_SIZE = 100;

/** `?limit=&cursor=` — the same on every list endpoint. */
export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 })),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
});

/** `{ data: [...], nextCursor }` response schema for items of `item`. */
export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export interface PageResult<T> {
  data: T[];
  nextCursor: string | null;
}

type Key = string | number;

// Cursors are signed: a keyset value goes into SQL compared with a column of a given type, and
// a forged one of another type (a string for a timestamp, 1e308 for an integer) makes
// PostgreSQL fail the whole statement. With a MAC only values we issued come back, so every
// list (rows, jobs, grants) is safe without declaring its column types. The key derives from the
// app secret (createApp registers it), so replicas sharing the secret accept each other's cursors.
const keys: Buffer[] = [];
const MAC_BYTES = 16;

/** Registers the app secret cursors are signed with (createApp does; other keys still verify). */
export function useCursorSecret(secret: string): void {
  const key = Buffer.from(hkdfSync('sha256', secret, 'neptuno', 'pagination/cursor/v1', 32));
  if (!keys.some((k) => k.equals(key))) keys.push(key);
}

const mac = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest().subarray(0, MAC_BYTES);

/** Opaque cursor: base64url JSON plus a MAC. Every list in Neptuno (rows, jobs) uses this one encoding. */
export function encodeCursor(value: unknown): string {
  // Without createApp (a unit test of a service): a key for this process only.
  if (!keys.length) keys.push(randomBytes(32));
  const payload = Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${payload}.${mac(keys[0], payload).toString('base64url')}`;
}

/**
 * Decodes a cursor we issued (the MAC must match) and checks its shape with `valid` (or, given
 * a number, that it is a keyset of that many strings/numbers); anything else is 400 invalid_cursor.
 */
export function decodeCursor(cursor: string, length: number): Key[];
export function decodeCursor<T>(cursor: string, valid: (v: unknown) => v is T): T;
export function decodeCursor(cursor: string, check: number | ((v: unknown) => boolean)): unknown {
  const valid =
    typeof check === 'number'
      ? (v: unknown) => Array.isArray(v) && v.length === check && v.every((x) => typeof x === 'string' || typeof x === 'number')
      : check;
  const dot = typeof cursor === 'string' && cursor.length <= 512 ? cursor.indexOf('.') : -1;
  if (dot > 0) {
    const payload = cursor.slice(0, dot);
    const given = Buffer.from(cursor.slice(dot + 1), 'base64url');
    if (keys.some((key) => safeEqual(given, mac(key, payload)))) {
      try {
        const value: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
        if (valid(value)) return value;
      } catch {
        // falls through to the same error as a well-formed but wrong cursor
      }
    }
  }
  throw new HttpProblem(400, 'invalid_cursor');
}

export interface PaginateOptions<O> {
  limit?: number;
  cursor?: string;
  /**
   * Keyset columns, most significant first, all in the same direction; the last one must be
   * unique (usually the id) so pages never skip or repeat rows.
   */
  orderBy: string[];
  direction?: 'asc' | 'desc';
  /** Reads the keyset values from a row (same order as orderBy). */
  key: (row: O) => Key[];
}

/**
 * Keyset (cursor) pagination: stable under inserts, cost independent of the page number.
 * Uses a row-value comparison, which SQLite and PostgreSQL both support.
 */
export async function paginate<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  opts: PaginateOptions<O>,
): Promise<PageResult<O>> {
  const limit = Math.min(Math.max(opts.limit ?? 20, 1), MAX_PAGE_SIZE);
  const dir = opts.direction ?? 'desc';
  let q = query;
  if (opts.cursor) {
    const values = decodeCursor(opts.cursor, opts.orderBy.length);
    const cols = sql.join(opts.orderBy.map((c) => sql.ref(c)));
    const vals = sql.join(values.map((v) => sql.val(v)));
    q = q.where(sql<boolean>`(${cols}) ${sql.raw(dir === 'desc' ? '<' : '>')} (${vals})`);
  }
  for (const c of opts.orderBy) q = q.orderBy(sql.ref(c), dir);
  const rows = await q.limit(limit + 1).execute();
  const more = rows.length > limit;
  const data = more ? rows.slice(0, limit) : rows;
  return { data, nextCursor: more ? encodeCursor(opts.key(data[data.length - 1])) : null };
}
