import type { GamDb } from './schema.js';
import { parseActorKey } from './actors.js';

export type Period = 'all' | 'weekly' | 'monthly';
export const PERIODS: readonly Period[] = ['all', 'weekly', 'monthly'];

/** ISO 8601 week of a UTC date, e.g. 2025-W47 (weeks start on Monday; week 1 holds the first Thursday). */
export function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const dow = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - dow);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/** The totals row key of a period at `now`: `all`, `w:2025-W47`, `m:2025-11`. */
export function periodKey(period: Period, now: Date): string {
  if (period === 'all') return 'all';
  if (period === 'weekly') return `w:${isoWeek(now)}`;
  return `m:${now.toISOString().slice(0, 7)}`;
}

export interface BoardEntry {
  rank: number;
  actorType: 'user' | 'guest';
  actorId: string;
  points: number;
}

/**
 * Top N of a period. Walks gam_totals_board_idx (period, points desc, updated_at) in order and
 * stops after N rows, so the cost does not grow with the number of players. Ranks are
 * competition ranks (ties share a rank: 1 + players with strictly more points).
 */
export async function topPlayers(db: GamDb, key: string, limit: number, includeGuests: boolean): Promise<BoardEntry[]> {
  let q = db
    .selectFrom('gam_totals')
    .select(['actor', 'points'])
    .where('period', '=', key)
    .where('points', '>', 0);
  if (!includeGuests) q = q.where('actor', 'like', 'user:%');
  const rows = await q.orderBy('points', 'desc').orderBy('updated_at').orderBy('actor').limit(limit).execute();
  const out: BoardEntry[] = [];
  rows.forEach((r, i) => {
    const points = Number(r.points);
    const rank = i > 0 && out[i - 1].points === points ? out[i - 1].rank : i + 1;
    const { type, id } = parseActorKey(r.actor);
    out.push({ rank, actorType: type as 'user' | 'guest', actorId: id, points });
  });
  return out;
}

/** The caller's points and competition rank in a period; null when they have no points there. */
export async function rankOf(db: GamDb, key: string, actor: string, includeGuests: boolean): Promise<{ rank: number; points: number } | null> {
  const mine = await db.selectFrom('gam_totals').select('points').where('actor', '=', actor).where('period', '=', key).executeTakeFirst();
  const points = Number(mine?.points ?? 0);
  if (points <= 0) return null;
  let q = db
    .selectFrom('gam_totals')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('period', '=', key)
    .where('points', '>', points);
  if (!includeGuests) q = q.where('actor', 'like', 'user:%');
  const { n } = await q.executeTakeFirstOrThrow();
  return { rank: Number(n) + 1, points };
}
