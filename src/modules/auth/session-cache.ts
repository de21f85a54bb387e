import { LRUCache } from 'lru-cache';
import type { PubSub, Unsubscribe } from '../../core/drivers/pubsub/contract.js';
import type { Actor } from '../../core/http/access.js';

const CHANNEL = 'auth.sessions.invalidate';

/**
 * Remembers, per process and for at most `ttlMs` (1 s by default, `session.cacheSeconds`), the
 * actor a verified session cookie resolved to, so a signed-in user's requests do not each pay the
 * HMAC and the session + user read (docs/performance.md, "Signed-in requests").
 *
 * Keyed by the signed cookie value (only values whose signature verified and whose row was live
 * are stored). Anything that can end a session or change what the actor holds (sign-out, session
 * revocation, password change, account deletion, role or ban changes, active organization) flushes
 * the whole cache here at once and on every replica through pub/sub: such requests are rare next
 * to reads, and a flush needs to know no token. The TTL bounds what a lost message can cost: a
 * revoked session still resolving on another replica for at most `ttlMs`.
 */
export class SessionCache {
  private readonly entries: LRUCache<string, { actor: Actor; expiresAt: number; until: number }> | null;
  private readonly ttlMs: number;
  /** Bumped by every flush: a database read that raced one is not cached. */
  private epoch = 0;
  private unsubscribe?: Unsubscribe;
  private pubsub?: PubSub;
  private readonly onError: (err: unknown) => void;

  constructor(opts: { ttlMs: number; maxEntries?: number; onError?: (err: unknown) => void }) {
    this.onError = opts.onError ?? (() => {});
    this.ttlMs = opts.ttlMs;
    this.entries = opts.ttlMs > 0 ? new LRUCache({ max: opts.maxEntries ?? 50_000, ttl: opts.ttlMs }) : null;
  }

  /** The actor for a signed cookie value, unless unknown, older than the TTL or past the session's expiry. */
  get(cookieValue: string): Actor | undefined {
    const hit = this.entries?.get(cookieValue);
    if (!hit) return undefined;
    // The lifetime is checked here on a fresh monotonic clock: lru-cache's own TTL check reuses a
    // clock reading until a 1 ms timer clears it, which a busy event loop delays, so on its own an
    // entry could outlive ttlMs by a loop turn. Its TTL only frees the memory.
    if (hit.until > performance.now() && hit.expiresAt > Date.now()) return hit.actor;
    this.entries!.delete(cookieValue);
    return undefined;
  }

  /** Current epoch; pass it to `remember` so a read that raced a flush is dropped. */
  get stamp(): number {
    return this.epoch;
  }

  remember(cookieValue: string, actor: Actor, expiresAt: number, stamp: number): void {
    if (this.entries && stamp === this.epoch) this.entries.set(cookieValue, { actor, expiresAt, until: performance.now() + this.ttlMs });
  }

  /** Forgets every cached session in this process only. */
  flushLocal(): void {
    this.epoch++;
    this.entries?.clear();
  }

  /**
   * Forgets every cached session here and on every other replica. Never throws: with pub/sub
   * down, the other replicas forget within the TTL, and the sign-out itself must not fail.
   */
  async flush(): Promise<void> {
    this.flushLocal();
    await this.pubsub?.publish(CHANNEL, {}).catch(this.onError);
  }

  async start(pubsub: PubSub): Promise<void> {
    this.pubsub = pubsub;
    this.unsubscribe = await pubsub.subscribe(CHANNEL, () => this.flushLocal());
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.pubsub = undefined;
    this.entries?.clear();
  }
}
