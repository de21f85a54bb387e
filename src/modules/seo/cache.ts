import { LRUCache } from 'lru-cache';
import type { PubSub, Unsubscribe } from '../../core/drivers/pubsub/contract.js';

const CHANNEL = 'seo.changed';

/**
 * What each replica keeps in memory: public page lookups (negative answers too: an SSR
 * front-end asks for every path it renders) and the built sitemap.
 *
 * Every change bumps a counter in the database (`seo_state.generation`) in the change's own
 * transaction, and after the commit publishes it on pub/sub: every replica (Redis at scale)
 * drops its entries as soon as the message arrives. The sitemap is checked against the counter on
 * every request anyway (one primary-key read; crawlers are few), so it is never stale; page
 * lookups, the hot path, rely on the message, on a periodic read of the counter
 * (`checkIntervalSeconds`: lost messages, and processes sharing one SQLite file, which share no
 * pub/sub) and on a TTL.
 */
export class SeoCache<Page, Sitemap> {
  private readonly pages: LRUCache<string, { page: Page | null }>;
  private sitemap: { generation: number; builtAt: number; value: Sitemap } | null = null;
  /** The counter this replica's entries were read at; -1: unknown. */
  private generation = -1;
  /** Bumped by every drop: a read that raced one is not stored. */
  private epoch = 0;
  private unsubscribe?: Unsubscribe;
  private timer?: NodeJS.Timeout;

  constructor(private readonly ttlMs: number) {
    this.pages = new LRUCache({ max: 20_000, ttl: ttlMs });
  }

  get stamp(): number {
    return this.epoch;
  }

  getPage(key: string): { page: Page | null } | undefined {
    return this.pages.get(key);
  }

  setPage(key: string, page: Page | null, stamp: number): void {
    if (stamp === this.epoch) this.pages.set(key, { page });
  }

  /** The built sitemap when it was built at `generation` and within the TTL (by `Date`, so tests can move it). */
  getSitemap(generation: number): Sitemap | undefined {
    const s = this.sitemap;
    if (!s || s.generation !== generation || Date.now() - s.builtAt >= this.ttlMs || Date.now() < s.builtAt) return undefined;
    return s.value;
  }

  setSitemap(generation: number, value: Sitemap): void {
    this.sitemap = { generation, builtAt: Date.now(), value };
  }

  /** Drops everything kept on this replica; `generation` is the counter now known. */
  drop(generation = -1): void {
    this.epoch++;
    this.generation = generation;
    this.pages.clear();
    this.sitemap = null;
  }

  /** Drops here and tells every other replica. */
  async changed(pubsub: PubSub, generation: number): Promise<void> {
    this.drop(generation);
    await pubsub.publish(CHANNEL, { generation });
  }

  /**
   * Listens for other replicas' changes and compares the counter every `checkMs` (`read` returns
   * it; a failing read is retried at the next tick).
   */
  async start(pubsub: PubSub, read: () => Promise<number>, checkMs: number): Promise<void> {
    this.unsubscribe = await pubsub.subscribe(CHANNEL, (message) => {
      const g = (message as { generation?: unknown }).generation;
      this.drop(typeof g === 'number' ? g : -1);
    });
    this.generation = await read();
    this.timer = setInterval(() => {
      read()
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
