import { LRUCache } from 'lru-cache';
import type { PubSub, Unsubscribe } from '../../core/drivers/pubsub/contract.js';
import type { ChallengeDef } from './config.js';
import type { DefinitionSet } from './definitions.js';

const CHANNEL = 'gamification.players';
const DAY_MS = 86_400_000;

/**
 * The serialized answer of GET /me, per player and locale, kept in this process so a repeated
 * /me costs a map lookup: no cache decode, no view building, no serialization.
 *
 * An answer changes when the player's rows change, when definitions change, or when time crosses
 * a boundary the view depends on (a UTC day for streaks and the weekly/monthly totals, a
 * challenge's start or end). So an entry is dropped:
 * - on every award, merge or erasure of the player — here at once, and on every other replica by
 *   a pub/sub message (Redis at scale: about a millisecond after the commit; the same window the
 *   shared state cache had between commit and delete);
 * - on any definition reload (`clear`);
 * - at the next boundary (`validUntil`), and after `ttlMs` whatever happens (bounds a lost message).
 */
export class MeCache {
  private readonly entries: LRUCache<string, { body: string; from: number; until: number }>;
  /** Bumped by every invalidation: an answer built from a read that raced one is not kept. */
  private epoch = 0;
  private unsubscribe?: Unsubscribe;

  constructor(opts: { ttlMs: number; maxEntries?: number }) {
    this.entries = new LRUCache({ max: opts.maxEntries ?? 20_000, ttl: opts.ttlMs });
  }

  get stamp(): number {
    return this.epoch;
  }

  get(actor: string, locale: string, nowMs: number): string | undefined {
    const e = this.entries.get(`${actor}|${locale}`);
    // Valid between when it was built and the next boundary (a clock set back misses too).
    return e && nowMs >= e.from && nowMs < e.until ? e.body : undefined;
  }

  set(actor: string, locale: string, body: string, from: number, until: number, stamp: number): void {
    if (stamp === this.epoch) this.entries.set(`${actor}|${locale}`, { body, from, until });
  }

  forgetLocal(actors: readonly string[]): void {
    this.epoch++;
    for (const a of actors) {
      this.entries.delete(`${a}|es`);
      this.entries.delete(`${a}|en`);
    }
  }

  /** Drops these players' answers here and on every other replica. */
  async forget(pubsub: PubSub, actors: readonly string[]): Promise<void> {
    this.forgetLocal(actors);
    await pubsub.publish(CHANNEL, { actors });
  }

  clear(): void {
    this.epoch++;
    this.entries.clear();
  }

  async start(pubsub: PubSub): Promise<void> {
    this.unsubscribe = await pubsub.subscribe(CHANNEL, (message) => {
      const actors = (message as { actors?: unknown }).actors;
      if (Array.isArray(actors)) this.forgetLocal(actors.filter((x): x is string => typeof x === 'string'));
    });
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.entries.clear();
  }
}

/** The first instant after `now` at which a /me answer built at `now` may read differently. */
export function validUntil(defs: DefinitionSet, nowMs: number): number {
  // Next UTC midnight: streak liveness, ISO week and month rows all turn over at midnight.
  let until = Math.floor(nowMs / DAY_MS) * DAY_MS + DAY_MS;
  const consider = (iso: string | undefined) => {
    if (!iso) return;
    const t = Date.parse(iso);
    if (t > nowMs && t < until) until = t;
  };
  for (const c of defs.challenges.values() as IterableIterator<ChallengeDef>) {
    consider(c.startsAt);
    consider(c.endsAt);
  }
  return until;
}
