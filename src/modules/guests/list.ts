import { sql } from 'kysely';
import type { Db, Dialect } from '../../core/db/database.js';
import { paginate, type PageResult } from '../../core/db/paginate.js';
import { badRequest, type FieldError } from '../../core/http/problem.js';
import { toGuest, type Guest } from './service.js';
import { toIso, type GuestRow } from './schema.js';

export interface ListGuestsQuery {
  limit?: number;
  cursor?: string;
  activeBefore?: string;
  activeAfter?: string;
  merged?: boolean;
}

function isoParam(name: string, value: string | undefined, errors: FieldError[]): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    errors.push({ pointer: `/querystring/${name}`, code: 'format', detail: 'Must be an ISO 8601 date or date-time' });
    return undefined;
  }
  return new Date(ms).toISOString();
}

/** Admin list, most recently active first, keyset-paginated on (last_active_at, id). */
export async function listGuests(db: Db, dialect: Dialect, q: ListGuestsQuery): Promise<PageResult<Guest>> {
  const errors: FieldError[] = [];
  const before = isoParam('activeBefore', q.activeBefore, errors);
  const after = isoParam('activeAfter', q.activeAfter, errors);
  if (errors.length) throw badRequest('validation_failed', { errors });
  // ISO text compares correctly in SQLite; PostgreSQL compares the parameter as a timestamptz.
  const ts = (v: string) => (dialect === 'postgres' ? sql`cast(${v} as timestamptz)` : sql`${v}`);

  let query = db.selectFrom('guests').selectAll();
  if (before) query = query.where(sql<boolean>`last_active_at < ${ts(before)}`);
  if (after) query = query.where(sql<boolean>`last_active_at >= ${ts(after)}`);
  if (q.merged !== undefined) query = query.where('merged_into_user_id', q.merged ? 'is not' : 'is', null);
  const page = await paginate(query, {
    limit: q.limit,
    cursor: q.cursor,
    orderBy: ['last_active_at', 'id'],
    key: (r) => [toIso((r as GuestRow).last_active_at), (r as GuestRow).id],
  });
  return { data: page.data.map((r) => toGuest(r as GuestRow)), nextCursor: page.nextCursor };
}
