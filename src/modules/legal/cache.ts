import { LRUCache } from 'lru-cache';
import type { PubSub, Unsubscribe } from '../../core/drivers/pubsub/contract.js';
import { currentOf, type DocumentHead, type SlugState } from './model.js';

const CHANNEL = 'legal.changed';

interface Current {
  bySlug: Map<string, SlugState>;
  /** Ids of the versions in force now (one per slug). */
  ids: Set<string>;
  /** Rebuilt after this instant (epoch ms): the TTL, or the next scheduled version's start. */
  until: number;
  generation: number;
}

/**
 * What the consent guard reads on every guarded request, kept in this replica's memory:
 *
 * - the current version of each document, rebuilt after a publish (here at once, on every other
 *   replica by a pub/sub message, and by a periodic read of the change counter as a safety net),
 *   when a scheduled version takes effect, or after the TTL;
 * - per actor, the ids of current versions they are known to have accepted. Only acceptances are
 *   kept, never their absence: a consent is never taken back (deleted accounts and expired guests
 *   are gone), so a kept entry cannot turn wrong when the actor accepts something, on this
 *   replica or another. An actor missing a document is checked in the database every time
 *   (one indexed read) until they accept, and a publish makes every kept entry moot (new ids).
 */
export class LegalCache {
  private current: Current | null = null;
  private readonly accepted: LRUCache<string, Set<string>>;
  private generation = -1;
  private epoch = 0;
  private unsubscribe?: Unsubscribe;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly ttlMs: number,
    private readonly load: () => Promise<{ heads: DocumentHead[]; generation: number }>,
  ) {
    this.accepted = new LRUCache({ max: 100_000, ttl: ttlMs });
  }

  /** The current versions by slug (loaded on first use and after any drop). */
  async currentVersions(): Promise<Current> {
    const now = Date.now();
    const c = this.current;
    if (c && now < c.until && c.generation === this.generation) return c;
    const stamp = this.epoch;
    const { heads, generation } = await this.load();
    const { slugs, until } = currentOf(heads, now);
    const built: Current = { bySlug: slugs, ids: new Set([...slugs.values()].map((s) => s.current.id)), until: Math.min(until, now + this.ttlMs), generation };
    if (stamp === this.epoch) {
      this.current = built;
      this.generation = generation;
    }
    return built;
  }

  knownAccepted(actorKey: string): Set<string> | undefined {
    return this.accepted.get(actorKey);
  }

  /** Remembers acceptances of current versions (merged with what is kept). */
  remember(actorKey: string, ids: Iterable<string>): void {
    const kept = this.accepted.get(actorKey) ?? new Set<string>();
    for (const id of ids) kept.add(id);
    this.accepted.set(actorKey, kept);
  }

  forgetActors(keys: readonly string[]): void {
    for (const k of keys) this.accepted.delete(k);
  }

  drop(generation = -1): void {
    this.epoch++;
    this.generation = generation;
    this.current = null;
    this.accepted.clear();
  }

  /** After a publish committed: drop here and on every replica. */
  async changed(pubsub: PubSub, generation: number): Promise<void> {
    this.drop(generation);
    await pubsub.publish(CHANNEL, { generation });
  }

  async start(pubsub: PubSub, readGeneration: () => Promise<number>, checkMs: number): Promise<void> {
    this.unsubscribe = await pubsub.subscribe(CHANNEL, (message) => {
      const g = (message as { generation?: unknown }).generation;
      this.drop(typeof g === 'number' ? g : -1);
    });
    this.generation = await readGeneration();
    this.timer = setInterval(() => {
      readGeneration()
        .then((g) => {
          if (g !== this.generation) this.drop(g);
        })
        .catch(() => {});
    }, checkMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.unsubscribe?.();
    this.drop();
  }
}
