import type { TxHandle } from '../../core/outbox/outbox.js';
import type { AwardOutcome } from './engine.js';
import { awardMessage } from './live.js';

/** Where an award shows live: the player's own realtime channel, and the leaderboards. */
export interface LiveOutput {
  /** ctx.realtime.publish (errors logged, never thrown): inside the transaction, it sends after the commit. */
  publish(channel: string, data: unknown): void;
  /** Points moved: the boards may have changed (called after the commit). */
  boardsChanged(): void;
}

/**
 * What an award or a merge sets in motion, scheduled inside its transaction so it happens if and
 * only if the transaction commits: the domain events (points.awarded, badge.awarded, level.up,
 * challenge.completed, gamification.coupon_earned: outbox rows, delivered after commit, keyed by
 * the player so a handler sees them in order), after the commit, forgetting the player's
 * cached answers, and the live updates: the award on the player's own channel and a leaderboard
 * round. No recovery code: the kernel redelivers events; a live message is best effort (a client
 * that missed it resumes from the replay buffer or refetches).
 */
export function scheduleConsequences(trx: TxHandle, o: AwardOutcome, forget: () => Promise<void>, live?: LiveOutput): void {
  const { type: actorType, id: actorId } = o.player;
  // Nothing was written when every event was refused (duplicates, caps): the answers still hold.
  if (o.points > 0 || o.badges.length || o.challenges.length || o.results.some((r) => r.status === 'awarded')) trx.afterCommit(forget);
  const reasons = [...new Set(o.results.filter((r) => r.status === 'awarded').map((r) => r.type))];
  if (o.points > 0) trx.emit('points.awarded', { actorType, actorId, points: o.points, total: o.total, reasons });
  for (const badge of o.badges) trx.emit('badge.awarded', { actorType, actorId, badge });
  let previous = o.previousLevel;
  for (const level of o.levelUps) {
    trx.emit('level.up', { actorType, actorId, level, previousLevel: previous });
    previous = level;
  }
  for (const c of o.challenges) if (c.justCompleted) trx.emit('challenge.completed', { actorType, actorId, challenge: c.key });
  for (const grant of o.coupons) trx.emit('gamification.coupon_earned', { actorType, actorId, coupon: grant.code, source: grant.source });
  if (!live) return;
  const message = awardMessage(o);
  // Inside the transaction: the kernel holds it until the commit.
  if (message) live.publish(`${actorType}:${actorId}`, message);
  if (o.points > 0) trx.afterCommit(async () => live.boardsChanged());
}
