import { CompiledQuery, type Transaction } from 'kysely';
import type { Dialect } from '../../core/db/database.js';
import type { EventRow, GamificationTables, StreakRow } from './schema.js';

/**
 * Hot-path statements of the engine, as constant SQL text run through `executeQuery`: no query
 * builder, no compilation per call, and the same text whatever the batch size (lists travel as
 * one JSON parameter on SQLite, as arrays on PostgreSQL), so a statement cache can reuse them.
 * Everything else in the module keeps the Kysely builders.
 */

type T = Transaction<GamificationTables>;
const CHUNK = 500;

/** SQL written with `?` parameters; PostgreSQL's `$1…` numbering is derived once, at load. */
const both = (text: string) => ({ sqlite: text, postgres: text.replace(/\?/g, (() => { let i = 0; return () => `$${++i}`; })()) });
const run = async <R>(t: T, text: string, params: unknown[]): Promise<R[]> => (await t.executeQuery<R>(CompiledQuery.raw(text, params))).rows;

const LOCK = both(
  `insert into gam_totals (actor, period, points, updated_at) values (?, 'all', 0, ?)
   on conflict (actor, period) do update set points = gam_totals.points returning points`,
);

/**
 * Upserts the player's all-time totals row and returns its points. On PostgreSQL this takes the
 * row's lock: every read that follows sees the previous batch of this player committed.
 */
export async function lockPlayer(t: T, dialect: Dialect, actor: string, now: string): Promise<number> {
  const rows = await run<{ points: number | string }>(t, LOCK[dialect], [actor, now]);
  return Number(rows[0].points);
}

export interface PlayerSnapshot {
  /** Which of the asked client ids this player already used. */
  used: Set<string>;
  /** Counters by `type|period`. */
  counts: Map<string, { count: number; last: string | null }>;
  streak: StreakRow | undefined;
  badges: Set<string>;
}

// One statement for everything the engine reads after the lock. Columns: kind, three texts, three numbers.
const SNAPSHOT = {
  sqlite: `select 'i' as k, client_id as s1, null as s2, null as s3, null as n1, null as n2, null as n3
      from gam_events where actor = ? and client_id in (select value from json_each(?))
    union all select 'c', type, period, last_at, count, null, null
      from gam_counts where actor = ? and type in (select value from json_each(?)) and period in (select value from json_each(?))
    union all select 's', last_day, null, null, "current", longest, freezes_left from gam_streaks where actor = ?
    union all select 'b', badge, null, null, null, null, null from gam_badges where actor = ?`,
  postgres: `select 'i' as k, client_id as s1, null::text as s2, null::text as s3, null::integer as n1, null::integer as n2, null::integer as n3
      from gam_events where actor = $1 and client_id = any($2::text[])
    union all select 'c', type, period, last_at, count, null, null
      from gam_counts where actor = $1 and type = any($3::text[]) and period = any($4::text[])
    union all select 's', last_day, null, null, "current", longest, freezes_left from gam_streaks where actor = $1
    union all select 'b', badge, null, null, null, null, null from gam_badges where actor = $1`,
};

/** Used ids, counters of `types` × `periods`, the streak row and earned badges, in one round trip. */
export async function readSnapshot(t: T, dialect: Dialect, actor: string, ids: string[], types: string[], periods: string[]): Promise<PlayerSnapshot> {
  // better-sqlite3 binds positional `?` only: the actor is repeated for each branch.
  const params =
    dialect === 'sqlite'
      ? [actor, JSON.stringify(ids), actor, JSON.stringify(types), JSON.stringify(periods), actor, actor]
      : [actor, ids, types, periods];
  type Row = { k: string; s1: string; s2: string | null; s3: string | null; n1: number | string | null; n2: number | string | null; n3: number | string | null };
  const rows = await run<Row>(t, SNAPSHOT[dialect], params);
  const out: PlayerSnapshot = { used: new Set(), counts: new Map(), streak: undefined, badges: new Set() };
  for (const r of rows) {
    if (r.k === 'i') out.used.add(r.s1);
    else if (r.k === 'c') out.counts.set(`${r.s1}|${r.s2}`, { count: Number(r.n1), last: r.s3 });
    else if (r.k === 's') out.streak = { actor, last_day: r.s1, current: Number(r.n1), longest: Number(r.n2), freezes_left: Number(r.n3) };
    else out.badges.add(r.s1);
  }
  return out;
}

const COUNTS = {
  sqlite: `insert into gam_counts (actor, type, period, count, last_at)
    select ?, value->>0, value->>1, value->>2, value->>3 from json_each(?) where true
    on conflict (actor, type, period) do update set count = excluded.count, last_at = excluded.last_at`,
  postgres: `insert into gam_counts (actor, type, period, count, last_at)
    select $1, u.type, u.period, u.count, u.last_at from unnest($2::text[], $3::text[], $4::integer[], $5::text[]) as u(type, period, count, last_at)
    on conflict (actor, type, period) do update set count = excluded.count, last_at = excluded.last_at`,
};

/** Writes the new values of counters (absolute: computed under the player's lock). */
export async function writeCounts(t: T, dialect: Dialect, actor: string, rows: Array<{ type: string; period: string; count: number; last_at: string }>): Promise<void> {
  if (!rows.length) return;
  const params =
    dialect === 'sqlite'
      ? [actor, JSON.stringify(rows.map((r) => [r.type, r.period, r.count, r.last_at]))]
      : [actor, rows.map((r) => r.type), rows.map((r) => r.period), rows.map((r) => r.count), rows.map((r) => r.last_at)];
  await run(t, COUNTS[dialect], params);
}

const HISTORY = {
  sqlite: `insert into gam_events (actor, type, client_id, points, source, ref, created_at)
    select value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6 from json_each(?)`,
  postgres: `insert into gam_events (actor, type, client_id, points, source, ref, created_at)
    select * from unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::text[], $6::text[], $7::text[])`,
};

export async function insertHistory(t: T, dialect: Dialect, rows: EventRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const params =
      dialect === 'sqlite'
        ? [JSON.stringify(chunk.map((r) => [r.actor, r.type, r.client_id, r.points, r.source, r.ref, r.created_at]))]
        : (['actor', 'type', 'client_id', 'points', 'source', 'ref', 'created_at'] as const).map((c) => chunk.map((r) => r[c]));
    await run(t, HISTORY[dialect], params);
  }
}

const POINTS = {
  sqlite: `insert into gam_totals (actor, period, points, updated_at)
    select ?, value, ?, ? from json_each(?) where true
    on conflict (actor, period) do update set points = gam_totals.points + excluded.points, updated_at = excluded.updated_at`,
  postgres: `insert into gam_totals (actor, period, points, updated_at)
    select $1, p, $2, $3 from unnest($4::text[]) as u(p)
    on conflict (actor, period) do update set points = gam_totals.points + excluded.points, updated_at = excluded.updated_at`,
};

/** Adds points to the player's rows of these periods (`all`, `w:…`, `m:…`), in one statement. */
export async function addPointsTo(t: T, dialect: Dialect, actor: string, points: number, periods: string[], now: string): Promise<void> {
  await run(t, POINTS[dialect], [actor, points, now, dialect === 'sqlite' ? JSON.stringify(periods) : periods]);
}
