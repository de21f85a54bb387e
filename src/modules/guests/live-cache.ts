import { LRUCache } from 'lru-cache';
import type { PubSub, Unsubscribe } from '../../core/drivers/pubsub/contract.js';

const CHANNEL = 'guests.invalidate';

/**
 * Remembers, per process and for a few seconds, which guest cookies belong to live guests
 * (existing, not merged), so the actor resolver neither recomputes the HMAC nor reads the
 * `guests` row on every request a guest makes.
 *
 * Keyed by the signed cookie value: a guest has exactly one (the signature is deterministic), so
 * forgetting a guest id means deleting `sign(id)`, and only values whose signature was verified
 * are ever stored (forged cookies never enter, and guest creation is rate limited per IP).
 *
 * A merge or deletion forgets the guest here at once and publishes the ids on pub/sub, so every
 * other replica forgets them as soon as the message arrives (Redis pub/sub at scale: about a
 * millisecond). The TTL bounds what a lost message can cost: a merged cookie still resolving on
 * another replica for at most `ttlMs`.
 */
export class LiveGuestCache {
  private readonly entries: LRUCache<string, string> | null;
  /** Bumped by every invalidation: a database read that raced one is not cached. */
  private epoch = 0;
  private unsubscribe?: Unsubscribe;

  constructor(
    private readonly sign: (guestId: string) => string,
    opts: { ttlMs: number; maxEntries?: number },
  ) {
    this.entries = opts.ttlMs > 0 ? new LRUCache<string, string>({ max: opts.maxEntries ?? 50_000, ttl: opts.ttlMs }) : null;
  }

  /** The live guest id stored for a signed cookie value, or undefined (unknown or expired). */
  get(cookieValue: string): string | undefined {
    return this.entries?.get(cookieValue);
  }

  /** Current invalidation epoch; pass it to `remember` to drop a result that raced an invalidation. */
  get stamp(): number {
    return this.epoch;
  }

  /** Stores a verified, live guest read at `stamp` — unless an invalidation happened since. */
  remember(cookieValue: string, guestId: string, stamp: number): void {
    if (this.entries && stamp === this.epoch) this.entries.set(cookieValue, guestId);
  }

  /** Forgets guests in this process only. */
  forgetLocal(guestIds: readonly string[]): void {
    this.epoch++;
    if (!this.entries) return;
    for (const id of guestIds) this.entries.delete(this.sign(id));
  }

  /** Forgets guests here and on every other replica. */
  async forget(pubsub: PubSub, guestIds: readonly string[]): Promise<void> {
    if (!guestIds.length) return;
    this.forgetLocal(guestIds);
    await pubsub.publish(CHANNEL, { ids: guestIds });
  }

  async start(pubsub: PubSub): Promise<void> {
    this.unsubscribe = await pubsub.subscribe(CHANNEL, (message) => {
      const ids = (message as { ids?: unknown }).ids;
      if (Array.isArray(ids)) this.forgetLocal(ids.filter((x): x is string => typeof x === 'string'));
    });
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.entries?.clear();
  }
}
