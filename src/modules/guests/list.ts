import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../../core/db/database.js';
import { timestampParam, toIso } from '../../core/db/dialect.js';
import { paginate, type PageResult } from '../../core/db/paginate.js';
import { badRequest, type FieldError } from '../../core/http/problem.js';
import { parseDateTime } from '../../core/http/datetime.js';
import { toGuest, type Guest } from './service.js';
import type { GuestsTables } from './schema.js';

export interface ListGuestsQuery {
  limit?: number;
  cursor?: string;
  activeBefore?: string;
  activeAfter?: string;
  merged?: boolean;
}

function isoParam(name: string, value: string | undefined, errors: FieldError[]): string | undefined {
  if (value === undefined) return undefined;
  const date = parseDateTime(value);
  if (!date) {
    errors.push({ pointer: `/querystring/${name}`, code: 'format', detail: 'Must be an ISO 8601 date or date-time, years 1000-9999' });
    return undefined;
  }
  return date.toISOString();
}

/** Admin list, most recently active first, keyset-paginated on (last_active_at, id). */
export async function listGuests(db: Kysely<GuestsTables>, dialect: Dialect, q: ListGuestsQuery): Promise<PageResult<Guest>> {
  const errors: FieldError[] = [];
  const before = isoParam('activeBefore', q.activeBefore, errors);
  const after = isoParam('activeAfter', q.activeAfter, errors);
  if (errors.length) throw badRequest('validation_failed', { errors });
  const ts = (v: string) => timestampParam(dialect, v);

  let query = db.selectFrom('guests').selectAll();
  if (before) query = query.where(sql<boolean>`last_active_at < ${ts(before)}`);
  if (after) query = query.where(sql<boolean>`last_active_at >= ${ts(after)}`);
  if (q.merged !== undefined) query = query.where('merged_into_user_id', q.merged ? 'is not' : 'is', null);
  const page = await paginate(query, {
    limit: q.limit,
    cursor: q.cursor,
    orderBy: ['last_active_at', 'id'],
    key: (r) => [toIso(r.last_active_at), r.id],
  });
  return { data: page.data.map(toGuest), nextCursor: page.nextCursor };
}
