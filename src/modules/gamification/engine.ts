import { sql, type Transaction } from 'kysely';
import type { Dialect, Trx } from '../../core/db/database.js';
import { typedTrx } from '../../core/db/dialect.js';
import { addPointsTo, insertHistory, lockPlayer, readSnapshot, writeCounts } from './bulk.js';
import { actorKey, type Player } from './actors.js';
import type { DefinitionSet } from './definitions.js';
import { levelFor } from './definitions.js';
import { periodKey, type Period } from './leaderboard.js';
import { applyRewards, type ChallengeOutcome, type CouponGrant } from './rewards.js';
import type { EventRow, GamificationTables } from './schema.js';
import { dayOf, fromRow, recordActivity, type StreakState } from './streaks.js';
import { ruleEvents } from './rules.js';

export interface EventInput {
  type: string;
  id?: string;
}

export type EventStatus = 'awarded' | 'duplicate' | 'daily_cap' | 'cooldown' | 'lifetime_cap';

export interface EventResult {
  type: string;
  id: string | null;
  status: EventStatus;
  points: number;
}

export interface AwardOutcome {
  player: Player;
  results: EventResult[];
  /** Points added by this call: events plus badge and challenge rewards. */
  points: number;
  /** All-time points after this call. */
  total: number;
  /** Level keys newly reached, lowest first. */
  levelUps: string[];
  previousLevel: string | null;
  level: string | null;
  /** Badge keys earned by this call. */
  badges: string[];
  challenges: ChallengeOutcome[];
  streak: StreakState | null;
  coupons: CouponGrant[];
}

export interface EngineOptions {
  dialect: Dialect;
  periods: readonly Period[];
  streak: { enabled: boolean; freezes: number };
}

/**
 * Awards a batch of events to one player inside the caller's transaction. The first statement
 * upserts the player's all-time totals row, which on PostgreSQL takes its row lock (ON CONFLICT
 * DO UPDATE locks the row) — so every check below (idempotency ids, caps, cooldowns) and every
 * write happens while concurrent batches of the same player wait. SQLite transactions are
 * serialized already. Then a fixed number of statements per batch, whatever its size.
 */
export async function applyBatch(
  trx: Trx,
  defs: DefinitionSet,
  opts: EngineOptions,
  player: Player,
  events: EventInput[],
  now: Date,
  grantBadges: string[] = [],
): Promise<AwardOutcome> {
  const t = typedTrx<GamificationTables>(trx);
  const actor = actorKey(player);
  const nowIso = now.toISOString();
  const day = `d:${dayOf(now)}`;

  const before = await lockPlayer(t, opts.dialect, actor, nowIso);

  // Then one read for the rest: used ids, counters (today's and all-time for the batch's types,
  // all-time for the types badge rules read), the streak row and the badges already earned.
  const ids = new Set<string>();
  const batchTypes = new Set<string>();
  for (const e of events) {
    if (e.id !== undefined) ids.add(e.id);
    batchTypes.add(e.type);
  }
  const countTypes = [...new Set([...batchTypes, ...ruleEvents(defs)])];
  const snapshot = await readSnapshot(t, opts.dialect, actor, [...ids], countTypes, ['all', day]);
  const seen = snapshot.used;
  const counts = snapshot.counts;
  const counter = (type: string, period: string) => {
    let c = counts.get(`${type}|${period}`);
    if (!c) counts.set(`${type}|${period}`, (c = { count: 0, last: null }));
    return c;
  };

  const results: EventResult[] = [];
  const history: EventRow[] = [];
  const touched = new Set<string>();
  const awardedByType = new Map<string, number>();
  let points = 0;
  for (const e of events) {
    const def = defs.eventTypes.get(e.type)!;
    const id = e.id ?? null;
    // No closure per event: this loop runs for every event of every batch.
    let status: EventStatus = 'awarded';
    if (id !== null && seen.has(id)) status = 'duplicate';
    else {
      const all = counter(e.type, 'all');
      const today = counter(e.type, day);
      if (def.lifetimeCap !== undefined && all.count >= def.lifetimeCap) status = 'lifetime_cap';
      else if (def.dailyCap !== undefined && today.count >= def.dailyCap) status = 'daily_cap';
      else if (def.cooldownSeconds !== undefined && all.last && now.getTime() - Date.parse(all.last) < def.cooldownSeconds * 1000) status = 'cooldown';
      else {
        if (id !== null) seen.add(id);
        all.count++;
        today.count++;
        all.last = today.last = nowIso;
        touched.add(e.type);
        awardedByType.set(e.type, (awardedByType.get(e.type) ?? 0) + 1);
        points += def.points;
        history.push({ actor, type: e.type, client_id: id, points: def.points, source: 'event', ref: null, created_at: nowIso });
      }
    }
    results.push({ type: e.type, id, status, points: status === 'awarded' ? def.points : 0 });
  }

  const outcome: AwardOutcome = {
    player,
    results,
    points: 0,
    total: before,
    levelUps: [],
    previousLevel: levelFor(defs.levels, before)?.key ?? null,
    level: levelFor(defs.levels, before)?.key ?? null,
    badges: [],
    challenges: [],
    streak: null,
    coupons: [],
  };
  if (!history.length && !grantBadges.length) return outcome;

  const countRows = [...touched].flatMap((type) =>
    ['all', day].map((period) => {
      const c = counter(type, period);
      return { type, period, count: c.count, last_at: c.last ?? nowIso };
    }),
  );
  await writeCounts(t, opts.dialect, actor, countRows);

  // Any awarded event is activity for the day (a badge granted by the server is not).
  const streakRow = opts.streak.enabled ? snapshot.streak : undefined;
  outcome.streak = streakRow ? fromRow(streakRow) : null;
  if (opts.streak.enabled && history.length) {
    const prev = outcome.streak;
    const next = recordActivity(prev, dayOf(now), opts.streak.freezes);
    outcome.streak = next ?? prev;
    if (next) {
      const values = { actor, current: next.current, longest: next.longest, last_day: next.lastDay, freezes_left: next.freezesLeft };
      await t
        .insertInto('gam_streaks')
        .values(values)
        .onConflict((oc) => oc.column('actor').doUpdateSet({ current: next.current, longest: next.longest, last_day: next.lastDay, freezes_left: next.freezesLeft }))
        .execute();
    }
  }

  const allCounts = new Map<string, number>();
  for (const [k, v] of counts) if (k.endsWith('|all')) allCounts.set(k.slice(0, -4), v.count);
  const rewards = await applyRewards(t, defs, {
    actor,
    now: nowIso,
    awardedByType,
    facts: { points: before + points, counts: allCounts, streak: outcome.streak?.current ?? 0 },
    grantBadges,
    earned: snapshot.badges,
  });
  points += rewards.points;
  history.push(...rewards.history);

  await insertHistory(t, opts.dialect, history);
  if (points > 0) await addPointsTo(t, opts.dialect, actor, points, [...new Set(['all', ...opts.periods.map((p) => periodKey(p, now))])], nowIso);

  const total = before + points;
  outcome.points = points;
  outcome.total = total;
  outcome.level = levelFor(defs.levels, total)?.key ?? null;
  outcome.levelUps = defs.levels.filter((l) => l.threshold > before && l.threshold <= total).map((l) => l.key);
  outcome.badges = rewards.badges;
  outcome.challenges = rewards.challenges;
  outcome.coupons = rewards.coupons;
  return outcome;
}

/** Adds points to the all-time row and the current period rows, in one statement. */
export async function addPoints(t: Transaction<GamificationTables>, actor: string, points: number, periods: readonly Period[], now: Date): Promise<void> {
  const keys = new Set(['all', ...periods.map((p) => periodKey(p, now))]);
  const updatedAt = now.toISOString();
  await t
    .insertInto('gam_totals')
    .values([...keys].map((period) => ({ actor, period, points, updated_at: updatedAt })))
    .onConflict((oc) =>
      oc.columns(['actor', 'period']).doUpdateSet((eb) => ({
        points: sql`gam_totals.points + excluded.points`,
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}
