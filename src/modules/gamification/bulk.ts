import { sql, type Transaction } from 'kysely';
import type { Dialect } from '../../core/db/database.js';
import type { EventRow, GamificationTables } from './schema.js';

/**
 * Hot-path statements of the engine. On SQLite a 100-row statement is built, compiled and
 * prepared (better-sqlite3 has no statement cache) on every call, and that costs more than the
 * insert itself; passing the rows as one JSON parameter to a constant statement avoids it.
 * PostgreSQL parses statements server side and keeps the plain Kysely builders.
 */

type T = Transaction<GamificationTables>;
const CHUNK = 500;

export async function insertHistory(t: T, dialect: Dialect, rows: EventRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    if (dialect === 'sqlite') {
      const json = JSON.stringify(chunk.map((r) => [r.actor, r.type, r.client_id, r.points, r.source, r.ref, r.created_at]));
      await sql`insert into gam_events (actor, type, client_id, points, source, ref, created_at)
        select value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6 from json_each(${json})`.execute(t);
    } else {
      await t.insertInto('gam_events').values(chunk).execute();
    }
  }
}

/** Which of `ids` this actor already used. */
export async function usedClientIds(t: T, dialect: Dialect, actor: string, ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  const q = t.selectFrom('gam_events').select('client_id').where('actor', '=', actor);
  const rows =
    dialect === 'sqlite'
      ? await q.where(sql<boolean>`client_id in (select value from json_each(${JSON.stringify(ids)}))`).execute()
      : await q.where('client_id', 'in', ids).execute();
  return rows.map((r) => r.client_id!);
}
