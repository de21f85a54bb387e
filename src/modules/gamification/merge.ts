import { sql, type Transaction } from 'kysely';
import type { ModuleContext } from '../../core/module.js';
import { actorKey, type Player } from './actors.js';
import type { GamificationConfig } from './config.js';
import { levelFor, type DefinitionSet } from './definitions.js';
import { addPoints, type AwardOutcome, type EngineOptions } from './engine.js';
import { applyRewards, progressOf, type ChallengeOutcome, type CouponGrant } from './rewards.js';
import { ruleEvents } from './rules.js';
import { typedTrx } from '../../core/db/dialect.js';
import type { EventRow, GamDb, GamificationTables } from './schema.js';
import { currentStreak, fromRow, mergeStreaks } from './streaks.js';

type Ctx = ModuleContext<GamificationConfig>;

const lockTotals = (t: Transaction<GamificationTables>, actor: string, now: string) =>
  t
    .insertInto('gam_totals')
    .values({ actor, period: 'all', points: 0, updated_at: now })
    .onConflict((oc) => oc.columns(['actor', 'period']).doUpdateSet({ points: sql`gam_totals.points` }))
    .returning('points')
    .executeTakeFirstOrThrow();

/**
 * Moves a guest's points, history, counters, badges, streak and challenge progress to a user in
 * one transaction. Idempotent: the gam_merges row is written first and a second delivery finds
 * it. Nothing is counted twice: a badge both hold is kept once (the user's), a challenge both
 * completed keeps one completion and one reward, idempotency ids both used stay unique.
 * Returns what the combination newly earned (badges, level ups), or null when already merged.
 */
export async function mergeGuest(ctx: Ctx, defs: DefinitionSet, opts: EngineOptions, guestId: string, userId: string, nowDate: Date): Promise<AwardOutcome | null> {
  const guest = actorKey({ type: 'guest', id: guestId });
  const user = actorKey({ type: 'user', id: userId });
  const now = nowDate.toISOString();
  return ctx.tx(async (trx) => {
    const t = typedTrx<GamificationTables>(trx);
    const marker = await t
      .insertInto('gam_merges')
      .values({ guest_id: guestId, user_id: userId, merged_at: now })
      .onConflict((oc) => oc.column('guest_id').doNothing())
      .returning('guest_id')
      .executeTakeFirst();
    if (!marker) return null;

    // The user's lock first, then the guest's: an event batch only ever takes one of them.
    const before = Number((await lockTotals(t, user, now)).points);
    await lockTotals(t, guest, now);

    // History: an id both used stays with the user's row; the guest's copy keeps its points, loses the id.
    const taken = t.selectFrom('gam_events').select('client_id').where('actor', '=', user).where('client_id', 'is not', null);
    await t.updateTable('gam_events').set({ client_id: null }).where('actor', '=', guest).where('client_id', 'in', taken).execute();
    await t.updateTable('gam_events').set({ actor: user }).where('actor', '=', guest).execute();

    const guestTotals = await t.selectFrom('gam_totals').select(['period', 'points']).where('actor', '=', guest).execute();
    const moved = guestTotals.filter((r) => Number(r.points) > 0);
    if (moved.length) {
      await t
        .insertInto('gam_totals')
        .values(moved.map((r) => ({ actor: user, period: r.period, points: Number(r.points), updated_at: now })))
        .onConflict((oc) =>
          oc.columns(['actor', 'period']).doUpdateSet((eb) => ({ points: sql`gam_totals.points + excluded.points`, updated_at: eb.ref('excluded.updated_at') })),
        )
        .execute();
    }
    await t.deleteFrom('gam_totals').where('actor', '=', guest).execute();

    const counts = await t.selectFrom('gam_counts').selectAll().where('actor', 'in', [guest, user]).execute();
    const merged = new Map<string, { type: string; period: string; count: number; last_at: string }>();
    for (const c of counts) {
      const k = `${c.type}|${c.period}`;
      const m = merged.get(k);
      if (!m) merged.set(k, { type: c.type, period: c.period, count: Number(c.count), last_at: c.last_at });
      else merged.set(k, { ...m, count: m.count + Number(c.count), last_at: m.last_at > c.last_at ? m.last_at : c.last_at });
    }
    await t.deleteFrom('gam_counts').where('actor', 'in', [guest, user]).execute();
    const countRows = [...merged.values()].map((c) => ({ actor: user, ...c }));
    for (let i = 0; i < countRows.length; i += 200) await t.insertInto('gam_counts').values(countRows.slice(i, i + 200)).execute();

    const guestBadges = await t.selectFrom('gam_badges').select(['badge', 'earned_at']).where('actor', '=', guest).execute();
    if (guestBadges.length) {
      await t
        .insertInto('gam_badges')
        .values(guestBadges.map((b) => ({ actor: user, badge: b.badge, earned_at: b.earned_at })))
        .onConflict((oc) => oc.columns(['actor', 'badge']).doNothing())
        .execute();
    }
    await t.deleteFrom('gam_badges').where('actor', '=', guest).execute();

    const streaks = await t.selectFrom('gam_streaks').selectAll().where('actor', 'in', [guest, user]).execute();
    const streak = mergeStreaks(
      streaks.find((s) => s.actor === user) ? fromRow(streaks.find((s) => s.actor === user)!) : null,
      streaks.find((s) => s.actor === guest) ? fromRow(streaks.find((s) => s.actor === guest)!) : null,
    );
    await t.deleteFrom('gam_streaks').where('actor', 'in', [guest, user]).execute();
    if (streak) {
      await t
        .insertInto('gam_streaks')
        .values({ actor: user, current: streak.current, longest: streak.longest, last_day: streak.lastDay, freezes_left: streak.freezesLeft })
        .execute();
    }

    // Challenges: progress adds up (to each step's target); one completion is kept.
    const challengeRows = await t.selectFrom('gam_challenges').selectAll().where('actor', 'in', [guest, user]).execute();
    const byKey = new Map<string, Array<(typeof challengeRows)[number]>>();
    for (const r of challengeRows) byKey.set(r.challenge, [...(byKey.get(r.challenge) ?? []), r]);
    const rewardHistory: EventRow[] = [];
    const grantBadges: string[] = [];
    const coupons: CouponGrant[] = [];
    const completed: ChallengeOutcome[] = [];
    let rewardPoints = 0;
    const challengeUpserts: GamificationTables['gam_challenges'][] = [];
    for (const [key, rows] of byKey) {
      const def = defs.challenges.get(key);
      const doneAt = rows.map((r) => r.completed_at).filter((d): d is string => !!d).sort()[0] ?? null;
      let progress: number[];
      let completedAt = doneAt;
      if (def) {
        progress = def.steps.map((s, i) => Math.min(s.count, rows.reduce((n, r) => n + progressOf(r.progress, def)[i], 0)));
        if (!doneAt && def.steps.every((s, i) => progress[i] >= s.count)) {
          completedAt = now;
          completed.push({ key, steps: def.steps.map((st, i) => ({ event: st.event, count: progress[i], target: st.count })), completed: true, justCompleted: true });
          if (def.reward?.points) {
            rewardPoints += def.reward.points;
            rewardHistory.push({ actor: user, type: key, client_id: null, points: def.reward.points, source: 'challenge', ref: key, created_at: now });
          }
          if (def.reward?.badge) grantBadges.push(def.reward.badge);
          if (def.reward?.coupon) coupons.push({ code: def.reward.coupon, source: `gamification:challenge:${key}:${user}` });
        }
      } else {
        progress = JSON.parse(rows.find((r) => r.actor === user)?.progress ?? rows[0].progress);
      }
      challengeUpserts.push({ actor: user, challenge: key, progress: JSON.stringify(progress), completed_at: completedAt, updated_at: now });
    }
    await t.deleteFrom('gam_challenges').where('actor', 'in', [guest, user]).execute();
    if (challengeUpserts.length) await t.insertInto('gam_challenges').values(challengeUpserts).execute();

    // What the combination newly earns (e.g. a points badge neither reached alone).
    const guestPoints = Number(guestTotals.find((r) => r.period === 'all')?.points ?? 0);
    const allCounts = new Map<string, number>();
    for (const c of merged.values()) if (c.period === 'all') allCounts.set(c.type, c.count);
    for (const type of ruleEvents(defs)) if (!allCounts.has(type)) allCounts.set(type, 0);
    const rewards = await applyRewards(t, defs, {
      actor: user,
      now,
      awardedByType: new Map(),
      facts: { points: before + guestPoints + rewardPoints, counts: allCounts, streak: currentStreak(streak, now.slice(0, 10)).current },
      grantBadges,
    });
    const history = [...rewardHistory, ...rewards.history];
    if (history.length) await t.insertInto('gam_events').values(history).execute();
    const points = rewardPoints + rewards.points;
    if (points > 0) await addPoints(t, user, points, opts.periods, nowDate);

    const total = before + guestPoints + points;
    return {
      player: { type: 'user', id: userId },
      results: [],
      points,
      total,
      previousLevel: levelFor(defs.levels, before)?.key ?? null,
      level: levelFor(defs.levels, total)?.key ?? null,
      levelUps: defs.levels.filter((l) => l.threshold > before && l.threshold <= total).map((l) => l.key),
      badges: rewards.badges,
      challenges: completed,
      streak,
      coupons: [...coupons, ...rewards.coupons],
    } satisfies AwardOutcome;
  });
}

const TABLES = ['gam_totals', 'gam_events', 'gam_counts', 'gam_streaks', 'gam_badges', 'gam_challenges'] as const;

/** Erases every row of a player (user.deleted, guest.expired); `forget` drops its cached answers after the commit. */
export async function eraseActor(ctx: Ctx, player: Player, forget: () => Promise<void>): Promise<void> {
  const actor = actorKey(player);
  await ctx.tx(async (trx) => {
    trx.afterCommit(forget);
    const t = typedTrx<GamificationTables>(trx);
    for (const table of TABLES) await t.deleteFrom(table).where('actor', '=', actor).execute();
    if (player.type === 'user') await t.deleteFrom('gam_merges').where('user_id', '=', player.id).execute();
  });
}

/** The privacy export: everything this module holds about the user. */
export async function exportUser(db: GamDb, player: Player) {
  const actor = actorKey(player);
  const [totals, badges, streak, challenges, history, merges] = await Promise.all([
    db.selectFrom('gam_totals').select(['period', 'points', 'updated_at']).where('actor', '=', actor).execute(),
    db.selectFrom('gam_badges').select(['badge', 'earned_at']).where('actor', '=', actor).execute(),
    db.selectFrom('gam_streaks').selectAll().where('actor', '=', actor).executeTakeFirst(),
    db.selectFrom('gam_challenges').select(['challenge', 'progress', 'completed_at']).where('actor', '=', actor).execute(),
    db.selectFrom('gam_events').select(['type', 'source', 'points', 'client_id', 'created_at']).where('actor', '=', actor).orderBy('id').execute(),
    db.selectFrom('gam_merges').select(['guest_id', 'merged_at']).where('user_id', '=', player.id).execute(),
  ]);
  return {
    totals: totals.map((r) => ({ period: r.period, points: Number(r.points), updatedAt: r.updated_at })),
    badges: badges.map((b) => ({ badge: b.badge, earnedAt: b.earned_at })),
    streak: streak ? fromRow(streak) : null,
    challenges: challenges.map((c) => ({ challenge: c.challenge, progress: JSON.parse(c.progress), completedAt: c.completed_at })),
    history: history.map((h) => ({ type: h.type, source: h.source, points: Number(h.points), clientId: h.client_id, createdAt: h.created_at })),
    mergedGuests: merges.map((m) => ({ guestId: m.guest_id, mergedAt: m.merged_at })),
  };
}
