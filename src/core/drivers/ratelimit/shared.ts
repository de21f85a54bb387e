import type { RateLimitResult, RateLimitRule } from './contract.js';

/** Programmer errors (a bad rule) fail loudly instead of silently allowing everything. */
export function checkHit(key: string, rule: RateLimitRule, cost: number): void {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError('Rate limit key must be a non-empty string');
  if (!Number.isInteger(rule.limit) || rule.limit < 0) throw new RangeError('Rate limit must be an integer >= 0');
  if (!Number.isFinite(rule.windowMs) || rule.windowMs < 1) throw new RangeError('Rate limit windowMs must be >= 1');
  if (!Number.isInteger(cost) || cost < 1) throw new RangeError('Rate limit cost must be an integer >= 1');
}

/** Builds the result both implementations return, from the count after the hit and the time left. */
export function toResult(allowed: boolean, count: number, rule: RateLimitRule, resetMs: number): RateLimitResult {
  const reset = Math.max(0, Math.ceil(resetMs));
  return {
    allowed,
    remaining: allowed ? Math.max(0, rule.limit - count) : 0,
    limit: rule.limit,
    resetMs: reset,
    retryAfterMs: allowed ? 0 : Math.max(1, reset),
  };
}
