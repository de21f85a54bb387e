import type { RateLimiter, RateLimitResult, RateLimitRule } from './contract.js';
import { checkHit, toResult } from './shared.js';

interface Window {
  count: number;
  resetAt: number;
}

/**
 * In-process fixed-window counters for the embedded shape. JavaScript runs a hit to completion
 * without yielding, so check-and-increment is atomic without locks.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, Window>();
  private lastSweep = Date.now();

  async hit(key: string, rule: RateLimitRule, cost = 1): Promise<RateLimitResult> {
    checkHit(key, rule, cost);
    const now = Date.now();
    this.sweep(now);
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + rule.windowMs };
      this.windows.set(key, window);
    }
    // A refused hit does not consume: a client hammering the limit is not punished past the window.
    if (window.count + cost > rule.limit) {
      if (window.count === 0) this.windows.delete(key);
      return toResult(false, window.count, rule, window.resetAt - now);
    }
    window.count += cost;
    return toResult(true, window.count, rule, window.resetAt - now);
  }

  async reset(key: string): Promise<void> {
    this.windows.delete(key);
  }

  async close(): Promise<void> {
    this.windows.clear();
  }

  /** Drops finished windows now and then, so one-off keys (e.g. IPs) do not pile up. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 10_000) return;
    this.lastSweep = now;
    for (const [key, w] of this.windows) if (w.resetAt <= now) this.windows.delete(key);
  }
}
