import type { Transaction } from 'kysely';
import type { ChallengeDef } from './config.js';
import type { DefinitionSet } from './definitions.js';
import { newlyEarned, type PlayerFacts } from './rules.js';
import type { EventRow, GamificationTables } from './schema.js';

export interface CouponGrant {
  code: string;
  /** Stable per reward and player, so the coupons module can grant it once. */
  source: string;
}

export interface ChallengeOutcome {
  key: string;
  steps: Array<{ event: string; count: number; target: number }>;
  completed: boolean;
  /** Completed by this call (its reward was given now). */
  justCompleted: boolean;
}

export interface RewardsInput {
  actor: string;
  now: string;
  /** Events awarded by this call, per type (challenge steps count them). */
  awardedByType: Map<string, number>;
  /** Facts after the events (points before rewards). */
  facts: PlayerFacts;
  /** Badges granted directly (manual badges given by another module). */
  grantBadges?: string[];
  /** Badges the player already holds, when the caller read them (else they are read here). */
  earned?: Set<string>;
}

export interface RewardsResult {
  points: number;
  history: EventRow[];
  badges: string[];
  challenges: ChallengeOutcome[];
  coupons: CouponGrant[];
}

export const isOpen = (c: ChallengeDef, now: string): boolean =>
  (!c.startsAt || Date.parse(c.startsAt) <= Date.parse(now)) && (!c.endsAt || Date.parse(now) < Date.parse(c.endsAt));

/** Stored progress resized to the definition's steps (an admin may have edited them). */
export const progressOf = (json: string | undefined, def: ChallengeDef): number[] => {
  const stored: unknown = json ? JSON.parse(json) : [];
  return def.steps.map((_, i) => (Array.isArray(stored) && typeof stored[i] === 'number' ? stored[i] : 0));
};

/**
 * Challenge progress, then badges until none is left to earn (a badge's reward points may
 * reach a points or level badge). Runs inside the engine's transaction, under the player's lock.
 */
export async function applyRewards(t: Transaction<GamificationTables>, defs: DefinitionSet, input: RewardsInput): Promise<RewardsResult> {
  const { actor, now } = input;
  const out: RewardsResult = { points: 0, history: [], badges: [], challenges: [], coupons: [] };
  const facts = { ...input.facts };
  const pendingBadges = [...(input.grantBadges ?? [])];
  const give = (points: number | undefined, source: 'badge' | 'challenge', ref: string) => {
    if (!points) return;
    out.points += points;
    facts.points += points;
    out.history.push({ actor, type: ref, client_id: null, points, source, ref, created_at: now });
  };

  const open = [...defs.challenges].filter(([, c]) => isOpen(c, now) && c.steps.some((s) => input.awardedByType.has(s.event)));
  if (open.length) {
    const rows = await t
      .selectFrom('gam_challenges')
      .select(['challenge', 'progress', 'completed_at'])
      .where('actor', '=', actor)
      .where(
        'challenge',
        'in',
        open.map(([k]) => k),
      )
      .execute();
    const byKey = new Map(rows.map((r) => [r.challenge, r]));
    const upserts: GamificationTables['gam_challenges'][] = [];
    for (const [key, def] of open) {
      const row = byKey.get(key);
      const progress = progressOf(row?.progress, def);
      const alreadyDone = Boolean(row?.completed_at);
      if (!alreadyDone) def.steps.forEach((s, i) => (progress[i] = Math.min(s.count, progress[i] + (input.awardedByType.get(s.event) ?? 0))));
      const justCompleted = !alreadyDone && def.steps.every((s, i) => progress[i] >= s.count);
      out.challenges.push({
        key,
        steps: def.steps.map((s, i) => ({ event: s.event, count: progress[i], target: s.count })),
        completed: alreadyDone || justCompleted,
        justCompleted,
      });
      if (alreadyDone) continue;
      upserts.push({ actor, challenge: key, progress: JSON.stringify(progress), completed_at: justCompleted ? now : null, updated_at: now });
      if (justCompleted) {
        give(def.reward?.points, 'challenge', key);
        if (def.reward?.badge) pendingBadges.push(def.reward.badge);
        if (def.reward?.coupon) out.coupons.push({ code: def.reward.coupon, source: `gamification:challenge:${key}:${actor}` });
      }
    }
    if (upserts.length) {
      await t
        .insertInto('gam_challenges')
        .values(upserts)
        .onConflict((oc) =>
          oc.columns(['actor', 'challenge']).doUpdateSet((eb) => ({
            progress: eb.ref('excluded.progress'),
            completed_at: eb.ref('excluded.completed_at'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    }
  }

  if (!defs.badges.size) return out;
  const earned = new Set(input.earned ?? (await t.selectFrom('gam_badges').select('badge').where('actor', '=', actor).execute()).map((r) => r.badge));
  // Bounded: each pass earns at least one of a finite set of badges.
  for (let pass = 0; pass <= defs.badges.size; pass++) {
    const fresh = [...new Set([...pendingBadges.filter((b) => defs.badges.has(b)), ...newlyEarned(defs, facts, earned)])].filter((b) => !earned.has(b));
    pendingBadges.length = 0;
    if (!fresh.length) break;
    for (const key of fresh) {
      earned.add(key);
      out.badges.push(key);
      const reward = defs.badges.get(key)!.reward;
      give(reward?.points, 'badge', key);
      if (reward?.coupon) out.coupons.push({ code: reward.coupon, source: `gamification:badge:${key}:${actor}` });
    }
  }
  if (out.badges.length) {
    await t
      .insertInto('gam_badges')
      .values(out.badges.map((badge) => ({ actor, badge, earned_at: now })))
      .onConflict((oc) => oc.columns(['actor', 'badge']).doNothing())
      .execute();
  }
  return out;
}
